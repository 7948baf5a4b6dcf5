package ingest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// rowRule returns the checks that involve several columns of a row of
// the table, or nil when the table has none. Each check runs only when the
// values it compares are present; missing required values were rejected
// before.
func rowRule(spec Spec) (func(cells []cell) *rowError, error) {
	var missing []string
	idx := func(name string) int {
		i := spec.Index(name)
		if i < 0 {
			missing = append(missing, name)
			return 0
		}
		return i
	}
	rule := tableRule(spec, idx)
	if missing != nil {
		return nil, fmt.Errorf("ingest: contract of %s lacks columns %s", spec.Table, strings.Join(missing, ", "))
	}
	return rule, nil
}

func tableRule(spec Spec, idx func(string) int) func(cells []cell) *rowError {
	switch spec.Table {
	case Tickets:
		created, solved, reopens := idx("created_at"), idx("solved_at"), idx("reopens")
		return func(c []cell) *rowError {
			if e := notBefore(c, solved, created, spec); e != nil {
				return e
			}
			if c[reopens].valid && c[reopens].i < 0 {
				return ruleErr(reopens, "reopens %d is negative", c[reopens].i)
			}
			return nil
		}
	case Surveys:
		kind, score, lo, hi := idx("kind"), idx("score"), idx("scale_min"), idx("scale_max")
		return func(c []cell) *rowError {
			min, max := c[lo].i, c[hi].i
			if min >= max {
				return ruleErr(lo, "scale_min %d not below scale_max %d", min, max)
			}
			if c[kind].s == "nps" && (min != 0 || max != 10) {
				col := lo
				if min == 0 {
					col = hi
				}
				return ruleErr(col, "kind nps requires scale 0–10, got %d–%d", min, max)
			}
			if s := c[score].f; s < float64(min) || s > float64(max) {
				return ruleErr(score, "score %s outside scale %d–%d", fmtFloat(s), min, max)
			}
			return nil
		}
	case QAReviews:
		score, max := idx("score"), idx("max_score")
		return func(c []cell) *rowError {
			m := c[max].f
			if m <= 0 {
				return ruleErr(max, "max_score %s is not positive", fmtFloat(m))
			}
			if s := c[score].f; s < 0 || s > m {
				return ruleErr(score, "score %s outside 0–%s", fmtFloat(s), fmtFloat(m))
			}
			return nil
		}
	case Calls:
		queued, answered, ended, abandoned := idx("queued_at"), idx("answered_at"), idx("ended_at"), idx("abandoned")
		return func(c []cell) *rowError {
			if e := notBefore(c, answered, queued, spec); e != nil {
				return e
			}
			if e := notBefore(c, ended, queued, spec); e != nil {
				return e
			}
			if c[abandoned].b && c[answered].valid {
				return ruleErr(answered, "abandoned call has answered_at %s", formatTime(c[answered].i))
			}
			return nil
		}
	case Customers:
		signup, churned := idx("signup_at"), idx("churned_at")
		return func(c []cell) *rowError { return notBefore(c, churned, signup, spec) }
	case Referrals:
		referred, converted := idx("referred_at"), idx("converted_at")
		return func(c []cell) *rowError { return notBefore(c, converted, referred, spec) }
	}
	// Orders need finite revenue and cost: the converter rejects
	// non-finite numbers in every Float column.
	return nil
}

// notBefore checks that time column later is not before time column
// earlier, when both are present.
func notBefore(c []cell, later, earlier int, spec Spec) *rowError {
	if c[later].valid && c[earlier].valid && c[later].i < c[earlier].i {
		return ruleErr(later, "%s %s before %s %s",
			spec.Columns[later].Name, formatTime(c[later].i), spec.Columns[earlier].Name, formatTime(c[earlier].i))
	}
	return nil
}

func ruleErr(col int, format string, args ...any) *rowError {
	return &rowError{col: col, err: reasonf(ErrRowRule, format, args...)}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// keyPos is where a key was first seen, in 8 bytes: the index into the
// reader's files in the top 24 bits, the row's line in the lower 40.
type keyPos uint64

const keyPosLineBits = 40

func newKeyPos(file, line int) keyPos {
	return keyPos(uint64(file)<<keyPosLineBits | uint64(line)&(1<<keyPosLineBits-1))
}

// rowPos returns the position of row i of c that the duplicate check
// keeps: the line where the row starts, or for a row of a JSON document,
// whose rows may all be on one line, its 1-based number in the document.
func rowPos(c *chunk, i int) keyPos {
	if c.rows[i].col > 0 {
		return newKeyPos(c.file, c.rows[i].end+1)
	}
	return newKeyPos(c.file, c.rows[i].line)
}

func (p keyPos) file() int { return int(p >> keyPosLineBits) }
func (p keyPos) line() int { return int(p & (1<<keyPosLineBits - 1)) }

// appendKey appends the key of a row to b: its values, each preceded by
// its length, so that no two keys collide.
func appendKey(b []byte, key []int, cells []cell) []byte {
	for _, k := range key {
		s := cells[k].s
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return b
}

// describeKey renders the key of row j of a batch for messages:
// ticket_id=T9, or review_id=R1, criterion=tone.
func describeKey(p *plan, batch arrow.Record, j int) string {
	var sb strings.Builder
	for i, k := range p.key {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p.keyName[i])
		sb.WriteByte('=')
		if col, ok := batch.Column(k).(*array.String); ok && col.IsValid(j) {
			sb.WriteString(col.Value(j))
		}
	}
	return sb.String()
}

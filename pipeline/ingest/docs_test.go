package ingest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/inputs.md")

const (
	inputsDoc     = "../../docs/inputs.md"
	contractBegin = "<!-- BEGIN contract: generated from pipeline/ingest/schema.go by `go test ./pipeline/ingest -run TestInputsDoc -update` -->"
	contractEnd   = "<!-- END contract -->"
)

// tableDocs says in a sentence what each export holds.
var tableDocs = map[Table]string{
	Customers:      "One row per customer.",
	Tickets:        "One row per support ticket, as it stands at export time. The `vendor_*` columns hold the helpdesk's own precomputed metrics, where its export has them (docs/metrics.md, \"Vendor metrics\").",
	Messages:       "One row per message of a ticket: customer messages, public agent replies, internal notes.",
	Surveys:        "One row per survey answer (CSAT, NPS or CES).",
	QAReviews:      "One row per quality review and criterion.",
	Calls:          "One row per inbound call that entered a queue.",
	Feedback:       "One row per piece of unsolicited feedback (reviews, feedback forms, comments).",
	SocialMentions: "One row per social media mention of the company.",
	Orders:         "One row per order.",
	Referrals:      "One row per referral made by a customer.",
}

// contractMarkdown renders every table of the contract as Markdown.
func contractMarkdown() (string, error) {
	var b strings.Builder
	for _, t := range Tables() {
		spec, err := SpecOf(t)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n### %s\n\n%s Key: %s. Default file names: `%s.csv`, `%s.jsonl`, `%s.parquet` (see [Files](#files)).\n\n",
			t, tableDocs[t], backquoted(spec.Key, " + "), t, t, t)
		b.WriteString("| Column | Type | Required | Meaning |\n|---|---|---|---|\n")
		for _, c := range spec.Columns {
			typ := c.Kind.String()
			if c.Kind == Enum {
				typ = "one of " + backquoted(c.Values, ", ")
			}
			req := ""
			if c.Required {
				req = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, typ, req, c.Doc)
		}
	}
	return b.String(), nil
}

func backquoted(s []string, sep string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, sep)
}

// TestInputsDoc keeps docs/inputs.md in step with the contract: its
// generated part must match schema.go, and it must mention every column.
func TestInputsDoc(t *testing.T) {
	doc, err := os.ReadFile(inputsDoc)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := contractMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(doc, []byte(contractBegin))
	end := bytes.Index(doc, []byte(contractEnd))
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers %q and %q", inputsDoc, contractBegin, contractEnd)
	}
	cur := string(doc[begin+len(contractBegin) : end])
	want := gen + "\n"
	if cur != want {
		if *update {
			out := append([]byte{}, doc[:begin+len(contractBegin)]...)
			out = append(out, want...)
			out = append(out, doc[end:]...)
			if err := os.WriteFile(inputsDoc, out, 0o644); err != nil {
				t.Fatal(err)
			}
			doc = out
		} else {
			t.Errorf("%s is out of date with schema.go; run go test ./pipeline/ingest -run TestInputsDoc -update", inputsDoc)
		}
	}
	for _, tb := range Tables() {
		if tableDocs[tb] == "" {
			t.Errorf("table %s has no description", tb)
		}
		spec, _ := SpecOf(tb)
		head := []byte("\n### " + string(tb) + "\n")
		i := bytes.Index(doc, head)
		if i < 0 {
			t.Errorf("%s has no section for table %s", inputsDoc, tb)
			continue
		}
		section := doc[i+len(head):]
		if j := bytes.Index(section, []byte("\n### ")); j >= 0 {
			section = section[:j]
		}
		for _, c := range spec.Columns {
			if !bytes.Contains(section, []byte("| `"+c.Name+"` |")) {
				t.Errorf("%s: section %s does not describe column %s", inputsDoc, tb, c.Name)
			}
		}
	}
}

package ingest

import (
	"fmt"
	"slices"
	"strings"
)

// jsonPlan is what a JSON or JSON Lines decoder reads of each row besides
// the plan's columns: the trees of paths per level, the joins, and the
// paths that keep_when and derive rules test. A row's values are slots:
// the contract columns first, then the extra paths.
type jsonPlan struct {
	records recordsPath // nil: each JSON line is a row, or the document is the array of rows
	tries   []*pathNode // per level: 0 the row's element, 1 the element enclosing it, …
	// levelSlots lists per level the slots its tree reads.
	levelSlots [][]int
	joins      []joinPlan
	extra      []string       // paths of the slots after the contract columns, in slot order
	slotOf     map[string]int // path -> slot of the extra paths
	keep       []keepRule
	derive     []derivePlan // in contract order
	maxDoc     int          // bytes of a JSON document
	needs      []lookupRef  // lookups the derive rules make
	ncols      int
}

// joinPlan is one join of a JSON document's rows with a side-load.
type joinPlan struct {
	name    string
	records []string  // member names from the document's root to the array
	key     *pathNode // the key's path in an element of the array
	on      int       // slot of the row's value to match
	tree    *pathNode // paths read from the joined element
	spec    Join
}

// slots returns the number of values a decoder fills per row.
func (j *jsonPlan) slots() int { return j.ncols + len(j.extra) }

// active reports whether the plan uses anything only JSON sources read:
// records, joins, keep_when or derive rules.
func (j *jsonPlan) active() bool {
	return j.records != nil || len(j.joins) > 0 || len(j.keep) > 0 || len(j.derive) > 0
}

// compileJSON builds the JSON part of a plan. With a format other than
// json or jsonl, the JSON keys are errors; with no format (each file's
// from its name) a column name that is not a valid path is read as a
// member name of its own, as a CSV header would be.
func compileJSON(spec Spec, m TableMapping, cols []column) (*jsonPlan, error) {
	j := &jsonPlan{ncols: len(cols), slotOf: map[string]int{}, maxDoc: DefaultMaxDocumentBytes}
	jsonKeys := m.Records != "" || len(m.Join) > 0 || len(m.KeepWhen) > 0 || len(m.Derive) > 0 || m.MaxDocumentBytes != 0
	switch m.Format {
	case FormatCSV, FormatParquet:
		if jsonKeys {
			return nil, mappingErr(firstJSONKey(m), "applies to JSON and JSON Lines, not %s", m.Format)
		}
		return j, nil
	case FormatJSONL:
		if m.Records == "" && (len(m.Join) > 0 || m.MaxDocumentBytes != 0) {
			return nil, mappingErr(firstJSONKey(m), "applies to JSON documents: with format jsonl, name the records of each line (records:), which makes every line one")
		}
	}
	strict := m.Format == FormatJSON || m.Format == FormatJSONL || jsonKeys
	switch {
	case m.MaxDocumentBytes < 0:
		return nil, mappingErr("max_document_bytes", "%d is negative", m.MaxDocumentBytes)
	case m.MaxDocumentBytes > 0:
		j.maxDoc = m.MaxDocumentBytes
	}
	levels := 1
	if m.Records != "" {
		r, err := parseRecords(m.Records)
		if err != nil {
			return nil, mappingErr("records", "%w", err)
		}
		j.records, levels = r, r.levels()
	}
	j.tries = make([]*pathNode, levels)
	for i := range j.tries {
		j.tries[i] = &pathNode{}
	}
	for _, name := range sortedKeys(m.Join) {
		jm := m.Join[name]
		at := "join." + name
		if name == "" || strings.ContainsAny(name, `.\/[]`) {
			return nil, mappingErr(at, "bad join name %q, want a member name without dots, slashes or brackets", name)
		}
		recs, err := splitNames(jm.Records)
		if err != nil {
			return nil, mappingErr(at+".records", "%w %q: %v", errPathSyntax, jm.Records, err)
		}
		key, err := parsePath(jm.Key)
		if err == nil && key.up > 0 {
			err = fmt.Errorf("%w %q: the key is a member of the joined element", errPathSyntax, jm.Key)
		}
		if err != nil {
			return nil, mappingErr(at+".key", "%w", err)
		}
		jp := joinPlan{name: name, records: recs, key: &pathNode{}, tree: &pathNode{}, spec: jm}
		jp.key.add(key.names, 0)
		j.joins = append(j.joins, jp)
	}
	// The joins' on values are slots, read before the columns are added
	// so that a column path may not start with a join's name by accident.
	for i := range j.joins {
		slot, err := j.extraSlot(j.joins[i].spec.On, levels, "join."+j.joins[i].name+".on")
		if err != nil {
			return nil, err
		}
		j.joins[i].on = slot
	}
	for i := range cols {
		c := &cols[i]
		if c.derived {
			continue
		}
		at := c.mapped
		if at == "" {
			at = "columns." + c.Name
		}
		p, err := parsePath(c.source)
		if err == nil {
			err = j.add(p, i, levels, c.source)
		}
		if err != nil {
			if strict {
				return nil, mappingErr(at, "%w", err)
			}
			j.tries[0].add([]string{c.source}, i) // a name that is no path
		}
	}
	for _, path := range sortedKeys(m.KeepWhen) {
		at := "keep_when." + path
		slot, err := j.extraSlot(path, levels, at)
		if err != nil {
			return nil, err
		}
		set, err := valueSet(m.KeepWhen[path], at)
		if err != nil {
			return nil, err
		}
		j.keep = append(j.keep, keepRule{slot: slot, set: set,
			reason: path + ": not " + strings.Join(trimAll(m.KeepWhen[path]), ", ")})
	}
	for i, c := range cols {
		rules, ok := m.Derive[c.Name]
		if !ok {
			continue
		}
		d, err := j.compileDerive(spec, c, i, rules, levels)
		if err != nil {
			return nil, err
		}
		j.derive = append(j.derive, d)
	}
	for _, t := range j.tries {
		j.levelSlots = append(j.levelSlots, t.allSlots(nil))
	}
	return j, nil
}

// add puts a column's path into the tree of its level, or of its join.
func (j *jsonPlan) add(p jsonPath, slot, levels int, source string) error {
	if p.up >= levels {
		if levels == 1 {
			return fmt.Errorf("%w %q: \"../\" reads an enclosing element, and the rows have none (records: …[].…[] makes rows of inner arrays)", errPathSyntax, source)
		}
		return fmt.Errorf("%w %q: %d levels up, but the rows are only %d arrays deep", errPathSyntax, source, p.up, levels)
	}
	if p.up == 0 {
		for k := range j.joins {
			if p.names[0] != j.joins[k].name {
				continue
			}
			if len(p.names) == 1 {
				return fmt.Errorf("%w %q: the join %s is a whole element; name a member of it (%s.…)", errPathSyntax, source, p.names[0], p.names[0])
			}
			j.joins[k].tree.add(p.names[1:], slot)
			return nil
		}
	}
	j.tries[p.up].add(p.names, slot)
	if p.up == 0 && len(p.names) > 1 && !strings.Contains(source, `\`) {
		// A flattened export ({"via.channel": "web"}) has the path as a key.
		j.tries[0].add([]string{source}, slot)
	}
	return nil
}

// extraSlot returns the slot of a path that rules test, adding it the
// first time.
func (j *jsonPlan) extraSlot(path string, levels int, at string) (int, error) {
	p, err := parsePath(path)
	if err == nil {
		norm := p.String()
		if slot, ok := j.slotOf[norm]; ok {
			return slot, nil
		}
		slot := j.ncols + len(j.extra)
		if err = j.add(p, slot, levels, path); err == nil {
			j.extra = append(j.extra, norm)
			j.slotOf[norm] = slot
			return slot, nil
		}
	}
	return 0, mappingErr(at, "%w", err)
}

// firstJSONKey names the first key of m that only JSON reads, for errors.
func firstJSONKey(m TableMapping) string {
	switch {
	case m.Records != "":
		return "records"
	case len(m.Join) > 0:
		return "join"
	case m.MaxDocumentBytes != 0:
		return "max_document_bytes"
	case len(m.KeepWhen) > 0:
		return "keep_when"
	}
	return "derive"
}

// valueSet returns the export values of a list, lower-case and trimmed,
// as a condition matches them.
func valueSet(values []string, at string) (map[string]bool, error) {
	if len(values) == 0 {
		return nil, mappingErr(at, "no values listed")
	}
	set := make(map[string]bool, len(values))
	for i, v := range values {
		k := strings.ToLower(strings.TrimSpace(v))
		if k == "" {
			return nil, mappingErr(fmt.Sprintf("%s[%d]", at, i), "an empty value cannot be listed: a missing value matches no list")
		}
		set[k] = true
	}
	return set, nil
}

func trimAll(values []string) []string {
	out := slices.Clone(values)
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

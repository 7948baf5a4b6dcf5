package ingest

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadMapping reads a [Mapping] from YAML and checks it against the
// contract. name is used in error messages. Errors are *[MappingError]
// naming the line and key path of the mistake: an unknown table, key or
// contract column, a bad time layout or zone, a value mapped to something
// the column does not accept. An empty document is the zero Mapping.
//
//	tables:
//	  tickets:
//	    files: [zendesk/tickets-*.csv]
//	    columns: {ticket_id: Id, created_at: Created at}
//	    time_layouts: {created_at: "2006-01-02 15:04:05"}
//	    time_zone: Europe/Berlin
//	    values: {channel: {web_widget: chat, Mail: email}}
//	    unmapped: {status: open}
//	  surveys:
//	    skip_when: {score: [offered, unoffered]}
func LoadMapping(r io.Reader, name string) (Mapping, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Mapping{}, nil
		}
		return Mapping{}, &MappingError{Name: name, Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Mapping{}, &MappingError{Name: name, Line: extra.Line, Err: errors.New("more than one YAML document")}
	}
	l := &mappingLoader{name: name, lines: map[string]int{}}
	m, err := l.mapping(&doc)
	if err != nil {
		return Mapping{}, err
	}
	if err := checkMapping(m, name, l.line); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// mappingLoader walks the YAML tree, remembering the line of every key
// path for error messages.
type mappingLoader struct {
	name  string
	lines map[string]int
}

func (l *mappingLoader) errf(n *yaml.Node, p, format string, args ...any) error {
	return &MappingError{Name: l.name, Line: n.Line, Path: p, Err: fmt.Errorf(format, args...)}
}

// line returns the line of path p or of its nearest enclosing key.
func (l *mappingLoader) line(p string) int {
	for {
		if n, ok := l.lines[p]; ok {
			return n
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return 0
		}
		p = p[:i]
	}
}

func (l *mappingLoader) mapping(doc *yaml.Node) (Mapping, error) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return Mapping{}, nil
		}
		root = root.Content[0]
	}
	var m Mapping
	err := l.each(root, "", func(key string, k, v *yaml.Node, p string) error {
		if key != "tables" {
			return l.errf(k, p, "unknown key %q, want tables", key)
		}
		return l.each(v, p, func(table string, k, v *yaml.Node, p string) error {
			if _, err := SpecOf(Table(table)); err != nil {
				return l.errf(k, p, "unknown table %q, want one of %s", table, tableList())
			}
			tm, err := l.table(v, p)
			if err != nil {
				return err
			}
			if m.Tables == nil {
				m.Tables = map[Table]TableMapping{}
			}
			m.Tables[Table(table)] = tm
			return nil
		})
	})
	return m, err
}

func (l *mappingLoader) table(n *yaml.Node, at string) (TableMapping, error) {
	var tm TableMapping
	err := l.each(n, at, func(key string, k, v *yaml.Node, p string) error {
		var err error
		switch key {
		case "files":
			tm.Files, err = l.strings(v, p)
		case "format":
			tm.Format, err = l.scalar(v, p)
		case "delimiter":
			tm.Delimiter, err = l.scalar(v, p)
		case "header_rows":
			tm.HeaderRows, err = l.int(v, p)
		case "optional":
			tm.Optional, err = l.bool(v, p)
		case "time_zone":
			tm.TimeZone, err = l.scalar(v, p)
		case "encoding":
			tm.Encoding, err = l.scalar(v, p)
		case "invalid_utf8":
			tm.InvalidUTF8, err = l.scalar(v, p)
		case "max_field_bytes":
			tm.MaxFieldBytes, err = l.int(v, p)
		case "max_record_bytes":
			tm.MaxRecordBytes, err = l.int(v, p)
		case "max_gzip_ratio":
			tm.MaxGzipRatio, err = l.int(v, p)
		case "columns":
			tm.Columns, err = l.stringMap(v, p)
		case "same_as":
			tm.SameAs, err = l.stringMap(v, p)
		case "time_layouts":
			tm.TimeLayouts, err = l.stringMap(v, p)
		case "duration_layouts":
			tm.DurationLayouts, err = l.stringMap(v, p)
		case "defaults":
			tm.Defaults, err = l.stringMap(v, p)
		case "unmapped":
			tm.Unmapped, err = l.stringMap(v, p)
		case "records":
			tm.Records, err = l.scalar(v, p)
		case "max_document_bytes":
			tm.MaxDocumentBytes, err = l.int(v, p)
		case "keep_when":
			tm.KeepWhen, err = l.lists(v, p)
		case "join":
			err = l.each(v, p, func(name string, k, v *yaml.Node, p string) error {
				j, err := l.join(v, p)
				if err != nil {
					return err
				}
				if tm.Join == nil {
					tm.Join = map[string]Join{}
				}
				tm.Join[name] = j
				return nil
			})
		case "derive":
			err = l.each(v, p, func(col string, k, v *yaml.Node, p string) error {
				rules, err := l.rules(v, p)
				if err != nil {
					return err
				}
				if tm.Derive == nil {
					tm.Derive = map[string][]DeriveRule{}
				}
				tm.Derive[col] = rules
				return nil
			})
		case "skip_when":
			err = l.each(v, p, func(col string, k, v *yaml.Node, p string) error {
				list, err := l.strings(v, p)
				if err != nil {
					return err
				}
				if tm.SkipWhen == nil {
					tm.SkipWhen = map[string][]string{}
				}
				tm.SkipWhen[col] = list
				return nil
			})
		case "values":
			err = l.each(v, p, func(col string, k, v *yaml.Node, p string) error {
				m, err := l.stringMap(v, p)
				if err != nil {
					return err
				}
				if tm.Values == nil {
					tm.Values = map[string]map[string]string{}
				}
				tm.Values[col] = m
				return nil
			})
		default:
			err = l.errf(k, p, "unknown key %q, want files, optional, format, records, delimiter, header_rows, encoding, invalid_utf8, "+
				"max_field_bytes, max_record_bytes, max_gzip_ratio, max_document_bytes, columns, same_as, join, time_layouts, duration_layouts, time_zone, "+
				"values, defaults, unmapped, skip_when, keep_when or derive", key)
		}
		return err
	})
	return tm, err
}

// lists reads a mapping of lists, such as keep_when.
func (l *mappingLoader) lists(n *yaml.Node, at string) (map[string][]string, error) {
	var out map[string][]string
	err := l.each(n, at, func(key string, k, v *yaml.Node, p string) error {
		list, err := l.strings(v, p)
		if err != nil {
			return err
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[key] = list
		return nil
	})
	return out, err
}

// join reads {records: …, key: …, on: …}; all three are required.
func (l *mappingLoader) join(n *yaml.Node, at string) (Join, error) {
	var j Join
	err := l.each(n, at, func(key string, k, v *yaml.Node, p string) error {
		var err error
		switch key {
		case "records":
			j.Records, err = l.scalar(v, p)
		case "key":
			j.Key, err = l.scalar(v, p)
		case "on":
			j.On, err = l.scalar(v, p)
		default:
			err = l.errf(k, p, "unknown key %q, want records, key or on", key)
		}
		return err
	})
	if err == nil && (j.Records == "" || j.Key == "" || j.On == "") {
		err = l.errf(n, at, "a join needs records, key and on")
	}
	return j, err
}

// rules reads the list of derive rules of a column.
func (l *mappingLoader) rules(n *yaml.Node, at string) ([]DeriveRule, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, l.errf(n, at, "want a list of rules, got %s", describeNode(n))
	}
	var out []DeriveRule
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", at, i)
		l.lines[p] = c.Line
		var r DeriveRule
		err := l.each(c, p, func(key string, k, v *yaml.Node, p string) error {
			var err error
			switch key {
			case "when":
				r.When, err = l.lists(v, p)
			case "when_equal":
				r.WhenEqual, err = l.strings(v, p)
				if err == nil && r.WhenEqual == nil {
					r.WhenEqual = []string{}
				}
			case "when_present":
				r.WhenPresent, err = l.strings(v, p)
				if err == nil && r.WhenPresent == nil {
					r.WhenPresent = []string{}
				}
			case "value":
				var s string
				s, err = l.scalar(v, p)
				r.Value = &s
			case "from":
				r.From, err = l.scalar(v, p)
			default:
				err = l.errf(k, p, "unknown key %q, want when, when_equal, when_present, value or from", key)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// each calls fn for every entry of a YAML mapping, in document order.
// A null node is an empty mapping.
func (l *mappingLoader) each(n *yaml.Node, at string, fn func(key string, k, v *yaml.Node, p string) error) error {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return l.errf(n, at, "YAML aliases are not supported")
	}
	if n.Kind != yaml.MappingNode {
		return l.errf(n, at, "want a mapping, got %s", describeNode(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return l.errf(k, at, "want a plain key, got %s", describeNode(k))
		}
		p := k.Value
		if at != "" {
			p = at + "." + k.Value
		}
		if seen[k.Value] {
			return l.errf(k, p, "key %q appears twice", k.Value)
		}
		seen[k.Value] = true
		l.lines[p] = k.Line
		if err := fn(k.Value, k, v, p); err != nil {
			return err
		}
	}
	return nil
}

func (l *mappingLoader) scalar(n *yaml.Node, at string) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", l.errf(n, at, "want a single value, got %s", describeNode(n))
	}
	return n.Value, nil
}

// int reads a whole number; null is 0.
func (l *mappingLoader) int(n *yaml.Node, at string) (int, error) {
	s, err := l.scalar(n, at)
	if err != nil || s == "" {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 0)
	if err != nil || n.ShortTag() != "!!int" {
		return 0, l.errf(n, at, "want a whole number, got %q", s)
	}
	return int(v), nil
}

// bool reads true or false; null is false.
func (l *mappingLoader) bool(n *yaml.Node, at string) (bool, error) {
	s, err := l.scalar(n, at)
	if err != nil || s == "" {
		return false, err
	}
	v, err := strconv.ParseBool(s)
	if err != nil || n.ShortTag() != "!!bool" {
		return false, l.errf(n, at, "want true or false, got %q", s)
	}
	return v, nil
}

func (l *mappingLoader) strings(n *yaml.Node, at string) ([]string, error) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}, nil
	}
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, l.errf(n, at, "want a list, got %s", describeNode(n))
	}
	var out []string
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", at, i)
		l.lines[p] = c.Line
		s, err := l.scalar(c, p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (l *mappingLoader) stringMap(n *yaml.Node, at string) (map[string]string, error) {
	var out map[string]string
	err := l.each(n, at, func(key string, k, v *yaml.Node, p string) error {
		s, err := l.scalar(v, p)
		if err != nil {
			return err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = s
		return nil
	})
	return out, err
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

func tableList() string {
	names := make([]string, 0, len(Tables()))
	for _, t := range Tables() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

func sortedTables(m map[Table]TableMapping) []Table {
	out := make([]Table, 0, len(m))
	for _, t := range Tables() {
		if _, ok := m[t]; ok {
			out = append(out, t)
		}
	}
	return out
}

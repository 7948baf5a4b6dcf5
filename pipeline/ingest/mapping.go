package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Source formats.
const (
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
	FormatJSON    = "json" // one JSON document per file: an object or an array
)

// Mapping tells how the exports of each table are named and laid out, for
// exports that do not follow the contract's own names (docs/inputs.md
// shows the YAML form read by [LoadMapping]). A table absent from Tables
// uses the zero [TableMapping].
type Mapping struct {
	Tables map[Table]TableMapping `yaml:"tables,omitempty"`
}

// TableMapping tells how the exports of one table are named and laid out.
// Its zero value reads the files named after the table (tickets.csv,
// tickets.csv.gz, tickets.jsonl, tickets.ndjson, tickets.jsonl.gz,
// tickets.parquet) with the contract's column names.
type TableMapping struct {
	// Files are glob patterns (path.Match syntax) relative to the input
	// file system. Every file they match is read, in sorted order, and a
	// pattern that matches nothing is an error.
	Files []string `yaml:"files,omitempty"`
	// Format is csv, jsonl, json or parquet; empty means "from each
	// file's extension" (.json is json). CSV, JSON Lines and JSON
	// documents may be gzip-compressed whatever their name.
	Format string `yaml:"format,omitempty"`
	// Records is the path, in a JSON document, of the array whose
	// elements are the rows ("tickets" for an API page
	// {"tickets": [...]}); empty means the document is itself that array.
	// "ticket_events[].child_events[]" makes one row of every element of
	// the inner arrays, and a column path starting "../" reads the
	// enclosing element. JSON documents, and JSON Lines whose every line
	// is then a document (API pages saved one per line).
	Records string `yaml:"records,omitempty"`
	// MaxDocumentBytes bounds a JSON document, which is read whole; 0
	// means [DefaultMaxDocumentBytes]. A larger one ends the read with an
	// error wrapping [ErrDocumentTooLarge].
	MaxDocumentBytes int `yaml:"max_document_bytes,omitempty"`
	// Join adds to each row of a JSON document a member holding the
	// element of another array of the same document whose key equals the
	// row's value: metric_set: {records: metric_sets, key: ticket_id, on: id}
	// lets columns read metric_set.solved_at. See [Join].
	Join map[string]Join `yaml:"join,omitempty"`
	// KeepWhen lists, per path of a JSON or JSON Lines row, the export
	// values a row must have to be read: a row whose value is missing or
	// not listed is skipped, counted like the rows of SkipWhen
	// (event_type: [Comment] keeps the comments of a ticket's events).
	KeepWhen map[string][]string `yaml:"keep_when,omitempty"`
	// Derive computes a contract column of a JSON or JSON Lines row by
	// the first of its rules whose conditions hold (see [DeriveRule]),
	// instead of reading it from a member.
	Derive map[string][]DeriveRule `yaml:"derive,omitempty"`
	// Delimiter is the CSV field delimiter, one character; empty means ",".
	Delimiter string `yaml:"delimiter,omitempty"`
	// HeaderRows is the number of header rows at the top of a CSV file;
	// 0 means 1. Column names come from the first; the others (a
	// SurveyMonkey export's row of answer options) are read and dropped,
	// and count as neither read nor rejected rows. At most
	// [MaxHeaderRows].
	HeaderRows int `yaml:"header_rows,omitempty"`
	// Optional makes a table whose file patterns match nothing a table
	// without input, skipped like a table without its default files,
	// instead of an error. Presets set it, since an export may lack some
	// of the tables its source can produce.
	Optional bool `yaml:"optional,omitempty"`
	// Encoding is the character encoding of CSV and JSON Lines files:
	// utf-8 (empty means utf-8), windows-1252, iso-8859-1 (or latin-1),
	// utf-16 (which must start with a byte order mark), utf-16le or
	// utf-16be. A UTF-8 byte order mark is ignored.
	Encoding string `yaml:"encoding,omitempty"`
	// InvalidUTF8 says what becomes of a value that is not valid UTF-8:
	// quarantine (empty means quarantine) rejects its row, naming the
	// column and the bytes; replace replaces each invalid sequence with
	// U+FFFD and keeps the row.
	InvalidUTF8 string `yaml:"invalid_utf8,omitempty"`
	// MaxFieldBytes and MaxRecordBytes bound a CSV field (unquoted) and a
	// CSV record or JSON line (as read, line ends included); 0 means
	// [DefaultMaxFieldBytes] and [DefaultMaxRecordBytes]. A longer one is
	// rejected without being read into memory whole.
	MaxFieldBytes  int `yaml:"max_field_bytes,omitempty"`
	MaxRecordBytes int `yaml:"max_record_bytes,omitempty"`
	// MaxGzipRatio bounds how many times more bytes a gzip-compressed
	// file may decompress to than it has; 0 means [DefaultMaxGzipRatio].
	// A file that decompresses to more ends the read with an error
	// wrapping [ErrGzipRatio].
	MaxGzipRatio int `yaml:"max_gzip_ratio,omitempty"`
	// Columns maps a contract column to the column (CSV header, JSON key,
	// Parquet field) that holds it in the export. Unmapped contract
	// columns are looked up by their own name.
	Columns map[string]string `yaml:"columns,omitempty"`
	// SameAs lets a contract column read the export column of another
	// (response_id: ticket_id): for exports where one value means two
	// things, such as a ticket's id that also keys its one satisfaction
	// rating. Without it no two contract columns may read one export
	// column. The column read from must not itself be under SameAs, and
	// the column reading must be neither under Columns nor under Defaults.
	SameAs map[string]string `yaml:"same_as,omitempty"`
	// TimeLayouts maps a Time contract column to a Go time layout, or to
	// "unix" or "unix_ms" for seconds or milliseconds since the epoch. A
	// value that does not fit the layout is still accepted as RFC 3339.
	TimeLayouts map[string]string `yaml:"time_layouts,omitempty"`
	// DurationLayouts maps a duration contract column (the vendor_*
	// columns of tickets) to the way the export writes it: minutes (the
	// default), hours, seconds (decimal numbers), hh:mm:ss or hh:mm.
	DurationLayouts map[string]string `yaml:"duration_layouts,omitempty"`
	// TimeZone is the IANA zone of times written without an offset; it
	// overrides [Options.Location].
	TimeZone string `yaml:"time_zone,omitempty"`
	// Values maps, per contract column, export values to contract values
	// (channel: {web_widget: chat, Mail: email}). Export values match
	// case-insensitively after trimming space; a value mapped to "" is
	// missing.
	Values map[string]map[string]string `yaml:"values,omitempty"`
	// Defaults holds a constant value for contract columns the export
	// lacks (scale_min: "1"). It is used when a CSV or Parquet file has no
	// such column, or a JSON line has no such key.
	Defaults map[string]string `yaml:"defaults,omitempty"`
	// Unmapped gives, per enum contract column, the contract value that
	// export values outside the column's vocabulary (after Values) become
	// (status: open, channel: other), so their rows are kept; the reader
	// counts them (see [Reader.Unmapped]). Without it such a row is
	// rejected.
	Unmapped map[string]string `yaml:"unmapped,omitempty"`
	// SkipWhen lists, per contract column, export values that mark a row
	// as a legitimate non-event, such as a survey offered but not answered
	// (score: [offered, unoffered]). Such a row is skipped: counted (see
	// [Counts] and [Reader.Skips]), neither accepted nor rejected. Its
	// required values may be missing, but a value present must still be
	// valid, or the row is rejected. Values match like Values keys and
	// cannot be empty.
	SkipWhen map[string][]string `yaml:"skip_when,omitempty"`
}

// MaxHeaderRows is the largest [TableMapping.HeaderRows].
const MaxHeaderRows = 100

// Limits on a file's bytes that a [TableMapping] does not set.
const (
	DefaultMaxFieldBytes  = 1 << 20 // 1 MiB
	DefaultMaxRecordBytes = 8 << 20 // 8 MiB
	DefaultMaxGzipRatio   = 1000
	// DefaultMaxDocumentBytes bounds a JSON document: 256 MiB, some
	// 100,000 Zendesk tickets with their metric sets, far more than one
	// API page holds.
	DefaultMaxDocumentBytes = 256 << 20
)

// Join names the side-load of a JSON document that a [TableMapping.Join]
// adds to each row.
type Join struct {
	// Records is the dotted path, from the document's root, of the array
	// of elements to join (metric_sets).
	Records string `yaml:"records"`
	// Key is the path, in each of those elements, of the value to match
	// (ticket_id).
	Key string `yaml:"key"`
	// On is the path, in the row, of the value it must equal (id).
	On string `yaml:"on"`
}

// DeriveRule is one rule of a [TableMapping.Derive]: when all its
// conditions hold (a rule without any always holds), the column takes
// Value, or the export value at the path From.
type DeriveRule struct {
	// When lists, per path of the row, export values of which the row's
	// must be one (compared ignoring case and surrounding space; a
	// missing value is none of them): public: ["false"].
	When map[string][]string `yaml:"when,omitempty"`
	// WhenEqual is [path, "table.column"]: the row's export value at path
	// equals the column of the row's entry in a table read earlier in
	// the same run, found by that table's key (author_id equals the
	// customer_id of the ticket whose ticket_id is the row's ticket_id).
	WhenEqual []string `yaml:"when_equal,omitempty"`
	// WhenPresent lists paths at each of which the row must have a value:
	// a member that is there and is neither null nor empty text (an
	// object or an array is a value). stats.reopened_at tells a ticket
	// that was reopened from one that never was.
	WhenPresent []string `yaml:"when_present,omitempty"`
	// Value is the value the column takes; "" makes it missing.
	Value *string `yaml:"value,omitempty"`
	// From is a path whose export value the column takes instead.
	From string `yaml:"from,omitempty"`
}

// defaultExts returns the file name endings tried for a table without
// mapped files.
func defaultExts() []string {
	return []string{".csv", ".csv.gz", ".jsonl", ".ndjson", ".jsonl.gz", ".parquet"}
}

// formatOf returns the format implied by a file name, or "".
func formatOf(name string) string {
	name = strings.ToLower(name)
	gz := strings.HasSuffix(name, ".gz")
	switch path.Ext(strings.TrimSuffix(name, ".gz")) {
	case ".csv":
		return FormatCSV
	case ".jsonl", ".ndjson":
		return FormatJSONL
	case ".json":
		return FormatJSON
	case ".parquet":
		if !gz {
			return FormatParquet
		}
	}
	return ""
}

func mappingErr(p string, format string, args ...any) *MappingError {
	return &MappingError{Path: p, Err: fmt.Errorf(format, args...)}
}

// compile checks a table's mapping against its contract and builds the
// plan that reads its files. loc is the zone for times without offset
// when the mapping names none; nil means UTC. Errors are *MappingError
// with a path relative to the table.
func compile(spec Spec, m TableMapping, loc *time.Location) (*plan, error) {
	if loc == nil {
		loc = time.UTC
	}
	p := &plan{spec: spec, files: m.Files, format: m.Format, delim: ',', mapping: m}
	p.setWindow(Window{})
	switch m.Format {
	case "", FormatCSV, FormatJSONL, FormatJSON, FormatParquet:
	default:
		return nil, mappingErr("format", "unknown format %q, want csv, jsonl, json or parquet", m.Format)
	}
	if m.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(m.Delimiter)
		if n != len(m.Delimiter) || r == utf8.RuneError || r == 0 || r == '"' || r == '\r' || r == '\n' || r == 0xFEFF {
			return nil, mappingErr("delimiter", "bad delimiter %q, want one character other than a quote or line break", m.Delimiter)
		}
		if m.Format != "" && m.Format != FormatCSV {
			return nil, mappingErr("delimiter", "a delimiter applies to CSV only, not %s", m.Format)
		}
		p.delim = r
	}
	switch {
	case m.HeaderRows < 0 || m.HeaderRows > MaxHeaderRows:
		return nil, mappingErr("header_rows", "%d header rows, want 1 to %d", m.HeaderRows, MaxHeaderRows)
	case m.HeaderRows > 1 && m.Format != "" && m.Format != FormatCSV:
		return nil, mappingErr("header_rows", "header rows apply to CSV only, not %s", m.Format)
	}
	p.headerRows, p.optional = max(m.HeaderRows, 1), m.Optional
	enc, err := textEncoding(m.Encoding)
	if err != nil {
		return nil, mappingErr("encoding", "%w", err)
	}
	if enc != nil && m.Format == FormatParquet {
		return nil, mappingErr("encoding", "an encoding applies to CSV and JSON Lines, not parquet")
	}
	p.enc = enc
	switch strings.ToLower(m.InvalidUTF8) {
	case "", "quarantine":
	case "replace":
		p.replaceUTF8 = true
	default:
		return nil, mappingErr("invalid_utf8", "unknown rule %q, want quarantine or replace", m.InvalidUTF8)
	}
	p.maxField, p.maxRecord, p.gzipRatio = DefaultMaxFieldBytes, DefaultMaxRecordBytes, DefaultMaxGzipRatio
	for _, l := range []struct {
		key string
		v   int
		to  *int
	}{
		{"max_field_bytes", m.MaxFieldBytes, &p.maxField},
		{"max_record_bytes", m.MaxRecordBytes, &p.maxRecord},
		{"max_gzip_ratio", m.MaxGzipRatio, &p.gzipRatio},
	} {
		switch {
		case l.v < 0:
			return nil, mappingErr(l.key, "%d is negative", l.v)
		case l.v > 0:
			*l.to = l.v
		}
	}
	for i, f := range m.Files {
		if _, err := path.Match(f, ""); err != nil || f == "" || !fs.ValidPath(f) {
			return nil, mappingErr(fmt.Sprintf("files[%d]", i), "bad file pattern %q, want a slash-separated glob relative to the input directory", f)
		}
	}
	if m.TimeZone != "" {
		l, err := time.LoadLocation(m.TimeZone)
		if err != nil {
			return nil, mappingErr("time_zone", "bad time zone %q: %w", m.TimeZone, err)
		}
		loc = l
	}
	cols := make([]column, len(spec.Columns))
	for i, c := range spec.Columns {
		cols[i] = column{Column: c, source: c.Name, time: timeFormat{loc: loc}, since: -1}
	}
	lookup := func(section, name string) (*column, error) {
		i := spec.Index(name)
		if i < 0 {
			return nil, mappingErr(section+"."+name, "unknown contract column %q of table %s", name, spec.Table)
		}
		return &cols[i], nil
	}
	for _, name := range sortedKeys(m.Columns) {
		c, err := lookup("columns", name)
		if err != nil {
			return nil, err
		}
		src := m.Columns[name]
		if strings.TrimSpace(src) == "" {
			return nil, mappingErr("columns."+name, "empty source column name")
		}
		c.source, c.mapped = src, "columns."+name
	}
	for _, name := range sortedKeys(m.SameAs) {
		c, err := lookup("same_as", name)
		if err != nil {
			return nil, err
		}
		at := "same_as." + name
		other := strings.TrimSpace(m.SameAs[name])
		o, err := lookup("same_as", other)
		switch {
		case err != nil:
			return nil, mappingErr(at, "unknown contract column %q of table %s", m.SameAs[name], spec.Table)
		case o == c:
			return nil, mappingErr(at, "%s cannot read the same column as itself", name)
		case m.Columns[name] != "":
			return nil, mappingErr(at, "%s is also under columns; give it one source", name)
		case m.SameAs[other] != "":
			return nil, mappingErr(at, "%s is itself under same_as; name the column it reads from", other)
		}
		if _, ok := m.Defaults[name]; ok {
			return nil, mappingErr(at, "%s also has a default; a default is for a column the export lacks", name)
		}
		c.source, c.mapped, c.sameAs = o.source, at, o.Name
	}
	for _, name := range sortedKeys(m.Derive) {
		c, err := lookup("derive", name)
		if err != nil {
			return nil, err
		}
		if m.Columns[name] != "" || m.SameAs[name] != "" {
			return nil, mappingErr("derive."+name, "%s is also under columns or same_as; give it one source", name)
		}
		c.derived = true
	}
	if err := distinctSources(cols); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(m.TimeLayouts) {
		c, err := lookup("time_layouts", name)
		if err != nil {
			return nil, err
		}
		layout := m.TimeLayouts[name]
		switch {
		case c.Kind != Time:
			return nil, mappingErr("time_layouts."+name, "column %s is a %v, not a timestamp", name, c.Kind)
		case layout == LayoutUnix || layout == LayoutUnixMS || validLayout(layout):
			c.time.layout = layout
		default:
			return nil, mappingErr("time_layouts."+name, "bad time layout %q: want a Go layout with year, month and day (like \"2006-01-02 15:04:05\"), unix or unix_ms", layout)
		}
	}
	for _, name := range sortedKeys(m.DurationLayouts) {
		c, err := lookup("duration_layouts", name)
		if err != nil {
			return nil, err
		}
		layout := strings.TrimSpace(m.DurationLayouts[name])
		at := "duration_layouts." + name
		start, since := strings.CutPrefix(layout, DurationSince)
		switch {
		case c.Kind != Duration:
			return nil, mappingErr(at, "column %s is a %v, not a duration", name, c.Kind)
		case since:
			start = strings.TrimSpace(start)
			k := spec.Index(start)
			if k < 0 || cols[k].Kind != Time {
				return nil, mappingErr(at, "bad duration layout %q: %q is no timestamp column of table %s, want %sCOLUMN naming one", m.DurationLayouts[name], start, spec.Table, DurationSince)
			}
			// The end is read as the start is: same zone and layout.
			c.since, c.time, layout = k, cols[k].time, DurationSince+start
		case !validDurationLayout(layout):
			return nil, mappingErr(at, "bad duration layout %q, want one of %s, or %sCOLUMN", m.DurationLayouts[name], strings.Join(durationLayouts(), ", "), DurationSince)
		}
		c.dur = layout
	}
	for _, name := range sortedKeys(m.Values) {
		c, err := lookup("values", name)
		if err != nil {
			return nil, err
		}
		if err := c.setValues(m.Values[name], "values."+name); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(m.Defaults) {
		c, err := lookup("defaults", name)
		if err != nil {
			return nil, err
		}
		v, err := c.text(m.Defaults[name])
		if err == nil && !v.valid {
			err = errors.New("empty default")
		}
		if err != nil {
			return nil, mappingErr("defaults."+name, "bad default for %s: %w", name, err)
		}
		c.def, c.hasDef = v, true
	}
	for _, name := range sortedKeys(m.SkipWhen) {
		c, err := lookup("skip_when", name)
		if err != nil {
			return nil, err
		}
		if err := c.setSkip(m.SkipWhen[name], "skip_when."+name); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(m.Unmapped) {
		c, err := lookup("unmapped", name)
		if err != nil {
			return nil, err
		}
		if c.Kind != Enum {
			return nil, mappingErr("unmapped."+name, "column %s is a %v: only an enum column has a vocabulary to fall back from", name, c.Kind)
		}
		want := strings.TrimSpace(m.Unmapped[name])
		k := slices.IndexFunc(c.Values, func(v string) bool { return strings.EqualFold(v, want) })
		if k < 0 {
			return nil, mappingErr("unmapped."+name, "bad catch-all %q for %s, want one of %s", m.Unmapped[name], name, strings.Join(c.Values, ", "))
		}
		c.unmapped = c.Values[k]
	}
	p.cols = cols
	for i, c := range cols {
		if c.skip != nil {
			p.skipCols = append(p.skipCols, i)
		}
		if c.since >= 0 {
			p.sinceCols = append(p.sinceCols, i)
		}
		if c.mapped != "" && !c.hasDef && !c.derived {
			p.mustSee = append(p.mustSee, i)
		}
	}
	if p.json, err = compileJSON(spec, m, cols); err != nil {
		return nil, err
	}
	rule, err := rowRule(spec)
	if err != nil {
		return nil, err
	}
	p.rule = rule
	for _, k := range spec.Key {
		i := spec.Index(k)
		if i < 0 {
			return nil, fmt.Errorf("ingest: key column %s is not a column of %s", k, spec.Table)
		}
		p.key = append(p.key, i)
		p.keyName = append(p.keyName, k)
	}
	return p, nil
}

// distinctSources checks that no two contract columns read the same
// export column, as columns match names: ignoring case and surrounding
// space. Every contract column means something else, so one export
// column feeding two is a slip of the mapping, such as a line copied and
// half edited.
func distinctSources(cols []column) error {
	seen := make(map[string]int, len(cols))
	for i := range cols {
		c := &cols[i]
		if c.sameAs != "" || c.derived {
			continue // reads another column's source, as the mapping says, or none
		}
		key := strings.ToLower(strings.TrimSpace(c.source))
		j, dup := seen[key]
		if !dup {
			seen[key] = i
			continue
		}
		at := c.mapped // name the mapping key, the later one if both are mapped
		if at == "" {
			at = cols[j].mapped
		}
		return mappingErr(at, "contract columns %s and %s would both read export column %q; map each from a column of its own", cols[j].Name, c.Name, c.source)
	}
	return nil
}

// setSkip installs the export values that make a row skipped.
func (c *column) setSkip(values []string, at string) error {
	if len(values) == 0 {
		return mappingErr(at, "no values listed")
	}
	c.skip = make(map[string]string, len(values))
	for i, v := range values {
		key := strings.ToLower(strings.TrimSpace(v))
		if key == "" {
			return mappingErr(fmt.Sprintf("%s[%d]", at, i), "an empty value cannot mark a skipped row: a missing value is bad data, not a non-event")
		}
		if _, ok := c.values[key]; ok {
			return mappingErr(fmt.Sprintf("%s[%d]", at, i), "%q is also mapped under values.%s; give it one meaning", v, c.Name)
		}
		c.skip[key] = c.Name + ": " + strings.TrimSpace(v)
	}
	return nil
}

// setValues installs a value mapping on the column, checking that every
// target is a valid value of the column.
func (c *column) setValues(m map[string]string, at string) error {
	values := make(map[string]string, len(m))
	orig := make(map[string]string, len(m))
	for _, from := range sortedKeys(m) {
		to := m[from]
		key := strings.ToLower(strings.TrimSpace(from))
		if key == "" {
			return mappingErr(at, "an empty value cannot be mapped; use defaults for absent columns")
		}
		if prev, ok := orig[key]; ok && values[key] != strings.TrimSpace(to) {
			return mappingErr(at+"."+from, "%q and %q differ only in case or space but map to different values", prev, from)
		}
		if to = strings.TrimSpace(to); to != "" {
			if _, err := c.text(to); err != nil {
				return mappingErr(at+"."+from, "bad target for %s: %w", c.Name, err)
			}
		}
		values[key], orig[key] = to, from
	}
	c.values = values
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

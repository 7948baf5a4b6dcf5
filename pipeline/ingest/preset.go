package ingest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

//go:embed presets/*.yaml
var presetFiles embed.FS

// PresetInfo describes one preset: a mapping, embedded in the binary, of
// the exports a helpdesk or survey tool produces as they come.
type PresetInfo struct {
	Name    string // what -preset and preset: take, such as "zendesk-csv"
	Summary string // one line for listings
}

// ErrUnknownPreset is the error of [Preset] for a name that is not one of
// [Presets].
var ErrUnknownPreset = errors.New("ingest: unknown preset")

// Presets lists the embedded presets in the order listings show them.
// Each one's mapping is presets/<name>.yaml; docs/presets.md describes
// them.
func Presets() []PresetInfo {
	return []PresetInfo{
		{"zendesk-csv", "Zendesk Support ticket export, CSV (tickets and satisfaction ratings)"},
		{"zendesk-api", "Zendesk Support API pages, JSON (incremental tickets with metric sets, ticket events with comments, satisfaction ratings)"},
		{"freshdesk-csv", "Freshdesk ticket export and satisfaction ratings, CSV"},
		{"freshdesk-api", "Freshdesk API v2 responses, JSON (tickets with stats, conversations, satisfaction ratings)"},
		{"surveymonkey", "SurveyMonkey \"all individual responses\" export, CSV with expanded columns (NPS)"},
		{"delighted", "Delighted API survey responses, JSON (NPS, CSAT and CES by survey type)"},
	}
}

// PresetSource returns the YAML text of the named preset, the mapping a
// user can copy to write one of their own.
func PresetSource(name string) ([]byte, error) {
	presets := Presets()
	if !slices.ContainsFunc(presets, func(p PresetInfo) bool { return p.Name == name }) {
		names := make([]string, len(presets))
		for i, p := range presets {
			names[i] = p.Name
		}
		return nil, fmt.Errorf("%w %q, want one of %s", ErrUnknownPreset, name, strings.Join(names, ", "))
	}
	return presetFiles.ReadFile("presets/" + name + ".yaml")
}

// Preset returns the mapping of the named preset.
func Preset(name string) (Mapping, error) {
	b, err := PresetSource(name)
	if err != nil {
		return Mapping{}, err
	}
	return LoadMapping(bytes.NewReader(b), "preset "+name)
}

// Override returns m with the keys that over sets laid over it, table by
// table and key by key, so that a user's mapping can start from a preset
// and change a few keys:
//
//   - a table that only one of the two has is taken as it is;
//   - a single-valued key (files, format, delimiter, header_rows,
//     encoding, invalid_utf8, the size limits, time_zone, records) that over sets
//     replaces m's; files are replaced as a whole list;
//   - optional is over's when over sets files, else true if either is;
//   - columns, same_as, time_layouts, defaults and unmapped are merged per contract
//     column, over's entry replacing m's;
//   - values are merged per contract column and export value, export
//     values compared as they match (ignoring case and surrounding space);
//   - skip_when lists are replaced per contract column, keep_when lists
//     per path, joins per name and derive rules per contract column
//     (the column's whole list of rules).
//
// A key cannot be removed this way; copy the preset ([PresetSource]) to
// do that. The result must still be checked with [CheckMapping]. Neither
// m nor over is modified.
func (m Mapping) Override(over Mapping) Mapping {
	out := Mapping{Tables: make(map[Table]TableMapping, len(m.Tables)+len(over.Tables))}
	for t, tm := range m.Tables {
		out.Tables[t] = tm
	}
	for t, o := range over.Tables {
		base, ok := out.Tables[t]
		if !ok {
			out.Tables[t] = o
			continue
		}
		out.Tables[t] = base.override(o)
	}
	if len(out.Tables) == 0 {
		out.Tables = nil
	}
	return out
}

func (b TableMapping) override(o TableMapping) TableMapping {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setInt := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	if o.Files != nil {
		b.Files, b.Optional = slices.Clone(o.Files), o.Optional
	} else {
		b.Optional = b.Optional || o.Optional
	}
	set(&b.Format, o.Format)
	set(&b.Records, o.Records)
	setInt(&b.MaxDocumentBytes, o.MaxDocumentBytes)
	set(&b.Delimiter, o.Delimiter)
	set(&b.Encoding, o.Encoding)
	set(&b.InvalidUTF8, o.InvalidUTF8)
	set(&b.TimeZone, o.TimeZone)
	setInt(&b.HeaderRows, o.HeaderRows)
	setInt(&b.MaxFieldBytes, o.MaxFieldBytes)
	setInt(&b.MaxRecordBytes, o.MaxRecordBytes)
	setInt(&b.MaxGzipRatio, o.MaxGzipRatio)
	b.Columns = mergeMap(b.Columns, o.Columns)
	b.SameAs = mergeMap(b.SameAs, o.SameAs)
	b.TimeLayouts = mergeMap(b.TimeLayouts, o.TimeLayouts)
	b.DurationLayouts = mergeMap(b.DurationLayouts, o.DurationLayouts)
	b.Defaults = mergeMap(b.Defaults, o.Defaults)
	b.Unmapped = mergeMap(b.Unmapped, o.Unmapped)
	b.SkipWhen = mergeMap(b.SkipWhen, o.SkipWhen)
	b.KeepWhen = mergeMap(b.KeepWhen, o.KeepWhen)
	b.Join = mergeMap(b.Join, o.Join)
	b.Derive = mergeMap(b.Derive, o.Derive)
	if o.Values != nil {
		values := make(map[string]map[string]string, len(b.Values)+len(o.Values))
		for col, vs := range b.Values {
			values[col] = maps.Clone(vs)
		}
		norm := func(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
		for col, vs := range o.Values {
			dst := values[col]
			if dst == nil {
				dst = make(map[string]string, len(vs))
				values[col] = dst
			}
			replaced := make(map[string]bool, len(vs))
			for from := range vs {
				replaced[norm(from)] = true
			}
			for old := range dst {
				if replaced[norm(old)] {
					delete(dst, old)
				}
			}
			maps.Copy(dst, vs)
		}
		b.Values = values
	}
	return b
}

// mergeMap returns a copy of base with over's entries laid over it; nil
// when both are empty.
func mergeMap[V any](base, over map[string]V) map[string]V {
	if len(over) == 0 {
		return base
	}
	out := make(map[string]V, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

// CheckMapping checks a mapping against the contract, as [LoadMapping]
// does after reading one, for a mapping built otherwise (a preset with a
// user's keys laid over it). name is used in error messages, which are
// *[MappingError] naming the key path.
func CheckMapping(m Mapping, name string) error {
	return checkMapping(m, name, func(string) int { return 0 })
}

func checkMapping(m Mapping, name string, line func(path string) int) error {
	for _, t := range sortedTables(m.Tables) {
		spec, err := SpecOf(t)
		if err != nil {
			return err
		}
		if _, err := compile(spec, m.Tables[t], nil); err != nil {
			var me *MappingError
			if !errors.As(err, &me) {
				return err
			}
			p := "tables." + string(t)
			if me.Path != "" {
				p += "." + me.Path
			}
			return &MappingError{Name: name, Line: line(p), Path: p, Err: me.Err}
		}
	}
	for t := range m.Tables {
		if _, err := SpecOf(t); err != nil {
			return &MappingError{Name: name, Path: "tables." + string(t), Err: fmt.Errorf("unknown table %q, want one of %s", t, tableList())}
		}
	}
	return nil
}

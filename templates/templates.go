// Package templates holds the text of the reports, one file per locale,
// and the typeface they are set in, embedded into the binary.
//
// A locale file, text/<locale>.yaml, is a tree of YAML mappings whose
// leaves are strings. [Load] flattens it into dotted keys: the leaf
// "no_data" under "report" is the key "report.no_data". Values may hold
// named placeholders such as "{page}", replaced by [Text.Fill].
//
// The typeface is DejaVu Sans (fonts/, with its license), which covers
// Latin, Greek and Cyrillic, so that every locale renders with the same
// font; [Font] returns its TrueType files.
package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed text/*.yaml fonts/*.ttf
var files embed.FS

// FontFamily is the name of the typeface returned by [Font].
const FontFamily = "DejaVu Sans"

// ErrUnknownLocale is returned by [Load] for a locale that has no text
// file.
var ErrUnknownLocale = errors.New("templates: unknown locale")

// Text is the text of one locale. Its zero value holds no strings, so
// every lookup falls back as documented on its methods.
type Text struct {
	locale  string
	strings map[string]string
}

// Font returns the TrueType file of the reports' typeface, DejaVu Sans,
// in its bold or regular weight. Each call returns a new copy.
func Font(bold bool) ([]byte, error) {
	name := "fonts/DejaVuSans.ttf"
	if bold {
		name = "fonts/DejaVuSans-Bold.ttf"
	}
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("templates: read %s: %w", name, err)
	}
	return b, nil
}

// Locales returns the locales that have a text file, sorted.
func Locales() []string {
	entries, err := fs.ReadDir(files, "text")
	if err != nil {
		return nil // the directory is embedded; it cannot be missing
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Load reads the text of locale, such as "en". A locale with no text file
// gives an error wrapping [ErrUnknownLocale] that lists the known ones.
func Load(locale string) (*Text, error) {
	if locale == "" || strings.ContainsAny(locale, `/\.`) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownLocale, locale, strings.Join(Locales(), ", "))
	}
	name := path.Join("text", locale+".yaml")
	b, err := files.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownLocale, locale, strings.Join(Locales(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("templates: read %s: %w", name, err)
	}
	m, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", name, err)
	}
	return &Text{locale: locale, strings: m}, nil
}

// parse flattens a YAML tree of mappings with scalar leaves into dotted
// keys.
func parse(b []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	m := map[string]string{}
	if len(doc.Content) == 0 {
		return m, nil
	}
	if err := flatten(m, "", doc.Content[0]); err != nil {
		return nil, err
	}
	return m, nil
}

func flatten(m map[string]string, prefix string, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "" || strings.Contains(k.Value, ".") {
				return fmt.Errorf("line %d: key must be a plain name without dots", k.Line)
			}
			key := k.Value
			if prefix != "" {
				key = prefix + "." + key
			}
			if err := flatten(m, key, v); err != nil {
				return err
			}
		}
		return nil
	case yaml.ScalarNode:
		if prefix == "" {
			return fmt.Errorf("line %d: top level must be a mapping", n.Line)
		}
		if n.Tag == "!!null" {
			return fmt.Errorf("line %d: %s: empty value", n.Line, prefix)
		}
		if _, dup := m[prefix]; dup {
			return fmt.Errorf("line %d: %s: defined twice", n.Line, prefix)
		}
		m[prefix] = n.Value
		return nil
	default:
		return fmt.Errorf("line %d: %s: value must be a string or a mapping", n.Line, prefix)
	}
}

// Locale returns the locale the text was loaded for.
func (t *Text) Locale() string { return t.locale }

// Lookup returns the string of key and whether the locale defines it.
func (t *Text) Lookup(key string) (string, bool) {
	s, ok := t.strings[key]
	return s, ok
}

// Get returns the string of key, or the key itself when the locale does
// not define it, so that a missing string shows in the output rather than
// vanishing.
func (t *Text) Get(key string) string {
	if s, ok := t.strings[key]; ok {
		return s
	}
	return key
}

// Fill returns the string of key (as [Text.Get]) with its placeholders
// replaced: pairs alternate names and values, so Fill("report.page",
// "page", "2", "pages", "5") turns "{page} of {pages}" into "2 of 5".
// A trailing name without a value is ignored.
func (t *Text) Fill(key string, pairs ...string) string {
	s := t.Get(key)
	if len(pairs) < 2 {
		return s
	}
	old := make([]string, 0, len(pairs)&^1)
	for i := 0; i+1 < len(pairs); i += 2 {
		old = append(old, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(old...).Replace(s)
}

// Metric returns the display name of a metric, the string of key
// "metric.<name>", or name itself for a metric the locale does not know.
func (t *Text) Metric(name string) string {
	return t.Or("metric."+name, name)
}

// Or returns the string of key, or fallback when the locale does not
// define it. Use it for names that come from data, such as channels.
func (t *Text) Or(key, fallback string) string {
	if s, ok := t.strings[key]; ok {
		return s
	}
	return fallback
}

// Keys returns every key the locale defines, sorted.
func (t *Text) Keys() []string {
	out := make([]string, 0, len(t.strings))
	for k := range t.strings {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

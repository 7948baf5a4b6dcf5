package ingest

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKind is the kind of a member value of a JSON object.
type jsonKind uint8

const (
	jsonString jsonKind = iota
	jsonNumber
	jsonBool
	jsonNull
	jsonNested // an object or an array
)

// maxJSONDepth bounds the nesting of values skipped inside a line.
const maxJSONDepth = 512

// jsonSyntaxError is a JSON syntax error at a byte offset of a line.
type jsonSyntaxError struct {
	off int
	msg string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off+1) }

// parseObject parses s, which must hold exactly one JSON object, and calls
// visit for each member in order with its 1-based index, its decoded key,
// and its value: a decoded string, a number's text, "true" or "false", ""
// for null, or the raw text of a nested value; raw is the value's text as
// written. It works on the string in place: strings without escapes are
// substrings of s.
func parseObject(s string, visit func(idx int, key string, kind jsonKind, val, raw string)) error {
	p := jsonParser{s: s}
	p.space()
	if !p.eat('{') {
		return p.fail("want a JSON object")
	}
	p.space()
	if p.eat('}') {
		return p.end()
	}
	for idx := 1; ; idx++ {
		p.space()
		if p.peek() != '"' {
			return p.fail("want a member name")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.eat(':') {
			return p.fail("want ':' after member name")
		}
		p.space()
		start := p.i
		kind, val, err := p.value(0)
		if err != nil {
			return err
		}
		raw := s[start:p.i]
		if kind == jsonNested {
			val = raw
		}
		visit(idx, key, kind, val, raw)
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return p.end()
		}
		return p.fail("want ',' or '}'")
	}
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) fail(msg string) error {
	if p.i >= len(p.s) {
		return &jsonSyntaxError{off: p.i, msg: msg + ", got end of line"}
	}
	return &jsonSyntaxError{off: p.i, msg: fmt.Sprintf("%s, got %q", msg, p.s[p.i])}
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) end() error {
	p.space()
	if p.i != len(p.s) {
		return p.fail("want end of line after the object")
	}
	return nil
}

// value parses one value. Nested values are checked and skipped.
func (p *jsonParser) value(depth int) (jsonKind, string, error) {
	switch c := p.peek(); {
	case c == '"':
		s, err := p.str()
		return jsonString, s, err
	case c == '-' || ('0' <= c && c <= '9'):
		s, err := p.number()
		return jsonNumber, s, err
	case c == 't':
		return jsonBool, "true", p.literal("true")
	case c == 'f':
		return jsonBool, "false", p.literal("false")
	case c == 'n':
		return jsonNull, "", p.literal("null")
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return 0, "", p.fail("value nested too deep")
		}
		return jsonNested, "", p.nested(depth + 1)
	}
	return 0, "", p.fail("want a value")
}

func (p *jsonParser) literal(word string) error {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return nil
	}
	return p.fail("want " + word)
}

func (p *jsonParser) nested(depth int) error {
	open := p.s[p.i]
	p.i++
	p.space()
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	if p.eat(closing) {
		return nil
	}
	for {
		p.space()
		if open == '{' {
			if p.peek() != '"' {
				return p.fail("want a member name")
			}
			if _, err := p.str(); err != nil {
				return err
			}
			p.space()
			if !p.eat(':') {
				return p.fail("want ':' after member name")
			}
			p.space()
		}
		if _, _, err := p.value(depth); err != nil {
			return err
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if p.eat(closing) {
			return nil
		}
		return p.fail(fmt.Sprintf("want ',' or '%c'", closing))
	}
}

func (p *jsonParser) number() (string, error) {
	start := p.i
	p.eat('-')
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return "", p.fail("want a digit")
	}
	if p.eat('.') {
		if !p.digits() {
			return "", p.fail("want a digit after '.'")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return "", p.fail("want a digit in exponent")
		}
	}
	return p.s[start:p.i], nil
}

func (p *jsonParser) digits() bool {
	start := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// str parses a string at p.i (which holds '"') and returns it decoded.
// Invalid UTF-8 and lone surrogates become U+FFFD, as in encoding/json.
func (p *jsonParser) str() (string, error) {
	start := p.i + 1
	simple := true
	j := start
	for {
		if j >= len(p.s) {
			p.i = j
			return "", p.fail("unterminated string")
		}
		c := p.s[j]
		if c == '"' {
			break
		}
		if c < 0x20 {
			p.i = j
			return "", p.fail("control character in string")
		}
		if c == '\\' || c >= utf8.RuneSelf {
			simple = false
			if c == '\\' {
				j++
			}
		}
		j++
	}
	p.i = j + 1
	if simple {
		return p.s[start:j], nil
	}
	return p.unquote(start, j)
}

func (p *jsonParser) unquote(start, end int) (string, error) {
	b := make([]byte, 0, end-start)
	for i := start; i < end; {
		c := p.s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(p.s[i:end])
			b = utf8.AppendRune(b, r) // RuneError for invalid bytes
			i += size
			continue
		}
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		i++
		switch p.s[i] {
		case '"', '\\', '/':
			b = append(b, p.s[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(p.s, i+1, end)
			if !ok {
				p.i = i
				return "", p.fail("bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+2 < end && p.s[i+1] == '\\' && p.s[i+2] == 'u' {
					r2, ok = hex4(p.s, i+3, end)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			p.i = i
			return "", p.fail("bad escape")
		}
		i++
	}
	return string(b), nil
}

// hex4 decodes the four hex digits at s[i:i+4], which must end before end.
func hex4(s string, i, end int) (rune, bool) {
	if i+4 > end {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

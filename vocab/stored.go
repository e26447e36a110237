package vocab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// storedVersion opens the stored form of a Result: a JSON array
//
//	[2, tier, grade, score, scoreTier, [[sector, scheme, sourceGrade, normalisedScore, weight], …], [gate, …], [gate label, …], ruleSet]
//
// Every entity's row holds one, and the object form that json.Marshal writes repeats each
// component's five key names: 537 bytes on average against 239 for the same evaluations
// (100,000 seeded entities), a third of market_entities' data (BENCHMARKS.md). Rows written
// before it hold the object form; UnmarshalJSON reads both, and the next recompute rewrites
// them, since it writes every evaluation whose stored text is not this one.
const storedVersion = 2

// StoredForm is the form in which Stored writes evaluations.
type StoredForm string

const (
	// ArrayForm is the compact array of storedVersion, the default.
	ArrayForm StoredForm = "array"
	// ObjectForm is json.Marshal's object: the form builds before the array wrote and the
	// only one they read. A cluster being upgraded server by server writes it until no earlier
	// build is left; a database going back to an earlier build is recomputed in it first.
	ObjectForm StoredForm = "object"
)

// storedForm is the form Stored writes: set once, when a process starts (main).
var storedForm atomic.Value

// WriteStored sets the form Stored writes, for the whole process; it refuses any other.
func WriteStored(f StoredForm) error {
	if f != ArrayForm && f != ObjectForm {
		return fmt.Errorf("evaluation form %q: want %s or %s", f, ArrayForm, ObjectForm)
	}
	storedForm.Store(f)
	return nil
}

// WritesStored is the form Stored writes.
func WritesStored() StoredForm {
	if f, ok := storedForm.Load().(StoredForm); ok {
		return f
	}
	return ArrayForm
}

// Stored is r in its stored form (see storedVersion; ObjectForm when WriteStored asked for
// it). It refuses a score that JSON cannot carry (NaN or an infinity), as json.Marshal does.
func (r Result) Stored() (string, error) {
	if WritesStored() == ObjectForm {
		b, err := json.Marshal(r)
		return string(b), err
	}
	b := make([]byte, 0, 256)
	b = append(b, '[')
	b = strconv.AppendInt(b, storedVersion, 10)
	b = appendJSONString(append(b, ','), string(r.Tier))
	b = appendJSONString(append(b, ','), string(r.Grade))
	b = strconv.AppendInt(append(b, ','), int64(r.Score), 10)
	b = appendJSONString(append(b, ','), string(r.ScoreTier))
	b = append(b, ",["...)
	for i, c := range r.Components {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, '['), string(c.Sector))
		b = appendJSONString(append(b, ','), c.Scheme)
		b = appendJSONString(append(b, ','), c.SourceGrade)
		var err error
		if b, err = appendJSONFloat(append(b, ','), c.NormalisedScore); err != nil {
			return "", fmt.Errorf("component %s: normalised score: %w", c.Scheme, err)
		}
		if b, err = appendJSONFloat(append(b, ','), c.Weight); err != nil {
			return "", fmt.Errorf("component %s: weight: %w", c.Scheme, err)
		}
		b = append(b, ']')
	}
	b = appendJSONStrings(append(b, "],"...), r.Gates)
	b = appendJSONStrings(append(b, ','), r.FiredLabels)
	b = appendJSONString(append(b, ','), r.RuleSet)
	return string(append(b, ']')), nil
}

// UnmarshalJSON reads a Result in either form: the stored array (Stored) or the object
// json.Marshal writes (kept in credit reports, and in rows stored before the array form).
func (r *Result) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '[' {
		type object Result // without this method
		var o object
		if err := json.Unmarshal(data, &o); err != nil {
			return err
		}
		*r = Result(o)
		return nil
	}
	out, err := readStored(data)
	if err != nil {
		return fmt.Errorf("a stored evaluation: %w", err)
	}
	*r = out
	return nil
}

// readStored parses the stored form by hand: through encoding/json's reflection it took longer
// than the object form, with three times the allocations, and every entity a request reads may
// carry one; by hand it takes less than half the object form's time (BenchmarkEvaluationRead).
func readStored(data []byte) (Result, error) {
	p := storedParser{b: data}
	out := Result{Components: []Component{}}
	parts := p.list(func(i int) {
		switch i {
		case 0:
			if v := p.int(); p.err == nil && v != storedVersion {
				p.err = fmt.Errorf("version %d; this build reads version %d", v, storedVersion)
			}
		case 1:
			out.Tier = Tier(p.str())
		case 2:
			out.Grade = Grade(p.str())
		case 3:
			out.Score = p.int()
		case 4:
			out.ScoreTier = Tier(p.str())
		case 5:
			p.list(func(int) {
				var c Component
				floats := []*float64{&c.NormalisedScore, &c.Weight}
				strs := []*string{(*string)(&c.Sector), &c.Scheme, &c.SourceGrade}
				if n := p.list(func(j int) {
					if j < len(strs) {
						*strs[j] = p.str()
					} else if j < len(strs)+len(floats) {
						*floats[j-len(strs)] = p.float()
					} else {
						p.fail("a component of more than five parts")
					}
				}); n < 5 {
					p.fail("a component of fewer than five parts")
				}
				out.Components = append(out.Components, c)
			})
		case 6:
			out.Gates = p.strs()
		case 7:
			out.FiredLabels = p.strs()
		case 8:
			out.RuleSet = p.str()
		default:
			p.fail("more than nine parts")
		}
	})
	if parts < 9 {
		p.fail("fewer than nine parts")
	}
	p.ws()
	if p.err == nil && p.i != len(p.b) {
		p.fail("text after the end")
	}
	return out, p.err
}

// storedParser reads the few JSON shapes of the stored form: arrays, strings and numbers. The
// first problem stops it; later calls do nothing.
type storedParser struct {
	b   []byte
	i   int
	err error
}

func (p *storedParser) fail(what string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s at byte %d", what, p.i)
	}
}

func (p *storedParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// peek is the next byte after white space, or 0 at the end or after a problem.
func (p *storedParser) peek() byte {
	p.ws()
	if p.err != nil || p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

func (p *storedParser) open(c byte) {
	if p.peek() != c {
		p.fail(fmt.Sprintf("%q expected", c))
		return
	}
	p.i++
}

// next consumes the comma between two parts.
func (p *storedParser) next() { p.open(',') }

// list reads an array whose elements item reads, given their index, and returns how many
// it read.
func (p *storedParser) list(item func(i int)) int {
	p.open('[')
	if p.peek() == ']' {
		p.i++
		return 0
	}
	n := 0
	for p.err == nil {
		item(n)
		n++
		if p.peek() == ']' {
			p.i++
			break
		}
		p.next()
	}
	return n
}

func (p *storedParser) strs() []string {
	out := []string{}
	p.list(func(int) { out = append(out, p.str()) })
	return out
}

// str reads a string; one with escapes goes through encoding/json.
func (p *storedParser) str() string {
	if p.peek() != '"' {
		p.fail("a string expected")
		return ""
	}
	start := p.i
	escaped := false
	for p.i++; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '\\':
			escaped = true
			p.i++
		case c == '"':
			p.i++
			if !escaped {
				if s := p.b[start+1 : p.i-1]; utf8.Valid(s) {
					return string(s)
				}
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				p.fail("a bad string")
			}
			return s
		case c < 0x20:
			p.fail("a control character in a string")
			return ""
		}
	}
	p.fail("an unterminated string")
	return ""
}

// number returns the text of a JSON number ("+1", "01" and ".5" are not).
func (p *storedParser) number() string {
	p.ws()
	start := p.i
	for p.i < len(p.b) && strings.IndexByte("+-0123456789.eE", p.b[p.i]) >= 0 {
		p.i++
	}
	text := p.b[start:p.i]
	if p.err == nil && (len(text) == 0 || text[0] == '+' || !json.Valid(text)) {
		p.fail("a number expected")
	}
	return string(text)
}

func (p *storedParser) int() int {
	text := p.number()
	if p.err != nil {
		return 0
	}
	v, err := strconv.Atoi(text)
	if err != nil {
		p.fail("an integer expected")
	}
	return v
}

func (p *storedParser) float() float64 {
	text := p.number()
	if p.err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.fail("a number out of range")
	}
	return v
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, as encoding/json writes it but without its
// HTML escapes: quote, backslash and control characters escaped, invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendJSONFloat appends f as a JSON number, in the forms encoding/json chooses between.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("%v is not a JSON number", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64), nil
}

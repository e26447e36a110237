package graph

import (
	"encoding/json"
	"hash"
	"slices"
	"strconv"
	"unicode/utf8"
)

// variablesDigest writes to h the bytes json.NewEncoder(h).Encode(vars) writes — the canonical
// form audit digests have always been taken of (keys sorted, HTML escaped, a newline last) —
// without encoding/json's reflection. A batch's variables are a megabyte of maps, lists and
// strings, and encoding them through reflection was 6 % of an ingest's server CPU. The values
// a transport decodes (maps, lists, strings, json.Number, booleans, null) and the integers a
// variable's coercion gives are written here; anything else, and any string or number that
// encoding/json would escape or check, goes through encoding/json itself, so the bytes are
// its own (TestVariablesDigestIsEncodingJSONs).
func variablesDigest(h hash.Hash, vars map[string]any) {
	d := digester{h: h, buf: make([]byte, 0, digestChunk+4096)}
	d.value(vars)
	if d.err { // encoding/json writes nothing of a document it cannot encode
		h.Reset()
		return
	}
	d.buf = append(d.buf, '\n')
	d.flush()
}

const digestChunk = 32 << 10

type digester struct {
	h    hash.Hash
	buf  []byte
	keys []string
	err  bool
}

func (d *digester) flush() {
	_, _ = d.h.Write(d.buf)
	d.buf = d.buf[:0]
}

func (d *digester) value(v any) {
	if len(d.buf) >= digestChunk {
		d.flush()
	}
	switch v := v.(type) {
	case nil:
		d.buf = append(d.buf, "null"...)
	case bool:
		d.buf = strconv.AppendBool(d.buf, v)
	case string:
		d.string(v)
	case int:
		d.buf = strconv.AppendInt(d.buf, int64(v), 10)
	case int32:
		d.buf = strconv.AppendInt(d.buf, int64(v), 10)
	case int64:
		d.buf = strconv.AppendInt(d.buf, v, 10)
	case map[string]any:
		if v == nil {
			d.buf = append(d.buf, "null"...)
			return
		}
		// The keys, sorted, on a stack shared by the maps being written (one allocation for
		// the document rather than one a map); a nested map's keys go above and are taken off
		// when it is written, so this map's stay where they are.
		start := len(d.keys)
		for k := range v {
			d.keys = append(d.keys, k)
		}
		end := len(d.keys)
		slices.Sort(d.keys[start:end])
		d.buf = append(d.buf, '{')
		for i := start; i < end; i++ {
			if i > start {
				d.buf = append(d.buf, ',')
			}
			k := d.keys[i]
			d.string(k)
			d.buf = append(d.buf, ':')
			d.value(v[k])
		}
		d.buf = append(d.buf, '}')
		d.keys = d.keys[:start]
	case []any:
		if v == nil {
			d.buf = append(d.buf, "null"...)
			return
		}
		d.buf = append(d.buf, '[')
		for i, e := range v {
			if i > 0 {
				d.buf = append(d.buf, ',')
			}
			d.value(e)
		}
		d.buf = append(d.buf, ']')
	default: // json.Number (which encoding/json checks), floats, uploads, anything else
		d.marshal(v)
	}
}

// string writes s quoted as it stands when encoding/json would: valid UTF-8 with no byte it
// escapes (controls, the quote, the backslash, <, > and &) and neither U+2028 nor U+2029
// (E2 80 A8, E2 80 A9).
func (d *digester) string(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escaped[c] || c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			d.marshal(s)
			return
		}
	}
	if !utf8.ValidString(s) {
		d.marshal(s)
		return
	}
	d.buf = append(d.buf, '"')
	d.buf = append(d.buf, s...)
	d.buf = append(d.buf, '"')
}

// escaped are the bytes encoding/json writes otherwise than as themselves in a string.
var escaped = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = true
	}
	return t
}()

// marshal writes v as encoding/json does, and notes a value it cannot encode (a NaN, a
// channel) so that the whole document is written as encoding/json would: not at all.
func (d *digester) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		d.err = true
		return
	}
	d.buf = append(d.buf, b...)
}

package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// recorder is a hash.Hash that keeps what is written to it, to compare bytes rather than sums.
type recorder struct{ bytes.Buffer }

func (r *recorder) Sum(b []byte) []byte { return append(b, r.Bytes()...) }
func (r *recorder) Size() int           { return r.Len() }
func (r *recorder) BlockSize() int      { return 1 }

// encodingJSONs is what the audit digest hashed before variablesDigest: encoding/json's
// Encoder, which writes nothing of a document it cannot encode.
func encodingJSONs(v map[string]any) []byte {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return b.Bytes()
}

func checkDigest(t *testing.T, v map[string]any) {
	t.Helper()
	var got recorder
	variablesDigest(&got, v)
	if want := encodingJSONs(v); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("variablesDigest wrote\n%q\nencoding/json\n%q\nfor %#v", got.Bytes(), want, v)
	}
}

// Audit digests taken before and after variablesDigest must agree for equal variables (an
// auditor compares a logged digest with one of variables they hold), so its bytes must be
// encoding/json's for every value a transport can hand over: every kind of value, and strings
// made of every class of character encoding/json treats on its own.
func TestVariablesDigestIsEncodingJSONs(t *testing.T) {
	pieces := []string{"", "a", "Z9 ~", "苏州市", "《广告法》第五十五条", "<", ">", "&", `"`, `\`, "/", "\x00", "\x1f", "\t", "\n",
		"\x7f", "\u2028", "\u2029", "\xff", "\xc3", "\xed\xa0\x80", "😀", "\u00e9", "\ufffd", "\U0010ffff"}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		var b strings.Builder
		for n := rng.IntN(4); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	scalars := []func() any{
		func() any { return nil },
		func() any { return rng.IntN(2) == 0 },
		func() any { return str() },
		func() any { return rng.IntN(2000) - 1000 },
		func() any { return int32(rng.Int32()) },
		func() any { return int64(rng.Uint64()) },
		func() any { return uint(rng.Uint32()) },
		func() any {
			return []float64{0, -0.0, 1.5, 1e21, 1e20, 1e-6, 1e-7, 123456789.125, math.MaxFloat64}[rng.IntN(9)]
		},
		func() any {
			return json.Number([]string{"0", "-1", "20000", "2.5", "1e3", "-0.000001", "1E+21", "", "01", "abc", "1."}[rng.IntN(11)])
		},
		func() any { return graphql.Upload{Filename: str(), Size: 3, ContentType: "text/csv"} },
		func() any { return map[string]any(nil) },
		func() any { return []any(nil) },
		func() any { return []any{} },
		func() any { return map[string]any{} },
		func() any { return []string{str(), str()} },
	}
	var value func(depth int) any
	value = func(depth int) any {
		if depth > 3 || rng.IntN(3) == 0 {
			return scalars[rng.IntN(len(scalars))]()
		}
		if rng.IntN(2) == 0 {
			l := make([]any, rng.IntN(5))
			for i := range l {
				l[i] = value(depth + 1)
			}
			return l
		}
		m := map[string]any{}
		for n := rng.IntN(5); n > 0; n-- {
			m[str()] = value(depth + 1)
		}
		return m
	}
	for range 20000 {
		vars := map[string]any{}
		for n := rng.IntN(4); n > 0; n-- {
			vars[str()] = value(0)
		}
		checkDigest(t, vars)
	}
	// What encoding/json refuses leaves the digest empty, wherever it sits.
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("abc"), make(chan int)} {
		checkDigest(t, map[string]any{"a": "x", "b": []any{1, map[string]any{"c": bad}}})
	}
	// A batch larger than the digester's chunk, written through more than one flush.
	rows := make([]any, 3000)
	for i := range rows {
		rows[i] = map[string]any{"decisionNo": fmt.Sprintf("苏市监罚〔2026〕%d号", i), "fineAmount": json.Number("2.5"), "facts": "发布虚假广告 <b>&</b>"}
	}
	checkDigest(t, map[string]any{"input": rows})
	checkDigest(t, map[string]any{"input": rows, "z": math.NaN()}) // refused after a flush
}

// FuzzVariablesDigest decodes its input as a transport does (numbers kept as written) and
// compares the digest's bytes with encoding/json's; its seeds run with every go test.
func FuzzVariablesDigest(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":1}`, `{"input":[{"name":"苏州\u2028","x":"<&>"},null,true,1.5e300]}`,
		`{"b":"\ud800","a":"\u0000\"\\"}`, "{\"k\":\"\xff\xfe\"}", `{"n":-0,"m":[[[]]],"o":{"":{}}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var vars map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&vars) != nil {
			return
		}
		checkDigest(t, vars)
	})
}

// BenchmarkVariablesDigest digests the variables of a 1,000-penalty ingest batch as a
// transport decodes them, the old way (encoding/json) and through variablesDigest.
func BenchmarkVariablesDigest(b *testing.B) {
	rows := make([]map[string]any, 1000)
	for i := range rows {
		rows[i] = map[string]any{
			"departmentID": "8589934593", "entityID": fmt.Sprint(4294967296 + i), "sourceSystem": "ingest-test", "sourceRecordID": fmt.Sprintf("B-%d", i),
			"severity": "GENERAL", "counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": "91320500MA1XXXXX0X",
			"decisionNo": fmt.Sprintf("苏市监罚〔2026〕B-%d号", i), "violationType": "虚假广告", "violationFacts": "在网店发布虚假宣传内容",
			"legalBasis": "《中华人民共和国广告法》第五十五条", "penaltyCategories": []string{"WARNING", "FINE"}, "fineAmount": "1.5",
			"penaltyContent": "警告，罚款人民币1.5万元", "decisionDate": "2026-03-01T00:00:00Z",
			"authorityName": "苏州市市场监督管理局", "authorityUscc": "11320000014000003C", "dataSourceUnit": "苏州市市场监督管理局", "dataSourceUnitUscc": "11320000014000003C",
		}
	}
	body, _ := json.Marshal(map[string]any{"in": rows})
	var vars map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&vars); err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			h := sha256.New()
			_ = json.NewEncoder(h).Encode(vars)
		}
	})
	b.Run("variablesDigest", func(b *testing.B) {
		for b.Loop() {
			variablesDigest(sha256.New(), vars)
		}
	})
}

package vocab_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/vocab"
)

// results draws evaluations from the default rule set's tables: every scheme with each of its
// grades, in random subsets, with listings and penalties of every severity, so every gate fires
// somewhere; then results no rule set writes but a stored row could hold (odd strings and
// numbers, nil lists).
func results() []vocab.Result {
	rs := evaluation.DefaultRuleSet()
	var schemes []string
	for s := range rs.Scales {
		schemes = append(schemes, s)
	}
	slices.Sort(schemes)
	sectors := []vocab.Sector{vocab.Environment, vocab.Labour, vocab.Transport, vocab.Market}
	sevs := []vocab.Severity{vocab.Minor, vocab.General, vocab.Serious}
	r := rand.New(rand.NewPCG(1, 2))
	var out []vocab.Result
	for range 2000 {
		var in evaluation.Input
		for i, s := range schemes {
			if r.IntN(2) == 0 {
				continue
			}
			var grades []string
			for g := range rs.Scales[s] {
				grades = append(grades, g)
			}
			slices.Sort(grades)
			in.Ratings = append(in.Ratings, evaluation.Rating{Scheme: s, Grade: grades[r.IntN(len(grades))], Sector: sectors[i%len(sectors)]})
		}
		for _, sev := range sevs {
			if r.IntN(4) == 0 {
				in.Listings = append(in.Listings, evaluation.Listing{ListType: "SERIOUS_ILLEGAL_DISHONEST", Severity: sev})
			}
			if r.IntN(4) == 0 {
				in.Penalties = append(in.Penalties, evaluation.Penalty{Severity: sev})
			}
		}
		out = append(out, evaluation.Evaluate(rs, in))
	}
	odd := []string{"", `"quoted" \ back\slash`, "tab\tnew\nline\rcarriage\x00nul\x1f", "<html> & 'x'", "\u2028\u2029",
		"存在有效的严重失信名单：风险等级最高为D类", "bad \xff utf-8 \xe4\xb8", "emoji 🙂"}
	for i, s := range odd {
		out = append(out, vocab.Result{Tier: vocab.Tier(s), Grade: vocab.Grade(s), Score: -i * 1000, ScoreTier: vocab.TierA,
			Components: []vocab.Component{
				{Sector: vocab.Sector(s), Scheme: s, SourceGrade: s, NormalisedScore: []float64{0, 1e-7, 1e21, 123456789.125, -0.5, 1e-300}[i%6], Weight: 1.0 / 3},
			},
			Gates: []string{s, "g"}, FiredLabels: []string{s}, RuleSet: s})
	}
	out = append(out, vocab.Result{}, vocab.Result{Components: []vocab.Component{}, Gates: []string{}, FiredLabels: []string{}})
	return out
}

// The stored form reads back as the evaluation it was made from, and is valid JSON (MariaDB's
// column checks it); evaluations stored before it, in the object form, still read.
func TestStoredEvaluationsReadBack(t *testing.T) {
	for _, want := range results() {
		text, err := want.Stored()
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		if !json.Valid([]byte(text)) {
			t.Fatalf("not JSON: %s", text)
		}
		if !strings.HasPrefix(text, "[2,") {
			t.Fatalf("not the stored form: %s", text)
		}
		var got vocab.Result
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		// What a JSON round trip gives: invalid UTF-8 replaced, no list nil.
		var same vocab.Result
		object, _ := json.Marshal(want)
		if err := json.Unmarshal(object, &same); err != nil {
			t.Fatalf("the object form %s: %v", object, err)
		}
		for _, p := range []*[]string{&same.Gates, &same.FiredLabels} {
			if *p == nil {
				*p = []string{}
			}
		}
		if same.Components == nil {
			same.Components = []vocab.Component{}
		}
		if !reflect.DeepEqual(got, same) {
			t.Fatalf("stored %s\nread back %+v\nwant      %+v", text, got, same)
		}
		// Decoding the object form must not go through the stored form's reader.
		var viaObject vocab.Result
		if err := json.Unmarshal(object, &viaObject); err != nil || viaObject.Score != want.Score || viaObject.RuleSet != same.RuleSet {
			t.Fatalf("the object form %s read as %+v, %v", object, viaObject, err)
		}
	}
}

// earlierBuild reads an evaluation as builds before the array form did: encoding/json into
// Result's fields, with no method of Result's (a defined type keeps the fields, not the methods).
type earlierBuild vocab.Result

// For a rolling upgrade the object form can be asked for: Stored then writes exactly what
// json.Marshal writes, which an earlier build reads as the evaluation it was made from, and
// which this build reads the same. Any other form is refused; the default is the array.
func TestStoredEvaluationsInTheObjectForm(t *testing.T) {
	if f := vocab.WritesStored(); f != vocab.ArrayForm {
		t.Fatalf("the default form is %s", f)
	}
	if err := vocab.WriteStored("objects"); err == nil {
		t.Error("an unknown form was taken")
	}
	if err := vocab.WriteStored(vocab.ObjectForm); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vocab.WriteStored(vocab.ArrayForm) })
	for _, want := range results() {
		text, err := want.Stored()
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		if object, _ := json.Marshal(want); text != string(object) {
			t.Fatalf("stored %s\nwant    %s", text, object)
		}
		var old earlierBuild
		if err := json.Unmarshal([]byte(text), &old); err != nil {
			t.Fatalf("an earlier build cannot read %s: %v", text, err)
		}
		var now vocab.Result
		if err := json.Unmarshal([]byte(text), &now); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if !reflect.DeepEqual(vocab.Result(old), now) {
			t.Fatalf("%s reads as %+v in an earlier build, %+v in this one", text, old, now)
		}
	}
	if _, err := (vocab.Result{Components: []vocab.Component{{Scheme: "S", Weight: math.NaN()}}}).Stored(); err == nil {
		t.Error("a NaN weight was stored in the object form")
	}
}

// A score JSON cannot carry is refused, as json.Marshal refuses it, and no stored form of
// another version or shape is read as this one.
func TestStoredEvaluationsRefuse(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if text, err := (vocab.Result{Components: []vocab.Component{{Scheme: "S", Weight: f}}}).Stored(); err == nil || !strings.Contains(err.Error(), "weight") {
			t.Errorf("weight %v: stored %q, %v", f, text, err)
		}
	}
	for _, text := range []string{`[]`, `[1,"A","EXCELLENT",900,"A",[],[],[],"R"]`, `[2,"A","EXCELLENT",900,"A",[],[],[]]`,
		`[2,"A","EXCELLENT","900","A",[],[],[],"R"]`, `[2,"A","EXCELLENT",900,"A",[["MARKET","S","A",1]],[],[],"R"]`, `[2`,
		`[2,"A","EXCELLENT",+900,"A",[],[],[],"R"]`, `[2,"A","EXCELLENT",900.5,"A",[],[],[],"R"]`, `[2,"A","EXCELLENT",900,"A",[["M","S","A",01,1]],[],[],"R"]`,
		`[2,"A","EXCELLENT",900,"A",[],[],[],"R"] x`, `[2,"A","EXCELLENT",900,"A",[],[],[],"R",]`, `[2,"A","EXCELLENT",900,"A",[,],[],[],"R"]`,
		"[2,\"A\x01\",\"EXCELLENT\",900,\"A\",[],[],[],\"R\"]", `[2,"A","EXCELLENT",900,"A",[],[],[],"R`, `[2,"A","EXCELLENT",900,"A",[],["\x"],[],"R"]`,
		`[2,"A","EXCELLENT",900,"A",[["M","S","A",1,1,1]],[],[],"R"]`, `[2,"A","EXCELLENT",900,"A",[],[],[],"R","S"]`, `[2,"A","EXCELLENT",900,"A",[[1,"S","A",1,1]],[],[],"R"]`} {
		var r vocab.Result
		if err := json.Unmarshal([]byte(text), &r); err == nil {
			t.Errorf("%s read as %+v", text, r)
		}
	}
}

// FuzzStoredEvaluation: whatever the strings and numbers, the stored form is JSON and reads
// back (go test ./vocab -fuzz StoredEvaluation to search further).
func FuzzStoredEvaluation(f *testing.F) {
	f.Add("JS-COMPOSITE-2026-v1", "ENV_CREDIT_JS", "存在有效的严重失信名单", 100.0, 0.2, 780)
	f.Add("\x00\"\\", "\xff", "\u2028", 1e-7, 1e21, -1)
	f.Fuzz(func(t *testing.T, ruleSet, scheme, label string, score, weight float64, total int) {
		r := vocab.Result{Tier: "B", Grade: "GOOD", Score: total, ScoreTier: "C", RuleSet: ruleSet, Gates: []string{label}, FiredLabels: []string{label},
			Components: []vocab.Component{{Sector: vocab.Market, Scheme: scheme, SourceGrade: label, NormalisedScore: score, Weight: weight}}}
		text, err := r.Stored()
		if math.IsNaN(score) || math.IsInf(score, 0) || math.IsNaN(weight) || math.IsInf(weight, 0) {
			if err == nil {
				t.Fatalf("%v, %v stored as %s", score, weight, text)
			}
			return
		}
		if err != nil || !json.Valid([]byte(text)) {
			t.Fatalf("%+v: %q, %v", r, text, err)
		}
		var got vocab.Result
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatal(err)
		}
		object, _ := json.Marshal(r)
		var same vocab.Result
		_ = json.Unmarshal(object, &same)
		if !reflect.DeepEqual(got, same) {
			t.Fatalf("stored %s read back %+v, want %+v", text, got, same)
		}
	})
}

// BenchmarkEvaluationRead reads an evaluation with four components in each form, as ent does
// for every entity whose evaluation a request selects.
//
//	go test ./vocab -run '^$' -bench EvaluationRead
func BenchmarkEvaluationRead(b *testing.B) {
	rs := evaluation.DefaultRuleSet()
	r := evaluation.Evaluate(rs, evaluation.Input{Ratings: []evaluation.Rating{
		{Scheme: "ENV_CREDIT_JS", Grade: "GREEN", Sector: vocab.Environment}, {Scheme: "LABOUR_INTEGRITY", Grade: "B", Sector: vocab.Labour},
		{Scheme: "MARKET_RISK_CLASS", Grade: "A", Sector: vocab.Market}, {Scheme: "TRANSPORT_OPERATOR_JS", Grade: "D", Sector: vocab.Transport},
	}, Penalties: []evaluation.Penalty{{Severity: vocab.General}}})
	stored, _ := r.Stored()
	object, _ := json.Marshal(r)
	for _, f := range []struct {
		name string
		text []byte
	}{{"stored", []byte(stored)}, {"object", object}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got *vocab.Result
				if err := json.Unmarshal(f.text, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzStoredEvaluationRead: no text makes the reader panic, and what it accepts stores and
// reads back as itself (go test ./vocab -fuzz StoredEvaluationRead to search further).
func FuzzStoredEvaluationRead(f *testing.F) {
	for _, r := range results()[:20] {
		text, _ := r.Stored()
		f.Add([]byte(text))
	}
	f.Add([]byte(`[2,"A","EXCELLENT",900,"A",[["M","S","A",1e-7,0.5]],["g"],["\u5b58\"x"],"R"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r vocab.Result
		if err := r.UnmarshalJSON(data); err != nil || !strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
			return
		}
		text, err := r.Stored()
		if err != nil {
			t.Fatalf("%s read as %+v, which does not store: %v", data, r, err)
		}
		var again vocab.Result
		if err := again.UnmarshalJSON([]byte(text)); err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("%s read as %+v, stored as %s, read back as %+v (%v)", data, r, text, again, err)
		}
	})
}

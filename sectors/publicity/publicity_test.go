package publicity

import (
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/vocab"
)

// A window is counted from its start (domain.md §4): minEnd = start + min months (the earliest
// day repair may end it), maxEnd = start + max months (the last day the record is public,
// inclusive), months counted as 民法典 art. 202 counts them. Edges: month ends, leap days,
// year ends; the rules of 527号 (3/12, 6/36), Order 36 (12/36) and a list of 6/60.
func TestSpanOfAtTheEdges(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tt := range []struct {
		start            string
		min, max         int
		wantMin, wantMax string
	}{
		{"2026-05-10", 3, 12, "2026-08-10", "2027-05-10"}, // an ordinary day: the corresponding days
		{"2026-08-31", 3, 12, "2026-11-30", "2027-08-31"}, // a month end: November has no 31st
		{"2025-11-30", 3, 12, "2026-02-28", "2026-11-30"}, // into February across a year end
		{"2024-02-29", 6, 36, "2024-08-29", "2027-02-28"}, // a leap day: three years on there is none
		{"2024-02-29", 12, 48, "2025-02-28", "2028-02-29"},
		{"2026-12-31", 12, 36, "2027-12-31", "2029-12-31"}, // a year end
		{"2027-08-31", 6, 60, "2028-02-29", "2032-08-31"},  // six months from a month end into a leap February
	} {
		s := SpanOf(&ent.PublicityRule{MinMonths: tt.min, MaxMonths: tt.max}, d(tt.start), nil)
		if got := s.MinEnd.Format(time.DateOnly); got != tt.wantMin {
			t.Errorf("%s with %d/%d months: minEnd %s, want %s", tt.start, tt.min, tt.max, got, tt.wantMin)
		}
		if got := s.MaxEnd.Format(time.DateOnly); got != tt.wantMax {
			t.Errorf("%s with %d/%d months: maxEnd %s, want %s", tt.start, tt.min, tt.max, got, tt.wantMax)
		}
		if !s.Start.Equal(d(tt.start)) {
			t.Errorf("start %s, want %s", s.Start, tt.start)
		}
	}
}

// The wage-arrears list's early removal counts from the day the arrears were paid (domain.md §4:
// "removal possible 6 months after the arrears are paid"): until they are, no early end; once
// paid, six months from that day, never past the maximum.
func TestSpanFromObligationsMet(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	r := &ent.PublicityRule{MinMonths: 6, MaxMonths: 36, MinFrom: publicityrule.MinFromOBLIGATIONS_MET}
	paid := func(s string) *time.Time { p := d(s); return &p }
	for _, tt := range []struct {
		paid    *time.Time
		wantMin string
	}{
		{nil, "2029-01-31"},                // not paid: the maximum
		{paid("2026-03-15"), "2026-09-15"}, // paid later: six months from payment
		{paid("2026-08-31"), "2027-02-28"}, // from a month end
		{paid("2028-12-01"), "2029-01-31"}, // never past the maximum
	} {
		if got := SpanOf(r, d("2026-01-31"), tt.paid).MinEnd.Format(time.DateOnly); got != tt.wantMin {
			t.Errorf("paid %v: minEnd %s, want %s", tt.paid, got, tt.wantMin)
		}
	}
}

// A penalty's severity and repairability follow from its categories and field (domain.md §4):
// class rules override the stated severity, the most severe when several match.
func TestPenaltyRuleFollowsTheCategories(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	to, to527 := d("2026-04-01"), d("2023-05-01")
	rules := []*ent.PublicityRule{
		{RuleSet: "527", EffectiveFrom: d("2019-07-01"), EffectiveTo: &to527, Severity: "GENERAL", MinMonths: 3, MaxMonths: 12, Repairable: true},
		{RuleSet: "58", EffectiveFrom: d("2023-05-01"), EffectiveTo: &to, Severity: "GENERAL", MinMonths: 3, MaxMonths: 36, Repairable: true},
		{RuleSet: "SPECIFIED", EffectiveFrom: d("2019-07-01"), Severity: "SERIOUS", PenaltyCategories: []string{"REVOKE_LICENCE", "ORDER_SUSPEND"},
			Domains: []string{"FOOD_DRUG", "WORK_SAFETY"}, MinMonths: 36, MaxMonths: 36},
		{RuleSet: "58-FIELD", EffectiveFrom: d("2023-05-01"), EffectiveTo: &to, Severity: "ANY", Domains: []string{"FOOD_DRUG", "FIRE_SAFETY"},
			MinMonths: 12, MaxMonths: 36, Repairable: true},
	}
	for _, tt := range []struct {
		name     string
		cats     []vocab.PenaltyCategory
		domain   string
		decided  string
		wantSet  string
		wantSev  string
		wantRepr bool
	}{
		{"a fine in food under Order 58: one year minimum", []vocab.PenaltyCategory{vocab.Fine}, "FOOD_DRUG", "2024-03-01", "58-FIELD", "GENERAL", true},
		{"a revocation in food: specified serious beats the field minimum", []vocab.PenaltyCategory{vocab.Fine, vocab.RevokeLicence}, "FOOD_DRUG", "2024-03-01", "SPECIFIED", "SERIOUS", false},
		{"a revocation in food before Order 58", []vocab.PenaltyCategory{vocab.RevokeLicence}, "FOOD_DRUG", "2020-03-01", "SPECIFIED", "SERIOUS", false},
		{"a revocation elsewhere: the severity rule", []vocab.PenaltyCategory{vocab.RevokeLicence}, "OTHER", "2024-03-01", "58", "GENERAL", true},
		{"a fine in fire safety", []vocab.PenaltyCategory{vocab.Fine}, "FIRE_SAFETY", "2024-03-01", "58-FIELD", "GENERAL", true},
		{"a fine with no field", []vocab.PenaltyCategory{vocab.Fine}, "", "2024-03-01", "58", "GENERAL", true},
		{"the field rule is not in force after Order 58", []vocab.PenaltyCategory{vocab.Fine}, "FOOD_DRUG", "2026-04-01", "", "GENERAL", false},
	} {
		r, sev := PenaltyRule(rules, Penalty{Severity: "GENERAL", Categories: tt.cats, Domain: tt.domain, Decided: d(tt.decided)})
		got := ""
		if r != nil {
			got = r.RuleSet
		}
		if got != tt.wantSet || sev != tt.wantSev || r != nil && r.Repairable != tt.wantRepr {
			t.Errorf("%s: rule %q severity %s (repairable %v), want %q %s %v", tt.name, got, sev, r != nil && r.Repairable, tt.wantSet, tt.wantSev, tt.wantRepr)
		}
	}
}

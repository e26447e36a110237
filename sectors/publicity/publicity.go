// Package publicity owns records' publicity windows (公示期, domain.md §4): which dated rule
// (PublicityRule rows) applies to a record, how its window is counted, and which rows are "in
// publicity" on a day. The write engine stores the window on the record when it is written,
// the bulk loader computes it the same way, and the privacy rules and event filter ask this
// package which rows are public — so the public and cross-department views filter in SQL at
// query time, with no job, and every path agrees.
package publicity

import (
	"slices"
	"time"

	"entgo.io/ent/entql"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/vocab"
)

// Window is a record's publicity window.
type Window struct {
	Start      time.Time
	MinEnd     *time.Time
	MaxEnd     *time.Time
	StoppedOn  *time.Time
	Repairable bool
}

// OfPenalty is a penalty's window, or nil when no rule covered its decision date.
func OfPenalty(p *ent.AdministrativePenalty) *Window {
	if p.PublicityStart == nil {
		return nil
	}
	return &Window{Start: *p.PublicityStart, MinEnd: p.PublicityMinEnd, MaxEnd: p.PublicityDeadline,
		StoppedOn: p.PublicityStoppedOn, Repairable: p.Repairable}
}

// OfListing is a list entry's window: from listing to planned end, stopped by removal.
func OfListing(l *ent.ListEntry) *Window {
	return &Window{Start: l.ListedOn, MinEnd: l.PublicityMinEnd, MaxEnd: l.PlannedEndOn, StoppedOn: l.RemovedOn, Repairable: l.Repairable}
}

// Penalty is what a penalty's publicity rule depends on.
type Penalty struct {
	Severity   string // the deciding department's: MINOR, GENERAL or SERIOUS
	Sector     string
	Categories []vocab.PenaltyCategory
	Domain     string // field of the conduct, "" when not given
	Procedure  string // SUMMARY or ORDINARY; "" counts as ORDINARY
	Fine       *decimal.Decimal
	Decided    time.Time
	Published  *time.Time // 公示日期, when given: the start under a rule counting from publication
	ValidUntil *time.Time // 处罚有效期: the end of a restriction the penalty imposes
}

// PenaltyRule picks the publicity rule of a penalty (domain.md §4) and the severity it takes.
//
// A sector's own regime in force on the decision date replaces the general ones for that
// sector's penalties: market supervision's penalties follow SAMR Order 45 from 2021-09-01, the
// others the national rules (527号, Order 58, Order 36). Only the general rules that make a
// penalty non-repairable still reach the sector's penalties (what law makes non-repairable is
// so on every platform: Order 36 art. 2). Within the regime, a class rule —
// a row naming penalty categories, domains or procedures, such as 527号's specified serious
// dishonesty (suspension or revocation in food and drugs, the environment, work safety …:
// never repairable, published for the full maximum), Order 58's one-year minimum in food,
// drugs, special equipment, work safety and fire, or Order 45's warning-only, low-fine and
// no-early-stop classes — overrides the severity rules when it matches. A matching rule that
// says "not published" wins outright (it matches only penalties that impose nothing else);
// otherwise, when several match, the most severe applies (highest severity, then not
// repairable, then the longest maximum and minimum). Without a class rule, the severity rule
// for the penalty's severity. It returns nil when none applies; callers publish a penalty only
// when the rule is non-nil and Published.
func PenaltyRule(rules []*ent.PublicityRule, p Penalty) (*ent.PublicityRule, string) {
	own := false // whether the sector has its own regime in force
	for _, r := range rules {
		if r.ListType == "" && r.CommitmentKind == "" && r.Sector != "" && string(r.Sector) == p.Sector && inForce(r, p.Decided) {
			own = true
			break
		}
	}
	var class, base *ent.PublicityRule
	for _, r := range rules {
		if r.ListType != "" || r.CommitmentKind != "" || !inForce(r, p.Decided) || r.Sector != "" && string(r.Sector) != p.Sector || own && r.Sector == "" && r.Repairable {
			continue
		}
		if isClass(r) {
			if classMatches(r, p) && (class == nil || class.Published && (!r.Published || moreSevere(r, class, p.Severity))) {
				class = r
			}
			continue
		}
		if string(r.Severity) == p.Severity && (base == nil || r.Sector != "" && base.Sector == "") {
			base = r
		}
	}
	if class != nil {
		return class, severityOf(class, p.Severity)
	}
	return base, p.Severity
}

// PenaltySpan is the window rule r gives penalty p: counted from the decision date — or, under
// a rule counting from publication (SAMR Order 45 art. 13: 自公示之日起), from the day the
// penalty was published when it says so — and for a rule that extends to the penalty's
// validity, lasting until then when that is later (a restriction longer than the maximum is
// published for its period; not repairable, it cannot end before).
func PenaltySpan(r *ent.PublicityRule, p Penalty) Span {
	start := p.Decided
	if r.StartAnchor != nil && *r.StartAnchor == publicityrule.StartAnchorPUBLICATION_DATE && p.Published != nil {
		start = *p.Published
	}
	s := SpanOf(r, start, nil)
	if r.ExtendsToValidUntil && p.ValidUntil != nil && p.ValidUntil.After(s.MaxEnd) {
		s.MaxEnd = *p.ValidUntil
		if !r.Repairable || s.MinEnd.After(s.MaxEnd) {
			s.MinEnd = s.MaxEnd
		}
	}
	return s
}

func isClass(r *ent.PublicityRule) bool {
	return len(r.PenaltyCategories) > 0 || len(r.Domains) > 0 || len(r.Procedures) > 0
}

func classMatches(r *ent.PublicityRule, p Penalty) bool {
	if len(r.Domains) > 0 && !slices.Contains(r.Domains, p.Domain) {
		return false
	}
	if len(r.Procedures) > 0 {
		procedure := p.Procedure
		if procedure == "" {
			procedure = "ORDINARY"
		}
		if !slices.Contains(r.Procedures, procedure) {
			return false
		}
	}
	if len(r.PenaltyCategories) == 0 {
		return true
	}
	if r.CategoriesOnly {
		if len(p.Categories) == 0 {
			return false
		}
		for _, c := range p.Categories {
			if !slices.Contains(r.PenaltyCategories, string(c)) || !fineFits(r, p, c) {
				return false
			}
		}
		return true
	}
	for _, c := range p.Categories {
		if slices.Contains(r.PenaltyCategories, string(c)) && fineFits(r, p, c) {
			return true
		}
	}
	return false
}

// fineFits reports whether category c of p stays within the rule's fine limit: a fine counts
// as low only with its amount given and not above the limit.
func fineFits(r *ent.PublicityRule, p Penalty, c vocab.PenaltyCategory) bool {
	if c != vocab.Fine || r.FineAtMost == nil {
		return true
	}
	return p.Fine != nil && !p.Fine.GreaterThan(*r.FineAtMost)
}

// severityOf is the severity a class rule gives a penalty of severity own.
func severityOf(r *ent.PublicityRule, own string) string {
	if r.Severity == publicityrule.SeverityANY {
		return own
	}
	return string(r.Severity)
}

var severityRank = map[string]int{string(vocab.Minor): 1, string(vocab.General): 2, string(vocab.Serious): 3}

// moreSevere reports whether class rule a weighs more than b for a penalty of severity own.
func moreSevere(a, b *ent.PublicityRule, own string) bool {
	if sa, sb := severityRank[severityOf(a, own)], severityRank[severityOf(b, own)]; sa != sb {
		return sa > sb
	}
	if a.Repairable != b.Repairable {
		return !a.Repairable
	}
	if a.MaxMonths != b.MaxMonths {
		return a.MaxMonths > b.MaxMonths
	}
	return a.MinMonths > b.MinMonths
}

// ListRule picks the rule of a list type in force on the listing day, the latest one when
// several are; nil when the list has none.
func ListRule(rules []*ent.PublicityRule, listType string, day time.Time) *ent.PublicityRule {
	var rule *ent.PublicityRule
	for _, r := range rules {
		if r.ListType == listType && inForce(r, day) && (rule == nil || r.EffectiveFrom.After(rule.EffectiveFrom)) {
			rule = r
		}
	}
	return rule
}

// CommitmentRule picks the rule of a commitment kind in force on the day it was signed, the
// latest one when several are; nil when the kind has none (the commitment is then not public).
func CommitmentRule(rules []*ent.PublicityRule, kind string, signed time.Time) *ent.PublicityRule {
	var rule *ent.PublicityRule
	for _, r := range rules {
		if string(r.CommitmentKind) == kind && inForce(r, signed) && (rule == nil || r.EffectiveFrom.After(rule.EffectiveFrom)) {
			rule = r
		}
	}
	return rule
}

func inForce(r *ent.PublicityRule, day time.Time) bool {
	return !r.EffectiveFrom.After(day) && (r.EffectiveTo == nil || r.EffectiveTo.After(day))
}

// Span is the window rule r gives a record whose publicity starts on start (domain.md §4):
// MinEnd = start + the rule's minimum months, the earliest day repair may end it; MaxEnd =
// start + its maximum months, the last day the record is public (inclusive; 公示截止期). Months
// are counted as 民法典 art. 202 counts them (vocab.AddMonths: no corresponding day → the
// month's last day). It is the one place windows are counted.
type Span struct {
	Start, MinEnd, MaxEnd time.Time
}

// SpanOf counts the window of rule r from start. A rule whose minimum counts from the day the
// obligations were met (the wage-arrears list: 6 months after the arrears are paid) counts it
// from met, and allows no early end before the maximum while met is nil.
func SpanOf(r *ent.PublicityRule, start time.Time, met *time.Time) Span {
	s := Span{Start: start, MinEnd: vocab.AddMonths(start, r.MinMonths), MaxEnd: vocab.AddMonths(start, r.MaxMonths)}
	if r.MinFrom == publicityrule.MinFromOBLIGATIONS_MET {
		s.MinEnd = s.MaxEnd
		if met != nil && vocab.AddMonths(*met, r.MinMonths).Before(s.MaxEnd) {
			s.MinEnd = vocab.AddMonths(*met, r.MinMonths)
		}
	}
	return s
}

// ActiveListing selects the list entries in force on day that carry consequences: published,
// not under objection or exempt, listed by day and neither removed nor past their planned end
// or the end of their measures (publicity and punishment are separate: domain.md §3.5).
// Joint punishment and the evaluation read listings through it.
func ActiveListing(day time.Time) predicate.ListEntry {
	return listentry.And(listentry.StatusEQ(vocab.Published), listentry.UnderObjection(false),
		listentry.Or(listentry.ExemptionIsNil(), listentry.Exemption("")),
		listentry.RemovedOnIsNil(), listentry.ListedOnLTE(day),
		listentry.Or(listentry.PlannedEndOnIsNil(), listentry.PlannedEndOnGTE(day)),
		listentry.Or(listentry.MeasuresEndOnIsNil(), listentry.MeasuresEndOnGTE(day)))
}

// nothing is a predicate no row satisfies.
var nothing = entql.FieldEQ("id", -1)

// Predicate says which rows of a record type are "in publicity" on day (domain.md §4, §10):
// what a public credit website and other departments may see. Authorization receives it at
// wiring time (authz.Config.Publicity) and adds it to the SQL of every read.
func Predicate(t vocab.RecordType, day time.Time) entql.P {
	published := entql.FieldEQ("status", string(vocab.Published))
	switch t {
	case vocab.RecordPenalty:
		return entql.And(published, entql.FieldGTE("publicity_deadline", day))
	case vocab.RecordListEntry:
		return entql.And(published, entql.FieldNil("removed_on"),
			entql.Or(entql.FieldNil("planned_end_on"), entql.FieldGTE("planned_end_on", day)))
	case vocab.RecordRating:
		return entql.And(published, entql.Or(entql.FieldNil("valid_until"), entql.FieldGTE("valid_until", day)))
	case vocab.RecordCommitment:
		return entql.And(published, entql.FieldGTE("publicity_deadline", day))
	case vocab.RecordRedList:
		return entql.And(published, entql.FieldNil("removed_on"),
			entql.Or(entql.FieldNil("valid_until"), entql.FieldGTE("valid_until", day)))
	case vocab.RecordLicence, vocab.RecordSpotCheck, vocab.RecordScoreEvent:
		return published
	default: // anything not named here is never public
		return nothing
	}
}

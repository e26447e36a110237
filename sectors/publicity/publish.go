package publicity

import (
	"context"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/workdays"
	"github.com/creditgraph/creditgraph/sectors/workflow"
)

// PublishBy is the last day to publish a penalty decided on decided under rule r, and whether
// there is one: a rule that counts the window from publication (SAMR Order 45 art. 13) comes
// with a time to publish from the decision (art. 9: 20 working days; the 10 + 10 across
// provinces is not modelled), the PENALTY/PUBLISH time limit in force on the decision day,
// counted on the official calendar. Before any version of that limit, none is due.
func PublishBy(ctx context.Context, src refdata.Source, r *ent.PublicityRule, decided time.Time) (time.Time, bool, error) {
	return publishBy(ctx, src, nil, r, decided)
}

// publishBy is PublishBy counted on cal, or on the stored calendar when cal is nil.
func publishBy(ctx context.Context, src refdata.Source, cal *workdays.Calendar, r *ent.PublicityRule, decided time.Time) (time.Time, bool, error) {
	if r == nil || !r.Published || r.StartAnchor == nil || *r.StartAnchor != publicityrule.StartAnchorPUBLICATION_DATE {
		return time.Time{}, false, nil
	}
	n, err := refdata.Limit(ctx, src, "PENALTY", "PUBLISH", decided)
	if ent.IsNotFound(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if cal == nil {
		stored, err := refdata.Calendar(ctx, src)
		if err != nil {
			return time.Time{}, false, err
		}
		cal = &stored
	}
	return cal.Add(decided, n), true, nil
}

// RecountPublishBy counts the publishBy of every published penalty due on or after since (the
// zero time: every one) again on cal, the calendar as it now stands, as the write engine
// counted it (the rule the penalty's fields choose, PublishBy), and stores those that changed;
// with missingOnly, only penalties without one (a database made before publishBy existed). The
// update is the deadline's alone: no record event.
func RecountPublishBy(ctx context.Context, c *ent.Client, cal workdays.Calendar, since time.Time, missingOnly bool) ([]workflow.Change, error) {
	ctx = authz.AsSystem(ctx)
	rules, err := refdata.PublicityRules(ctx, refdata.Of(c))
	if err != nil {
		return nil, err
	}
	var anchored []string // rule sets with a rule counting from publication
	for _, r := range rules {
		if r.StartAnchor != nil && *r.StartAnchor == publicityrule.StartAnchorPUBLICATION_DATE {
			anchored = append(anchored, r.RuleSet)
		}
	}
	q := c.AdministrativePenalty.Query().Where(administrativepenalty.PublicityStartNotNil(), administrativepenalty.PublicityRuleSetIn(anchored...))
	if missingOnly {
		q.Where(administrativepenalty.PublishByIsNil())
	} else if !since.IsZero() {
		q.Where(administrativepenalty.PublishByGTE(since))
	}
	ps, err := q.Order(ent.Asc(administrativepenalty.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	ctx = refdata.WithCache(ctx) // the limits read once; cal is the calendar counted on
	var changes []workflow.Change
	for _, p := range ps {
		pen := Penalty{Severity: string(p.Severity), Sector: string(p.Sector), Categories: p.PenaltyCategories, Procedure: string(p.Procedure),
			Fine: p.FineAmount, Decided: p.DecisionDate, Published: p.PublishedOn, ValidUntil: p.ValidUntil}
		if p.Domain != nil {
			pen.Domain = string(*p.Domain)
		}
		rule, _ := PenaltyRule(rules, pen)
		now, due, err := publishBy(ctx, refdata.Of(c), &cal, rule, p.DecisionDate)
		if err != nil {
			return nil, err
		}
		was := time.Time{}
		if p.PublishBy != nil {
			was = *p.PublishBy
		}
		if due && now.Equal(was) || !due && p.PublishBy == nil {
			continue // a rule set counting from publication may hold rules that do not
		}
		changes = append(changes, workflow.Change{Record: "penalty", ID: p.ID, Field: "publishBy", Was: was, Now: now})
		upd := c.AdministrativePenalty.Update().Where(administrativepenalty.ID(p.ID)).SetPublishBy(now)
		if !due {
			upd.ClearPublishBy()
		}
		if err := upd.Exec(ctx); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// Package priornotice is the prior-notice workflow before a person is listed (domain.md §7):
// a department serves a notice (createPriorNotice), the person's reply — statements or a
// hearing request — is recorded once, by the deadline, and its handling is recorded once,
// after the reply. Listing a person needs a notice whose deadline passed or whose reply was
// handled; the ledger checks that for every writer.
package priornotice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/vocab"
)

// Completed selects the notices that allow a person to be listed on listType by a department of
// sector as of day (domain.md §7): served by a department of that sector on or before day, whose
// reply deadline passed before day with no reply, or whose reply was handled on or before day.
// A person who replied — statements, a hearing request — is heard before being listed, however
// long the handling takes; a listing dated before the handling predates the procedure's end, as
// one dated before the deadline does.
func Completed(personID int, listType string, sector vocab.Sector, day time.Time) predicate.PriorNotice {
	return priornotice.And(completedBy(personID, day), priornotice.ListType(listType),
		priornotice.HasDepartmentWith(department.SectorEQ(sector)))
}

// completedBy selects the notices to personID that are complete as of day, for any list.
func completedBy(personID int, day time.Time) predicate.PriorNotice {
	return priornotice.And(priornotice.PersonID(personID), priornotice.ServedOnLTE(day),
		priornotice.Or(priornotice.And(priornotice.ReplyDeadlineLT(day), priornotice.RepliedOnIsNil()),
			priornotice.And(priornotice.ReplyHandled(true), priornotice.HandledOnLTE(day))))
}

// Kind is a list by the sector of the department listing on it: what a notice allows.
type Kind struct {
	ListType string
	Sector   vocab.Sector
}

// CompletedKinds are the kinds Completed admits for personID as of day, all in one read: a
// person reached through many listings costs one statement, not one per listing.
func CompletedKinds(ctx context.Context, c *ent.Client, personID int, day time.Time) (map[Kind]bool, error) {
	var rows []struct {
		ListType string       `json:"list_type"`
		Sector   vocab.Sector `json:"sector"`
	}
	err := c.PriorNotice.Query().Where(completedBy(personID, day)).Modify(func(s *sql.Selector) {
		d := sql.Table(department.Table)
		s.Join(d).On(s.C(priornotice.FieldDepartmentID), d.C(department.FieldID))
		s.Select(s.C(priornotice.FieldListType), sql.As(d.C(department.FieldSector), department.FieldSector)).Distinct()
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	kinds := make(map[Kind]bool, len(rows))
	for _, r := range rows {
		kinds[Kind{r.ListType, r.Sector}] = true
	}
	return kinds, nil
}

// Reply is the person's reply to a notice.
type Reply struct {
	ReceivedOn       time.Time
	Statements       string
	HearingRequested bool
}

// RecordReply records the reply to notice id, once, if it was received by the reply deadline.
func RecordReply(ctx context.Context, c *ent.Client, env workflow.Env, id int, r Reply) (*ent.PriorNotice, error) {
	n, err := lock(ctx, c, id)
	if err != nil {
		return nil, err
	}
	today := env.Clock.Today()
	switch {
	case n.RepliedOn != nil:
		return nil, fmt.Errorf("%w: the reply to this notice was recorded already (received %s)", derrors.Conflict, n.RepliedOn.Format(time.DateOnly))
	case n.ReplyHandled:
		return nil, fmt.Errorf("%w: this notice's reply was handled already", derrors.Conflict)
	case strings.TrimSpace(r.Statements) == "" && !r.HearingRequested:
		return nil, derrors.Field("statements", "a reply states something or requests a hearing; give statements or hearingRequested: true")
	case r.ReceivedOn.After(today):
		return nil, derrors.Field("receivedOn", "%s is in the future", r.ReceivedOn.Format(time.DateOnly))
	case r.ReceivedOn.Before(n.ServedOn):
		return nil, derrors.Field("receivedOn", "%s is before the notice was served (%s)", r.ReceivedOn.Format(time.DateOnly), n.ServedOn.Format(time.DateOnly))
	case r.ReceivedOn.After(n.ReplyDeadline):
		return nil, derrors.Field("receivedOn", "%s is after the reply deadline %s: a late reply is not recorded against the notice",
			r.ReceivedOn.Format(time.DateOnly), n.ReplyDeadline.Format(time.DateOnly))
	}
	upd := c.PriorNotice.UpdateOneID(id).SetRepliedOn(r.ReceivedOn).SetHearingRequested(r.HearingRequested)
	if s := strings.TrimSpace(r.Statements); s != "" {
		upd.SetStatements(s)
	}
	return upd.Save(ctx)
}

// Handle records the outcome of handling the reply to notice id, once, after the reply. A
// notice nobody replied to needs no handling: its deadline passing is enough to list.
func Handle(ctx context.Context, c *ent.Client, env workflow.Env, id int, outcome string) (*ent.PriorNotice, error) {
	n, err := lock(ctx, c, id)
	if err != nil {
		return nil, err
	}
	switch {
	case n.ReplyHandled:
		return nil, fmt.Errorf("%w: this notice's reply was handled already (%s)", derrors.Conflict, n.HandledOn.Format(time.DateOnly))
	case n.RepliedOn == nil:
		return nil, fmt.Errorf("%w: no reply to this notice was recorded: there is nothing to handle; the person may be listed once the reply deadline %s has passed",
			derrors.Conflict, n.ReplyDeadline.Format(time.DateOnly))
	case strings.TrimSpace(outcome) == "":
		return nil, derrors.Field("outcome", "state the outcome of handling the reply")
	}
	return c.PriorNotice.UpdateOneID(id).SetReplyHandled(true).SetOutcome(strings.TrimSpace(outcome)).SetHandledOn(env.Clock.Today()).Save(ctx)
}

// lock reads notice id for a step, locking its row until the transaction ends so that of
// identical concurrent steps one has effect and the others see its result. It answers not
// found when the caller cannot see the notice, and FORBIDDEN when it can but may not act for
// the notice's department.
func lock(ctx context.Context, c *ent.Client, id int) (*ent.PriorNotice, error) {
	n, err := c.PriorNotice.Query().Where(priornotice.ID(id), predicate.PriorNotice(workflow.ForUpdate)).
		WithDepartment().Only(ctx)
	if err != nil {
		return nil, err
	}
	if n.Edges.Department == nil {
		return nil, fmt.Errorf("%w: prior notice %d has no department", derrors.NotFound, id)
	}
	if !authz.May(authz.FromContext(ctx), authz.Determining, authz.Owner{Sector: n.Edges.Department.Sector, Department: n.Edges.Department.Code}) {
		return nil, fmt.Errorf("%w: a notice's reply is recorded and handled by the department that served it", derrors.Forbidden)
	}
	return n, nil
}

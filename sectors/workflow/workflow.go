// Package workflow is the small state-machine engine behind the credit workflows (repair,
// objections): each state lists the states it may move to and who may make each step. A step
// that the current state does not allow is a CONFLICT naming the allowed next states; a step by
// the wrong actor is FORBIDDEN (who acts as which actor is authz's answer: authz.May);
// refusals need a reason.
package workflow

import (
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/vocab"
)

// Edge is an allowed step.
type Edge[S ~string] struct {
	To     S
	Actor  authz.Actor
	Reason bool // a reason is required
	// Duty names the part of the procedure the step belongs to (applying, accepting,
	// reviewing, deciding) where one person may take only one part; "" for none.
	Duty string
}

// Machine maps each state to its allowed steps.
type Machine[S ~string] map[S][]Edge[S]

// Next lists the states reachable from s.
func (m Machine[S]) Next(s S) []S {
	var out []S
	for _, e := range m[s] {
		out = append(out, e.To)
	}
	return out
}

// Step checks a step from one state to another by the viewer, for a record made by owner.
func (m Machine[S]) Step(what string, from, to S, v *authz.Viewer, owner authz.Owner, reason string) (Edge[S], error) {
	for _, e := range m[from] {
		if e.To != to {
			continue
		}
		if !authz.May(v, e.Actor, owner) {
			return e, fmt.Errorf("%w: %s to %s is for the %s (of %s)", derrors.Forbidden, from, to,
				strings.ToLower(strings.ReplaceAll(string(e.Actor), "_", " ")), owner.Department)
		}
		if e.Reason && strings.TrimSpace(reason) == "" {
			return e, derrors.Field("reason", "a reason is required to move %s to %s", what, to)
		}
		return e, nil
	}
	next := m.Next(from)
	names := make([]string, len(next))
	for i, s := range next {
		names[i] = string(s)
	}
	return Edge[S]{}, fmt.Errorf("%w: %s %s cannot become %s; allowed next states: [%s]", derrors.Conflict, what, from, to, strings.Join(names, ", "))
}

// Final reports whether s has no next state.
func (m Machine[S]) Final(s S) bool { return len(m[s]) == 0 }

// Env is what the workflows need from the composition root: the clock that dates steps and
// deadlines, and the broker their decisions are published through after commit.
type Env struct {
	Clock  vocab.Clock
	Events *events.Broker
}

// ForUpdate makes a read lock the rows it reads until the transaction ends (MySQL), so a second
// submission of the same step waits for the first and then sees its result — one effect, the
// others CONFLICT. SQLite lets one writing transaction in at a time already.
func ForUpdate(s *sql.Selector) {
	if s.Dialect() == dialect.MySQL {
		s.ForUpdate()
	}
}

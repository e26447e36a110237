package ledger

import (
	"context"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/vocab"
)

// Expire moves to EXPIRED the published records whose publicity window has ended (domain.md §4:
// PUBLISHED → EXPIRED, 公示期满): penalties after their publicity deadline, listings after their
// planned end that were not removed. The rows stay for the departments that keep them; the
// public and other departments stopped seeing them on the day after the window (the publicity
// predicate reads the dates), so this changes what records read, not who sees them. It
// returns how many rows changed; the server runs it at start and with the lapsed-evaluation
// job.
func (e *Engine) Expire(ctx context.Context, c *gen.Client) (int, error) {
	ctx = authz.AsSystem(ctx)
	today := e.today()
	n, err := c.AdministrativePenalty.Update().
		Where(administrativepenalty.StatusEQ(vocab.Published), administrativepenalty.PublicityDeadlineLT(today)).
		SetStatus(vocab.Expired).Save(ctx)
	if err != nil {
		return 0, err
	}
	m, err := c.ListEntry.Update().
		Where(listentry.StatusEQ(vocab.Published), listentry.RemovedOnIsNil(), listentry.PlannedEndOnLT(today)).
		SetStatus(vocab.Expired).Save(ctx)
	return n + m, err
}

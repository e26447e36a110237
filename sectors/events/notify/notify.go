// Package notify publishes a credit event once the transaction that made it commits: an event
// of a rolled-back change is never seen.
package notify

import (
	"context"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/events"
)

// AfterCommit publishes e through the client's broker when the transaction in ctx commits, or
// at once outside a transaction.
func AfterCommit(ctx context.Context, c *ent.Client, e events.Event) {
	if c.Events == nil {
		return
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		c.Events.Publish(e)
		return
	}
	broker := c.Events
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				broker.Publish(e)
			}
			return err
		})
	})
}

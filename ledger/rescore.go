package ledger

import (
	"context"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
)

// RescoreLapsed scores again the entities whose environmental score changed with the calendar
// alone — an event's validity ended, a version of the colour bands began — since their rolling
// rating was last scored (scorer.Lapsed), in transactions of 100 entities: the rating and the
// evaluation follow, as they do a recorded event. It returns how many it scored; a second run
// on the same day finds none.
func (e *Engine) RescoreLapsed(ctx context.Context, c *gen.Client) (int, error) {
	ctx = authz.AsSystem(ctx)
	today := e.today()
	ids, err := scorer.Lapsed(ctx, c, today)
	if err != nil {
		return 0, err
	}
	done := 0
	for len(ids) > 0 {
		batch := ids[:min(100, len(ids))]
		ids = ids[len(batch):]
		tx, err := c.Tx(ctx)
		if err != nil {
			return done, err
		}
		txCtx := e.ObserveTiers(gen.NewTxContext(ctx, tx))
		// The batch's locks first, in one order (each rescore then finds its own held): two
		// instances running the job at once wait for each other instead of deadlocking.
		err = evaluator.Lock(txCtx, tx.Client(), batch...)
		for i := 0; err == nil && i < len(batch); i++ {
			err = scorer.Rescore(txCtx, tx.Client(), batch[i], today)
		}
		if err != nil {
			_ = tx.Rollback()
			return done, err
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
		done += len(batch)
	}
	return done, nil
}

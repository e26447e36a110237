package graph

import (
	"context"

	"github.com/creditgraph/creditgraph/ent"
)

// createOnce makes a record create idempotent on its source key: when a record with the same
// (sourceSystem, sourceRecordId) exists it is returned unchanged and nothing is written, so a
// department's system can retry a send it is unsure of. Two concurrent first sends meet the
// unique index, and the loser gets a CONFLICT error.
func createOnce[T any](ctx context.Context, existing, create func(context.Context) (T, error)) (T, error) {
	v, err := existing(ctx)
	if err == nil || !ent.IsNotFound(err) {
		return v, err
	}
	return create(ctx)
}

package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/events"
)

// subscribe streams the broker's events that match the filters and whose record the viewer
// may read at the moment the event arrives — what node(id) would show it then, so an event of
// a listing that has left publicity, or of a record the role can no longer read, is not sent —
// until the subscription's context ends.
func subscribe(ctx context.Context, client *ent.Client, b *events.Broker, departments []string, types []CreditEventType) (<-chan *events.Event, error) {
	v := authz.FromContext(ctx)
	if v == nil || v.Perms == nil {
		return nil, derrors.Forbidden
	}
	for _, d := range departments {
		if _, err := authz.SectorOf(d); err != nil {
			return nil, derrors.Field("departments", "%s", err)
		}
	}
	in, cancel := b.Subscribe(64)
	out := make(chan *events.Event, 1)
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-in:
				if !ok {
					return
				}
				// A record's event goes to readers of its sector; a tier change (no sector) to
				// whoever may read the entity, whatever the department filter.
				if len(departments) > 0 && e.Sector != "" && !slices.Contains(departments, strings.ToLower(string(e.Sector))) ||
					len(types) > 0 && !slices.Contains(types, CreditEventType(e.Type)) ||
					e.Sector != "" && !v.Perms.SeesRecordOf(e.Sector, true) && !v.Perms.ReadsOwnFileOnly() { // cannot read even the sector's public records (a subject's own records: the node check below)
					continue
				}
				if _, err := client.Noder(ctx, e.RecordID); err != nil {
					continue // hidden from the viewer now (or gone)
				}
				if e.Document != 0 {
					if _, err := client.Noder(ctx, e.Document); err != nil {
						continue // a decision on a document the viewer may not read
					}
				}
				select {
				case out <- &e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// nonEmpty is nil for the zero value, so an absent enum is null in GraphQL.
func nonEmpty[T ~string](v T) *T {
	if v == "" {
		return nil
	}
	return &v
}

// visible is a row as the caller may read it: nil, without an error, when it is hidden or
// gone (an event outlives neither the caller's rights nor the row).
func visible[T any](v T, err error) (T, error) {
	var zero T
	if ent.IsNotFound(err) {
		return zero, nil
	}
	return v, err
}

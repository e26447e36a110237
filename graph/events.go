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
				if len(departments) > 0 && !slices.Contains(departments, strings.ToLower(string(e.Sector))) ||
					len(types) > 0 && !slices.Contains(types, CreditEventType(e.Type)) ||
					!v.Perms.SeesRecordOf(e.Sector, true) { // cannot read even the sector's public records
					continue
				}
				if _, err := client.Noder(ctx, e.RecordID); err != nil {
					continue // hidden from the viewer now (or gone)
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

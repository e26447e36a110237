package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/sectors/events"
)

// subscribe streams the broker's events that match the filters and that the viewer may see,
// until the subscription's context ends.
func subscribe(ctx context.Context, b *events.Broker, departments []string, types []CreditEventType) (<-chan *events.Event, error) {
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
					!v.Perms.SeesRecordOf(e.Sector, e.Public) {
					continue
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

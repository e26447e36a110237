package graph_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A role's end is its last day, and may be recorded ahead (a term that ends on a known day) or
// on that day: the entity's legal representative (MarketEntity.legalRepresentative, stored for
// the supervisors' queries) changes the day after with nothing written. Entities' representative
// roles end on, before and after the days checked; a third have an older representative role
// still open, who is the representative again once the newer one ends, and a third a newer one.
// The server's daily job (Ledger.SyncRepresentatives) runs on those days only, and after each
// run every entity's stored representative is the plain reading of its roles that day: the
// latest started LEGAL_REPRESENTATIVE role held, or none.
func TestTheLegalRepresentativeFollowsARoleEndingWithoutAWrite(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var now atomic.Int64
		start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
		now.Store(start.Unix())
		clock := vocab.Clock(func() time.Time { return time.Unix(now.Load(), 0).UTC() })
		env := newEnvWith(t, e, 24, storage.Options{Clock: clock})
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		today := clock.Today()
		days := []time.Time{today, today.AddDate(0, 0, 3), today.AddDate(0, 0, 10), today.AddDate(0, 0, 30)}
		entities := env.entities(24)
		for i, en := range entities {
			id := atoi(t, en.ID)
			current, err := c.EntityRole.Query().Where(entityrole.EntityID(id), entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE)).Only(ctx)
			if err != nil {
				t.Fatalf("%s's representative role: %v", en.Uscc, err)
			}
			if current.StartedOn == nil || current.StartedOn.After(today.AddDate(0, 0, -2)) {
				t.Fatalf("%s's representative started %v: the cases below need a start before yesterday", en.Uscc, current.StartedOn)
			}
			switch i % 3 {
			case 1: // an older representative role still open
				p := env.registerPerson(fmt.Sprintf("旧任%d", i), fmt.Sprintf("32050219700101%03d", i))
				if err := c.EntityRole.Create().SetEntityID(id).SetPersonID(atoi(t, p)).SetRole(entityrole.RoleLEGAL_REPRESENTATIVE).
					SetStartedOn(current.StartedOn.AddDate(-1, 0, 0)).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			case 2: // a newer one, appointed yesterday
				p := env.registerPerson(fmt.Sprintf("新任%d", i), fmt.Sprintf("32050219900101%03d", i))
				if err := c.EntityRole.Create().SetEntityID(id).SetPersonID(atoi(t, p)).SetRole(entityrole.RoleLEGAL_REPRESENTATIVE).
					SetStartedOn(today.AddDate(0, 0, -1)).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// The day before, on or after a day checked.
			end := days[(i/3)%len(days)].AddDate(0, 0, (i/12)%3-1)
			if err := c.EntityRole.UpdateOne(current).SetEndedOn(end).Exec(ctx); err != nil {
				t.Fatalf("ending %s's representative role on %s: %v", en.Uscc, end.Format(time.DateOnly), err)
			}
		}
		changed, first := 0, map[int]int{}
		for _, day := range days {
			now.Store(day.Add(4 * time.Hour).Unix())
			if err := env.db.Ledger.SyncRepresentatives(ctx, c); err != nil {
				t.Fatal(err)
			}
			for _, en := range entities {
				id := atoi(t, en.ID)
				roles, err := c.EntityRole.Query().Where(entityrole.EntityID(id), entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE)).All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want, role := 0, 0
				var since time.Time
				for _, r := range roles {
					from := time.Time{}
					if r.StartedOn != nil {
						from = *r.StartedOn
					}
					held := !from.After(day) && (r.EndedOn == nil || !r.EndedOn.Before(day))
					if held && (role == 0 || from.After(since) || from.Equal(since) && r.ID > role) {
						want, role, since = r.PersonID, r.ID, from
					}
				}
				me, err := c.MarketEntity.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				got := me.LegalRepresentativeID
				if got != want {
					t.Errorf("%s on %s: stored representative %d, the roles say %d", en.Uscc, day.Format(time.DateOnly), got, want)
				}
				if day.Equal(today) {
					first[id] = want
				} else if want != first[id] && got == want {
					changed++
				}
			}
		}
		if changed == 0 {
			t.Error("no representative changed with the days")
		}
	})
}

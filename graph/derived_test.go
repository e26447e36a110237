package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A row a write derives from other rows — the joint-punishment measure applications from a
// listing, the roles at its entity and the persons' prior notices; an entity's legal
// representative from its roles — is what deriving it afresh gives, however the writes that
// decide it interleave. For every ordered pair of those writes, the first is made in a
// transaction left open while the second runs (and waits, if it must), then the first commits;
// the writes not in the pair are made before. Afterwards deriving afresh may change nothing.
// On MariaDB a derivation that reads its transaction's snapshot, or reads rows another open
// transaction is still writing without waiting for it, misses the other write: the person the
// listing should reach goes free, or an entity keeps a former representative.
func TestInterleavedWritesLeaveDerivedRowsCurrent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co := env.as("demo-market-clerk"), env.as("demo-credit-office")
		ctx := authz.AsSystem(context.Background())
		dep := env.departmentID("market-320500")
		today := vocab.SystemClock.Today()

		// A scene is one entity and two persons the writes are about.
		type scene struct{ entity, p, q int }
		n := 0
		newScene := func() scene {
			n++
			var ent struct{ CreateMarketEntity struct{ ID string } }
			clerk.mustData(`mutation($u: String!, $n: String!) { createMarketEntity(input: {uscc: $u, name: $n}) { id } }`,
				map[string]any{"u": validUSCC("91320505", fmt.Sprintf("6%07d", n)), "n": fmt.Sprintf("苏州派生某公司%d", n)}, &ent)
			person := func(i int) int {
				first17 := fmt.Sprintf("320502198503%02d%03d", 1+n%28, 100*i+n)
				c, err := ident.ResidentIDCheckChar(first17)
				if err != nil {
					t.Fatal(err)
				}
				var p struct{ CreateNaturalPerson struct{ ID string } }
				co.mustData(`mutation($n: String!, $id: String!) { createNaturalPerson(input: {name: $n, idNumber: $id}) { id } }`,
					map[string]any{"n": fmt.Sprintf("派生%d-%d", n, i), "id": first17 + string(c)}, &p)
				return atoi(t, p.CreateNaturalPerson.ID)
			}
			return scene{entity: atoi(t, ent.CreateMarketEntity.ID), p: person(1), q: person(2)}
		}
		// The writes: together they put the entity on a list whose measures reach its legal
		// representative p once notified, then appoint q representative after p.
		writes := map[string]func(c *gen.Client, s scene) error{
			"listing": func(c *gen.Client, s scene) error {
				k := fmt.Sprintf("DL-%d", s.entity)
				return c.ListEntry.Create().SetDepartmentID(dep).SetEntityID(s.entity).SetSourceSystem("derived").SetSourceRecordID(k).
					SetDecisionNo(k).SetSeverity(vocab.Severity("SERIOUS")).SetListType(listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST).
					SetListedOn(today.AddDate(0, 0, -30)).SetReason("r").SetBasis("总局令第44号").Exec(ctx)
			},
			"role": func(c *gen.Client, s scene) error {
				return c.EntityRole.Create().SetEntityID(s.entity).SetPersonID(s.p).SetRole(entityrole.RoleLEGAL_REPRESENTATIVE).
					SetStartedOn(today.AddDate(0, 0, -400)).Exec(ctx)
			},
			"notice": func(c *gen.Client, s scene) error {
				return c.PriorNotice.Create().SetDepartmentID(dep).SetPersonID(s.p).SetNoticeNo(fmt.Sprintf("DN-%d", s.entity)).
					SetListType("MS_SERIOUS_ILLEGAL_DISHONEST").SetFacts("f").SetServiceMethod(priornotice.ServiceMethodPOST).
					SetServedOn(today.AddDate(0, 0, -29)).SetReplyDeadline(today.AddDate(0, 0, -5)).Exec(ctx)
			},
			"later representative": func(c *gen.Client, s scene) error {
				return c.EntityRole.Create().SetEntityID(s.entity).SetPersonID(s.q).SetRole(entityrole.RoleLEGAL_REPRESENTATIVE).
					SetStartedOn(today.AddDate(0, 0, -200)).Exec(ctx)
			},
		}
		kinds := []string{"listing", "role", "notice", "later representative"}
		// A write reads before it writes, as a request's checks do: on MariaDB the transaction's
		// snapshot is taken there, before the write waits for any lock.
		begin := func(c *gen.Client) (*gen.Tx, error) {
			tx, err := c.Tx(ctx)
			if err != nil {
				return nil, err
			}
			if _, err := tx.Department.Get(ctx, dep); err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			return tx, nil
		}
		write := func(name string, c *gen.Client, s scene) error {
			tx, err := begin(c)
			if err != nil {
				return err
			}
			if err := writes[name](tx.Client(), s); err != nil {
				return errors.Join(fmt.Errorf("%s: %w", name, err), tx.Rollback())
			}
			return tx.Commit()
		}
		for _, first := range kinds {
			for _, second := range kinds {
				if first == second {
					continue
				}
				t.Run(first+" then "+second, func(t *testing.T) {
					s := newScene()
					for _, k := range kinds {
						if k != first && k != second {
							if err := write(k, env.db.Client, s); err != nil {
								t.Fatal(err)
							}
						}
					}
					open, err := begin(env.db.Client)
					if err != nil {
						t.Fatal(err)
					}
					if err := writes[first](open.Client(), s); err != nil {
						t.Fatal(err)
					}
					done := make(chan error)
					go func() {
						for n := 1; ; n++ {
							err := write(second, env.db.Client, s)
							if !derrors.WriteClash(err) || n == 5 || !derrors.AfterClash(ctx, n) {
								done <- err
								return
							}
						}
					}()
					// The second write runs now, to its end or to a lock the first holds.
					time.Sleep(150 * time.Millisecond)
					if err := open.Commit(); err != nil {
						t.Fatal(err)
					}
					if err := <-done; err != nil {
						t.Fatal(err)
					}

					written := measureApplications(t, env, s.entity)
					if !slices.ContainsFunc(written, func(a string) bool { return strings.Contains(a, "via LEGAL_REPRESENTATIVE") }) {
						t.Errorf("the listing reaches no representative: %q", written)
					}
					listings, err := env.db.Client.ListEntry.Query().Where(listentry.EntityID(s.entity)).IDs(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if err := jointpunishment.Sync(ctx, env.db.Client, today, listings...); err != nil {
						t.Fatal(err)
					}
					if synced := measureApplications(t, env, s.entity); !slices.Equal(written, synced) {
						t.Errorf("measure applications after the writes:\n%s\nderived afresh:\n%s", strings.Join(written, "\n"), strings.Join(synced, "\n"))
					}
					var rep int
					if err := env.db.SQL.QueryRow("SELECT COALESCE(legal_representative_id, 0) FROM market_entities WHERE id = ?", s.entity).Scan(&rep); err != nil {
						t.Fatal(err)
					}
					if rep != s.q {
						t.Errorf("legal representative %d, want %d (appointed after %d)", rep, s.q, s.p)
					}
				})
			}
		}
	})
}

// measureApplications are the stored applications of the entity's listings, as sorted text.
func measureApplications(t *testing.T, env *testEnv, entity int) []string {
	t.Helper()
	rows, err := env.db.SQL.Query(`SELECT a.measure_id, COALESCE(a.entity_id, 0), COALESCE(a.person_id, 0), a.via, a.from_on,
		COALESCE(a.to_on, ''), COALESCE(a.lifted_on, ''), COALESCE(a.lifted_reason, '')
		FROM measure_applications a JOIN list_entries l ON l.id = a.list_entry_id WHERE l.entity_id = ?`, entity)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var measure, ent, person int
		var via, from, to, lifted, reason string
		if err := rows.Scan(&measure, &ent, &person, &via, &from, &to, &lifted, &reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("measure %d entity %d person %d via %s from %.10s to %.10s lifted %.10s %s",
			measure, ent, person, via, from, to, lifted, reason))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// atoi is a node ID as the integer the database stores.
func atoi(t *testing.T, id string) int {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("node ID %q: %v", id, err)
	}
	return n
}

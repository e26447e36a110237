package graph_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
	"github.com/shopspring/decimal"
	"github.com/vektah/gqlparser/v2/ast"
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
		clerk := env.as("demo-market-clerk")
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
				return atoi(t, env.registerPerson(fmt.Sprintf("派生%d-%d", n, i), fmt.Sprintf("320502198503%02d%03d", 1+n%28, 100*i+n)))
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
		for _, first := range kinds {
			for _, second := range kinds {
				if first == second {
					continue
				}
				t.Run(first+" then "+second, func(t *testing.T) {
					s := newScene()
					for _, k := range kinds {
						if k != first && k != second {
							if err := written(env, func(c *gen.Client) error { return writes[k](c, s) }); err != nil {
								t.Fatal(err)
							}
						}
					}
					err := interleave(t, env, func(c *gen.Client) error { return writes[first](c, s) },
						func() error { return written(env, func(c *gen.Client) error { return writes[second](c, s) }) })
					if err != nil {
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

// Every date-order rule of the write engine (an end not before its start: notBefore in package
// ledger, found there by this test) holds however two corrections of one row interleave: one
// moving the end before a start the other moves later. Each correction alone is valid against
// the row as it was; the second, run while the first is open and uncommitted, must check
// against the row the first commits, and be refused. On MariaDB a check that read the row from
// the transaction's snapshot let both through and stored an end before its start.
func TestInterleavedCorrectionsKeepDateOrder(t *testing.T) {
	var rules [][3]string // type, start, end
	for typ, ps := range ledger.Periods() {
		for _, p := range ps {
			rules = append(rules, [3]string{typ, p[0], p[1]})
		}
	}
	slices.SortFunc(rules, func(a, b [3]string) int { return strings.Compare(strings.Join(a[:], " "), strings.Join(b[:], " ")) })
	if len(rules) < 10 {
		t.Fatalf("%d periods in ledger.Periods: the test lost its reach", len(rules))
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		ctx := authz.AsSystem(context.Background())
		var first struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
			NaturalPersons struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.as("demo-credit-office").mustData(`{ marketEntities(first: 1, orderBy: [{field: USCC}]) { edges { node { id } } }
			naturalPersons(first: 1) { edges { node { id } } } }`, nil, &first)
		entity, person := first.MarketEntities.Edges[0].Node.ID, first.NaturalPersons.Edges[0].Node.ID
		day0 := todayMinus(60)
		record := func(dep, key string, more map[string]any) map[string]any {
			in := map[string]any{"departmentID": env.departmentID(dep), "entityID": entity, "sourceSystem": "order", "sourceRecordID": key}
			maps.Copy(in, more)
			return in
		}
		listing := correctable{"demo-market-clerk", "createListEntry", func(key string) map[string]any {
			return record("market-320000", key, map[string]any{"severity": "SERIOUS", "listType": "MS_ABNORMAL_OPERATION", "listedOn": day0,
				"reason": "无法联系", "basis": "办法第四条", "decisionNo": "列" + key})
		}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
			u := c.ListEntry.UpdateOneID(id)
			return u.Mutation(), func() error { return u.Exec(ctx) }
		}}
		redList := correctable{"demo-market-clerk", "createRedListEntry", func(key string) map[string]any {
			return record("market-320000", key, map[string]any{"listType": "SAMR_CONTRACT_HONOUR", "source": "省市场监管局", "decisionNo": "荣" + key,
				"recognisedOn": day0, "validUntil": todayMinus(-300), "basis": "办法"})
		}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
			u := c.RedListEntry.UpdateOneID(id)
			return u.Mutation(), func() error { return u.Exec(ctx) }
		}}
		var firm, prov map[string]struct{ ID string }
		env.as("demo-credit-office").mustData(`mutation($u: String!) { r: createMarketEntity(input: {uscc: $u, name: "次序服务有限公司"}) { id } }`,
			map[string]any{"u": validUSCC("91320500", "MA1KRD01")}, &firm)
		env.as("demo-environment-clerk").mustData(`mutation($e: ID!) { r: createServiceProvider(input: {kind: OTHER, entityID: $e}) { id } }`,
			map[string]any{"e": firm["r"].ID}, &prov)
		provider := prov["r"].ID
		kinds := map[string]correctable{ // by type
			"AdministrativePenalty": {"demo-market-clerk", "createAdministrativePenalty", func(key string) map[string]any {
				in := penaltyInput(env, "market-320000", key)["in"].(map[string]any)
				in["decisionDate"] = day0
				return in
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.AdministrativePenalty.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"ListEntry": listing,
			"SectorRating": {"demo-market-clerk", "createSectorRating", func(key string) map[string]any {
				return record("market-320000", key, map[string]any{"scheme": "MARKET_RISK_CLASS", "grade": "B", "period": "2025-12", "validFrom": day0})
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.SectorRating.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"AdministrativeLicense": {"demo-market-clerk", "createAdministrativeLicense", func(key string) map[string]any {
				return record("market-320000", key, map[string]any{"decisionDocName": "准予许可决定书", "decisionNo": "许" + key,
					"licenseCategory": "ORDINARY", "content": "食品销售", "decisionDate": day0, "validFrom": day0, "validTo": "2030-01-01",
					"authorityName": "省局", "authorityUscc": "11320000014000003W"})
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.AdministrativeLicense.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"RedListEntry": redList,
			"CreditScoreEvent": {"demo-environment-clerk", "createCreditScoreEvent", func(key string) map[string]any {
				return record("environment-320000", key, map[string]any{"scheme": "ENV_CREDIT_JS", "points": 1, "category": "超标排放", "effectiveFrom": day0})
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.CreditScoreEvent.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"EntityRole": {"demo-market-clerk", "createEntityRole", func(string) map[string]any {
				return map[string]any{"entityID": entity, "personID": person, "role": "PRINCIPAL", "startedOn": day0}
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.EntityRole.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"PriorNotice": {"demo-market-clerk", "createPriorNotice", func(key string) map[string]any {
				return map[string]any{"departmentID": env.departmentID("market-320500"), "personID": person, "noticeNo": key,
					"listType": "MS_SERIOUS_ILLEGAL_DISHONEST", "facts": "f", "servedOn": day0, "serviceMethod": "POST", "replyDeadline": todayMinus(40)}
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.PriorNotice.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"Practitioner": {"demo-environment-clerk", "createPractitioner", func(key string) map[string]any {
				// A practitioner is one person's work at one provider: a new person for each.
				first17 := fmt.Sprintf("32050219800101%03d", atoi(t, strings.TrimPrefix(key, "ORD-")))
				return map[string]any{"providerID": provider, "personID": env.registerPerson("执业"+key, first17), "startedOn": day0}
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.Practitioner.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
			"ExemptionPeriod": {"demo-credit-office", "createExemptionPeriod", func(key string) map[string]any {
				return map[string]any{"name": "期间" + key, "startsOn": day0, "endsOn": todayMinus(-30), "basis": "声明"}
			}, func(c *gen.Client, id int) (ent.Mutation, func() error) {
				u := c.ExemptionPeriod.UpdateOneID(id)
				return u.Mutation(), func() error { return u.Exec(ctx) }
			}},
		}
		// A correction: a field set to a day (a removal with its reason).
		correct := func(k correctable, c *gen.Client, id int, field, day string) error {
			m, exec := k.update(c, id)
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.SetField(field, d); err != nil {
				t.Fatal(err)
			}
			if l, ok := m.(*gen.ListEntryMutation); ok && field == "removed_on" {
				l.SetRemovalReason(listentry.RemovalReasonCORRECTED)
			}
			return exec()
		}
		n := 0
		for _, rule := range rules {
			k, ok := kinds[rule[0]]
			if !ok {
				t.Errorf("%s's period %s ≤ %s: give %s a kind here", rule[0], rule[1], rule[2], rule[0])
				continue
			}
			start, end := rule[1], rule[2]
			for _, endFirst := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s %s≤%s,%s first", rule[0], start, end, map[bool]string{true: "end", false: "start"}[endFirst]), func(t *testing.T) {
					n++
					var made map[string]struct{ ID string }
					env.as(k.token).mustData(`mutation($in: Create`+k.create[6:]+`Input!) { r: `+k.create+`(input: $in) { id } }`,
						map[string]any{"in": k.input(fmt.Sprintf("ORD-%d", n))}, &made)
					id := atoi(t, made["r"].ID)
					first, second := [2]string{end, todayMinus(55)}, [2]string{start, todayMinus(50)}
					if !endFirst {
						first, second = second, first
					}
					err := interleave(t, env, func(c *gen.Client) error { return correct(k, c, id, first[0], first[1]) },
						func() error {
							return written(env, func(c *gen.Client) error { return correct(k, c, id, second[0], second[1]) })
						})
					if err != nil && !strings.Contains(err.Error(), "is before") {
						t.Fatalf("the second correction failed otherwise than by the rule: %v", err)
					}
					var s, en sql.NullString
					table := map[string]string{"createAdministrativePenalty": "administrative_penalties", "createListEntry": "list_entries",
						"createSectorRating": "sector_ratings", "createAdministrativeLicense": "administrative_licenses",
						"createRedListEntry": "red_list_entries", "createCreditScoreEvent": "credit_score_events",
						"createEntityRole": "entity_roles", "createPriorNotice": "prior_notices", "createPractitioner": "practitioners",
						"createExemptionPeriod": "exemption_periods"}[k.create]
					if err := env.db.SQL.QueryRow("SELECT "+start+", "+end+" FROM "+table+" WHERE id = ?", id).Scan(&s, &en); err != nil {
						t.Fatal(err)
					}
					if en.Valid && en.String[:10] < s.String[:10] {
						t.Errorf("stored %s %.10s before %s %.10s", end, en.String, start, s.String)
					}
				})
			}
		}
	})
}

// Every period the API lets a caller write — a pair of date fields of one input named as a
// start and its end (validFrom and validTo or validUntil, startedOn and endedOn, startsOn and
// endsOn) — is among the write engine's periods (ledger.Periods), so its order is kept and
// TestInterleavedCorrectionsKeepDateOrder tries it. The pairs are read from the served schema's create and update inputs.
func TestEveryPeriodHasItsOrderRule(t *testing.T) {
	have := map[[3]string]bool{}
	for typ, ps := range ledger.Periods() {
		for _, p := range ps {
			have[[3]string{typ, p[0], p[1]}] = true
		}
	}
	snake := func(s string) string {
		return strings.ToLower(regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(s, "${1}_${2}"))
	}
	ends := map[string][]string{"From": {"To", "Until"}, "startedOn": {"endedOn"}, "startsOn": {"endsOn"}}
	n := 0
	for name, def := range graph.NewSchema(graph.Deps{}).Schema().Types {
		if def.Kind != ast.InputObject || !(strings.HasPrefix(name, "Create") || strings.HasPrefix(name, "Update")) || strings.HasSuffix(name, "WhereInput") {
			continue
		}
		dated := map[string]bool{}
		for _, f := range def.Fields {
			if f.Type.Name() == "Date" || f.Type.Name() == "Time" {
				dated[f.Name] = true
			}
		}
		for start := range dated {
			var want []string
			if head, ok := strings.CutSuffix(start, "From"); ok {
				for _, e := range ends["From"] {
					want = append(want, head+e)
				}
			}
			want = append(want, ends[start]...)
			for _, end := range want {
				if !dated[end] {
					continue
				}
				n++
				typ := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(name, "Create"), "Update"), "Input")
				if !have[[3]string{typ, snake(start), snake(end)}] {
					t.Errorf("%s: %s may be before %s: ledger's periods have no {%q, %q} for %s", name, end, start, snake(start), snake(end), typ)
				}
			}
		}
	}
	if n < 5 {
		t.Fatalf("found %d periods in the schema's inputs: the test lost its reach", n)
	}
}

// correctable is how a date-order test makes a row (a create mutation, sent with a token) and
// corrects one of its fields through the write engine.
type correctable struct {
	token, create string
	input         func(key string) map[string]any
	update        func(c *gen.Client, id int) (ent.Mutation, func() error)
}

// Listing a person checks the prior notice as committed: a notice whose reply deadline is moved
// into the future by a transaction still open when the listing is sent no longer completes it,
// and the listing is refused once the correction commits. On MariaDB the listing had read the
// notice from its snapshot and been stored.
func TestListingAPersonSeesTheNoticeAsCommitted(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-market-clerk")
		ctx := authz.AsSystem(context.Background())
		person := env.registerPerson("告知某人", "32050219850401123")
		var n struct{ CreatePriorNotice struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "LN-1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": person, "s": todayMinus(29), "r": todayMinus(5)}, &n)
		var r gqlResponse
		err := interleave(t, env, func(c *gen.Client) error {
			return c.PriorNotice.UpdateOneID(atoi(t, n.CreatePriorNotice.ID)).SetReplyDeadline(vocab.SystemClock.Today().AddDate(0, 0, 10)).Exec(ctx)
		}, func() error {
			r = clerk.post(`mutation($d: ID!, $p: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, personID: $p, sourceSystem: "ln",
				sourceRecordID: "LN-1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on, reason: "r", basis: "b",
				decisionNo: "LN-1"}) { id } }`, map[string]any{"d": env.departmentID("market-320500"), "p": person, "on": todayMinus(1)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "CONFLICT" {
			t.Errorf("listing a person whose notice is no longer complete: %s %+v, want CONFLICT", r.Data, r.Errors)
		}
		if n := env.count("list_entries", "person_id IS NOT NULL"); n != 0 {
			t.Errorf("%d listings of the person stored", n)
		}
	})
}

// What an update derives from the fields it leaves — a penalty's publicity window from its
// decision date — follows the row as committed: a correction of the fine, run while another
// correction of the decision date is open, stores the window of the corrected date. The oracle
// derives the window afresh from the stored row (the date set again to its own value). On
// MariaDB the fine's correction read the penalty from its snapshot and stored the window of
// the old date over the new one's.
func TestInterleavedCorrectionsKeepDerivedFields(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		ctx := authz.AsSystem(context.Background())
		var made struct{ CreateAdministrativePenalty struct{ ID string } }
		env.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320000", "DF-1"), &made)
		id := atoi(t, made.CreateAdministrativePenalty.ID)
		window := func() string {
			var start, minEnd, deadline sql.NullString
			var severity string
			if err := env.db.SQL.QueryRow("SELECT severity, publicity_start, publicity_min_end, publicity_deadline FROM administrative_penalties WHERE id = ?", id).
				Scan(&severity, &start, &minEnd, &deadline); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%s: publicity %.10s, at least to %.10s, at most to %.10s", severity, start.String, minEnd.String, deadline.String)
		}
		before := window()
		moved := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		err := interleave(t, env, func(c *gen.Client) error {
			return c.AdministrativePenalty.UpdateOneID(id).SetDecisionDate(moved).Exec(ctx)
		},
			func() error {
				return written(env, func(c *gen.Client) error {
					return c.AdministrativePenalty.UpdateOneID(id).SetFineAmount(decimal.RequireFromString("6")).Exec(ctx)
				})
			})
		if err != nil {
			t.Fatal(err)
		}
		stored := window()
		if err := env.db.Client.AdministrativePenalty.UpdateOneID(id).SetDecisionDate(moved).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if afresh := window(); stored != afresh || stored == before {
			t.Errorf("after the corrections %q; derived afresh %q (before: %q)", stored, afresh, before)
		}
	})
}

// interleave makes first in a transaction it leaves open while second runs — to its end, or
// to a lock first holds — then commits first and returns second's error. The transaction
// begins with a read, as a request's checks do: on MariaDB that read fixes its snapshot before
// any lock it waits for.
func interleave(t *testing.T, env *testEnv, first func(c *gen.Client) error, second func() error) error {
	t.Helper()
	open, err := beginWithRead(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := first(open.Client()); err != nil {
		t.Fatal(errors.Join(err, open.Rollback()))
	}
	done := make(chan error)
	go func() { done <- second() }()
	time.Sleep(150 * time.Millisecond) // second runs now, to its end or to a lock
	if err := open.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

// written makes write in a transaction of its own that begins with a read, run again after a
// write clash as the server runs a mutation again.
func written(env *testEnv, write func(c *gen.Client) error) error {
	ctx := authz.AsSystem(context.Background())
	for n := 1; ; n++ {
		tx, err := beginWithRead(env)
		if err == nil {
			if err = write(tx.Client()); err == nil {
				err = tx.Commit()
			} else {
				err = errors.Join(err, tx.Rollback())
			}
		}
		if !derrors.WriteClash(err) || n == 5 || !derrors.AfterClash(ctx, n) {
			return err
		}
	}
}

// beginWithRead begins a transaction and reads a department in it.
func beginWithRead(env *testEnv) (*gen.Tx, error) {
	ctx := authz.AsSystem(context.Background())
	tx, err := env.db.Client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Department.Get(ctx, env.departmentID("market-320000")); err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	return tx, nil
}

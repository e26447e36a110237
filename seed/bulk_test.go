package seed_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// The bulk loader writes what the hooks and the evaluator would: valid codes and IDs, sealed
// and hashed ID numbers, legal representatives, publicity windows from the stored rules, and
// evaluations equal to a recompute. It keeps Jiangsu's proportions, its references hold, and a
// re-run skips what is stored and extends a load.
func TestBulkMatchesHooks(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		analyzed := []string{"market_entities", "sector_ratings", "entity_roles", "natural_persons"}
		if e.Name == "mysql" {
			// As when InnoDB's background recalculation has not come round yet after a load
			// (it runs when it gets to it): only the loader's own ANALYZE updates these.
			for _, table := range analyzed {
				if _, err := db.SQL.Exec("ALTER TABLE " + table + " STATS_AUTO_RECALC = 0"); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The catalogue dated as law dates it: measures begun, repealed, both, neither, ending
		// tomorrow, beginning tomorrow — across the loaded listings' dates (10 to 1,000 days
		// ago), which the loader's applications must follow as the write engine's do.
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		for i, w := range [][2]any{{-500, nil}, {nil, -300}, {-200, -100}, {nil, nil}, {nil, 1}, {1, nil}} {
			for k, v := range w {
				if v != nil {
					w[k] = db.Ledger.Clock.Today().AddDate(0, 0, v.(int))
				}
			}
			if _, err := db.SQL.Exec(`UPDATE joint_punishment_measures SET effective_from = ?, effective_to = ?
				WHERE id = (SELECT id FROM (SELECT id FROM joint_punishment_measures ORDER BY code LIMIT 1 OFFSET ?) m)`, w[0], w[1], i); err != nil {
				t.Fatal(err)
			}
		}
		// A composite rule set version dated ahead: every loaded evaluation falls due on its
		// first day at the latest, as a recompute's does.
		ahead := evaluation.DefaultRuleSet()
		ahead.Name = "TEST-AHEAD"
		if err := db.Client.EvaluationRuleSet.Create().SetName(ahead.Name).SetEffectiveFrom(db.Ledger.Clock.Today().AddDate(0, 0, 400)).
			SetRules(ahead).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		o := seed.BulkOptions{Entities: 3000, Seed: 7, Batch: 400, Cipher: storagetest.TestCipher()}
		st, err := seed.Bulk(ctx, db, o)
		if err != nil {
			t.Fatal(err)
		}
		count := func(table, where string) int { return storagetest.Count(t, db, table, where) }
		if st.Entities != 3000 || count("market_entities", "") != 3000 || count("sector_ratings", "") != 4*3000 ||
			count("entity_roles", "role = 'LEGAL_REPRESENTATIVE'") != 3000 || count("natural_persons", "") != st.Persons {
			t.Fatalf("stats %+v; stored %d entities, %d ratings", st, count("market_entities", ""), count("sector_ratings", ""))
		}
		// Proportions of the source, with room for chance (3,000 draws).
		for _, p := range []struct {
			name     string
			got      int
			lo, high int
		}{
			{"licences", st.Licences, 300, 510}, {"penalties", st.Penalties, 80, 180}, {"list entries", st.ListEntries, 35, 90},
			{"persons", st.Persons, 2800, 2950},
		} {
			if p.got < p.lo || p.got > p.high {
				t.Errorf("%d %s for 3,000 entities, want %d-%d", p.got, p.name, p.lo, p.high)
			}
		}
		// MariaDB's index statistics know the rows: with more values in an IN list than it
		// dives into the index for (eq_range_index_dive_limit), the optimizer estimates from the
		// indexes' statistics, which for a table filled from empty describe a few rows until the
		// table is analyzed. The primary key's cardinality is its estimate of the rows.
		if e.Name == "mysql" {
			for _, table := range analyzed {
				var estimate sql.NullInt64
				if err := db.SQL.QueryRow("SELECT CARDINALITY FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'",
					table).Scan(&estimate); err != nil {
					t.Fatal(err)
				}
				if n := count(table, ""); !estimate.Valid || estimate.Int64 < int64(n/2) {
					t.Errorf("%s: the index statistics describe %v rows, %d are stored", table, estimate, n)
				}
			}
		}
		// Every reference resolves (the loader writes with MySQL's foreign key checks off).
		for _, q := range []string{
			"SELECT COUNT(*) FROM market_entities e LEFT JOIN natural_persons p ON p.id = e.legal_representative_id WHERE p.id IS NULL",
			"SELECT COUNT(*) FROM market_entities e LEFT JOIN divisions d ON d.id = e.division_id WHERE d.id IS NULL",
			"SELECT COUNT(*) FROM sector_ratings r LEFT JOIN market_entities e ON e.id = r.entity_id WHERE e.id IS NULL",
			"SELECT COUNT(*) FROM sector_ratings r LEFT JOIN departments d ON d.id = r.department_id WHERE d.id IS NULL",
			"SELECT COUNT(*) FROM entity_roles r LEFT JOIN natural_persons p ON p.id = r.person_id WHERE p.id IS NULL",
			"SELECT COUNT(*) FROM administrative_penalties r LEFT JOIN market_entities e ON e.id = r.entity_id WHERE e.id IS NULL",
			"SELECT COUNT(*) FROM list_entries r LEFT JOIN departments d ON d.id = r.department_id WHERE d.id IS NULL",
		} {
			var n int
			if err := db.SQL.QueryRow(q).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s = %d, %v", q, n, err)
			}
		}
		// Codes, ID numbers and the legal representative as the hooks derive them.
		c := db.Client
		es := c.MarketEntity.Query().WithLegalRepresentative().Limit(300).AllX(ctx)
		for _, en := range es {
			if _, err := ident.ValidateUSCC(en.Uscc, false); err != nil || en.OrgCode != ident.OrgCode(en.Uscc) || en.DivisionCode != en.Uscc[2:8] {
				t.Fatalf("entity %s: %v, org code %s, division %s", en.Uscc, err, en.OrgCode, en.DivisionCode)
			}
			p := en.Edges.LegalRepresentative
			number, err := storagetest.TestCipher().Open(p.IDNumber)
			if err != nil {
				t.Fatal(err)
			}
			facts, err := ident.ValidateResidentID(number, time.Now())
			if err != nil || p.IDNumberHash != storagetest.TestCipher().Hash(string(vocab.IDResidentCard), number) ||
				p.IDNumberMasked != pii.MaskIDNumber(number) || !p.BirthDate.Equal(facts.BirthDate) {
				t.Fatalf("person %d: %s %v", p.ID, number, err)
			}
		}
		// Publicity windows: changing nothing but re-setting the decision date makes the hook
		// compute the window again; it must come out the same.
		pens := c.AdministrativePenalty.Query().Order(ent.Asc(administrativepenalty.FieldID)).AllX(ctx)
		due := 0
		for _, p := range pens {
			again := c.AdministrativePenalty.UpdateOne(p).SetDecisionDate(p.DecisionDate).SaveX(ctx)
			if !equalDay(p.PublicityDeadline, again.PublicityDeadline) || !equalDay(p.PublicityMinEnd, again.PublicityMinEnd) ||
				p.PublicityRuleSet != again.PublicityRuleSet || p.Repairable != again.Repairable || !equalDay(p.PublishBy, again.PublishBy) {
				t.Fatalf("penalty %d: loaded window %v–%v (%s), to publish by %v; hook gives %v–%v (%s), %v", p.ID, p.PublicityMinEnd, p.PublicityDeadline,
					p.PublicityRuleSet, p.PublishBy, again.PublicityMinEnd, again.PublicityDeadline, again.PublicityRuleSet, again.PublishBy)
			}
			if p.PublishBy != nil {
				due++
			}
		}
		if due == 0 || due == len(pens) {
			t.Errorf("%d of %d loaded penalties have a day to publish by: the comparison proves little", due, len(pens))
		}
		plausible(t, c)
		// Measure applications: the loaded rows are what the write engine stores for the
		// loaded listings (deleted and synced again, the same rows come back).
		apps := func() []string {
			var out []string
			for _, a := range c.MeasureApplication.Query().AllX(ctx) {
				out = append(out, fmt.Sprint(a.MeasureID, a.ListEntryID, *a.EntityID, a.SubjectKind, a.Via, a.Basis,
					a.FromOn.Format(time.DateOnly), a.ToOn, a.LiftedOn))
			}
			sort.Strings(out)
			return out
		}
		loadedApps := apps()
		if len(loadedApps) < st.ListEntries/2 {
			t.Errorf("%d measure applications for %d listings", len(loadedApps), st.ListEntries)
		}
		c.MeasureApplication.Delete().ExecX(ctx)
		if err := jointpunishment.Sync(ctx, c, db.Ledger.Clock.Today(), c.ListEntry.Query().IDsX(ctx)...); err != nil {
			t.Fatal(err)
		}
		if synced := apps(); strings.Join(synced, "\n") != strings.Join(loadedApps, "\n") {
			t.Errorf("loaded measure applications differ from the write engine's: %d loaded, %d synced; first loaded %v, first synced %v",
				len(loadedApps), len(synced), loadedApps[:min(1, len(loadedApps))], synced[:min(1, len(synced))])
		}
		// Evaluations equal a recompute, to the stored text, and some entities are D.
		type eval struct {
			tier  string
			score int
			due   sql.NullTime
			text  string
		}
		snapshot := func() map[int]eval {
			out := map[int]eval{}
			rows, err := db.SQL.Query("SELECT id, risk_tier, credit_score, evaluation_due_on, evaluation FROM market_entities")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int
				var v eval
				if err := rows.Scan(&id, &v.tier, &v.score, &v.due, &v.text); err != nil {
					t.Fatal(err)
				}
				out[id] = v
			}
			return out
		}
		loaded := snapshot()
		if _, err := evaluator.RecomputeAll(ctx, c, vocab.SystemClock, false, 500, nil); err != nil {
			t.Fatal(err)
		}
		diff := 0
		for id, v := range snapshot() {
			if w := loaded[id]; w.tier != v.tier || w.score != v.score || w.text != v.text || w.due.Valid != v.due.Valid || w.due.Valid && !equalDay(&w.due.Time, &v.due.Time) {
				if diff++; diff <= 3 {
					t.Errorf("entity %d: loaded %+v, recomputed %+v", id, w, v)
				}
			}
		}
		if d := c.MarketEntity.Query().Where(marketentity.RiskTierEQ("D")).CountX(ctx); d == 0 || diff > 0 {
			t.Errorf("%d D-tier entities, %d evaluations differ from a recompute", d, diff)
		}
		// Re-running skips every batch; a larger N extends the load with the same first 3,000.
		if again, err := seed.Bulk(ctx, db, o); err != nil || again.Entities != 0 || again.Skipped != 3000 {
			t.Fatalf("re-run: %+v, %v", again, err)
		}
		o.Entities = 3500
		if more, err := seed.Bulk(ctx, db, o); err != nil || more.Entities != 500 || count("market_entities", "") != 3500 {
			t.Fatalf("extension: %+v, %v; %d entities", more, err, count("market_entities", ""))
		}
	})
}

func equalDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Format(time.DateOnly) == b.Format(time.DateOnly)
}

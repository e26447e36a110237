package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/serviceprovider"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// An EIA compiler's integrity state and its listings are domain.md §3.5 over its stored
// events, on every edge of their dates. Histories are generated for providers with and without
// an opened file and for practitioners: points on the days a cycle turns, a restriction ends or
// a ban ends (each the day before, on and after today), bans with and without an end, points
// during bans, events not published or under objection, recorded in date order as departments
// record them — late ones too, after what they caused has ended. The EIA_POINTS scale gets a
// version from 100 days ago with lower thresholds and a shorter rectification, and one from
// tomorrow that must not apply yet.
//
// The oracle reads the events back by SQL and walks the days from the file's opening: a cycle
// lasts a year from its start; a point-scoring act counts unless a ban is running (from its
// first day to the day before its end, or for good without one); points reaching the
// restriction threshold of the version in force that day put the subject on the rectification
// list that day for that version's months — the listing's measures end that many months on
// (民法典 art. 202) — and start a new cycle. Today the subject is BLACKLISTED while a ban runs,
// RESTRICTED through the last day of the rectification that ends last, WARNING with the current
// cycle at today's warning threshold, else NORMAL; every rectification and every ban that has
// begun is a listing dated its first day whose measures end with it.
func TestEIAIsTheRulesOverTheRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 60)
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(35, 20))
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		dep := env.departmentID("environment-320000")

		// Scale versions: the reference one (10/20/6 since 2019), a stricter one from 100 days
		// ago, and one from tomorrow.
		changed := day(-100)
		versions := []struct {
			from                                time.Time
			warning, restriction, rectifyMonths int
		}{{changed, 8, 15, 3}, {day(1), 1, 2, 12}}
		for _, v := range versions {
			if err := c.ScaleRule.Create().SetScale(vocab.ScaleEIAPoints).SetEffectiveFrom(v.from).
				SetParams(vocab.ScaleParams{WarningPoints: v.warning, RestrictionPoints: v.restriction, RectifyMonths: v.rectifyMonths}).
				Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		type params struct{ warning, restriction, months int }
		scaleAt := func(d time.Time) params { // the oracle's reading of the scale_rules rows
			var p params
			var from string
			rows, err := env.db.SQL.Query(`SELECT SUBSTR(effective_from, 1, 10), params FROM scale_rules WHERE scale = 'EIA_POINTS' ORDER BY effective_from`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var f, js string
				if err := rows.Scan(&f, &js); err != nil {
					t.Fatal(err)
				}
				if f > d.Format(time.DateOnly) {
					break
				}
				var v struct{ WarningPoints, RestrictionPoints, RectifyMonths int }
				if err := json.Unmarshal([]byte(js), &v); err != nil {
					t.Fatal(err)
				}
				from, p = f, params{v.WarningPoints, v.RestrictionPoints, v.RectifyMonths}
			}
			if from == "" {
				t.Fatalf("no EIA_POINTS version on %s", d.Format(time.DateOnly))
			}
			return p
		}

		// The days that matter: around today, the day the version changed, a cycle turning or a
		// restriction of either version's months ending today.
		var edges []time.Time
		for _, n := range []int{-1, 0, 1} {
			edges = append(edges, day(n), changed.AddDate(0, 0, n))
			for _, m := range []int{3, 6, 12, 24} {
				edges = append(edges, vocab.AddMonths(today, -m).AddDate(0, 0, n))
			}
		}
		edges = slices.DeleteFunc(edges, func(d time.Time) bool { return d.After(today) }) // events cannot be dated ahead
		someDay := func() time.Time {
			if r.IntN(3) > 0 {
				return edges[r.IntN(len(edges))]
			}
			return day(-r.IntN(900))
		}

		type event struct {
			points   int
			on       time.Time
			ban      bool
			until    *time.Time // a ban's end (its first day over)
			status   vocab.RecordStatus
			objected bool
		}
		show := func(evs []event) string {
			var b strings.Builder
			for _, ev := range evs {
				fmt.Fprintf(&b, " %s:%d", ev.on.Format(time.DateOnly), ev.points)
				if ev.ban {
					b.WriteString("BAN")
					if ev.until != nil {
						b.WriteString("→" + ev.until.Format(time.DateOnly))
					}
				}
				if ev.status != vocab.Published {
					b.WriteString("/" + string(ev.status))
				}
				if ev.objected {
					b.WriteString("/objected")
				}
			}
			return b.String()
		}
		type subject struct {
			entity, person int
			opened         *time.Time
			events         []event
		}
		var subjects []subject
		entities := sqlIDs(t, env, `SELECT id FROM market_entities e WHERE NOT EXISTS (SELECT 1 FROM credit_score_events s WHERE s.entity_id = e.id)
			AND NOT EXISTS (SELECT 1 FROM service_providers p WHERE p.entity_id = e.id) ORDER BY id LIMIT 45`)
		persons := sqlIDs(t, env, `SELECT id FROM natural_persons p WHERE NOT EXISTS (SELECT 1 FROM credit_score_events s WHERE s.person_id = p.id) ORDER BY id LIMIT 5`)
		if len(entities) < 45 || len(persons) < 5 {
			t.Fatalf("%d entities, %d persons free of EIA events", len(entities), len(persons))
		}
		for i, id := range entities {
			s := subject{entity: atoi(t, id)}
			if i%3 > 0 { // a provider with a credit file; the others start with their first event
				opened := someDay().AddDate(-1, 0, 0)
				if i%7 == 1 {
					opened = vocab.AddMonths(today, -12*(1+r.IntN(2))).AddDate(0, 0, r.IntN(3)-1) // its cycle turns around today
				}
				if i == 1 {
					opened = vocab.AddMonths(today, -12) // and today
				}
				s.opened = &opened
				if err := c.ServiceProvider.Create().SetEntityID(s.entity).SetKind(serviceprovider.KindEIA_REPORT_COMPILER).
					SetFileOpenedOn(opened).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 + r.IntN(6) {
				ev := event{points: []int{1, 2, 3, 5, 5, 8, 10, 10, 12, 15, 20}[r.IntN(11)], on: someDay(), status: vocab.Published}
				switch r.IntN(12) {
				case 0:
					ev.status = []vocab.RecordStatus{vocab.Withdrawn, vocab.Corrected, vocab.Expired}[r.IntN(3)]
				case 1:
					ev.objected = true
				}
				if s.opened != nil && ev.on.Before(*s.opened) {
					ev.on = *s.opened
				}
				s.events = append(s.events, ev)
			}
			switch i {
			case 2: // a rectification under the version from 100 days ago, ending today
				s.events = append(s.events, event{points: 15, on: vocab.AddMonths(today, -3), status: vocab.Published})
			case 3: // a six-month rectification under the old version outlasting a three-month one
				s.events = append(s.events, event{points: 20, on: changed.AddDate(0, 0, -1), status: vocab.Published},
					event{points: 15, on: changed.AddDate(0, 0, 5), status: vocab.Published})
			case 6: // 9 points in a cycle begun under the old version: a warning under today's
				s.events = []event{{points: 9, on: changed.AddDate(0, 0, -50), status: vocab.Published}}
			}
			if i%4 == 0 { // a ban: one running, one that ended, one for good
				from := []time.Time{day(-r.IntN(400)), day(0), day(-1), edges[r.IntN(len(edges))]}[r.IntN(4)]
				ban := event{ban: true, on: from, status: vocab.Published}
				if r.IntN(4) > 0 {
					until := []time.Time{day(0), day(1), day(-1), from.AddDate(0, 6, 0), from.AddDate(1, 0, 0)}[r.IntN(5)]
					if !until.After(from) {
						until = from.AddDate(0, 1, 0)
					}
					ban.until = &until
				}
				if s.opened != nil && ban.on.Before(*s.opened) {
					ban.on = *s.opened
				}
				after := from.AddDate(0, 0, r.IntN(3)) // points while the ban runs (or after a short one)
				if after.After(today) {
					after = today
				}
				s.events = append(s.events, ban, event{points: 20, on: after, status: vocab.Published})
			}
			subjects = append(subjects, s)
		}
		for _, id := range persons { // practitioners below every threshold now in force
			s := subject{person: atoi(t, id)}
			for range 1 + r.IntN(3) {
				s.events = append(s.events, event{points: 1 + r.IntN(3), on: someDay(), status: vocab.Published})
			}
			subjects = append(subjects, s)
		}
		// Recorded in date order, as the departments record them.
		type recording struct {
			s  int
			ev event
		}
		var all []recording
		for i, s := range subjects {
			for _, ev := range s.events {
				all = append(all, recording{i, ev})
			}
		}
		slices.SortStableFunc(all, func(a, b recording) int { return a.ev.on.Compare(b.ev.on) })
		for n, rec := range all {
			s, ev := subjects[rec.s], rec.ev
			cr := c.CreditScoreEvent.Create().SetDepartmentID(dep).SetSourceSystem("eiarules").SetSourceRecordID(fmt.Sprint("E", n)).
				SetScheme(creditscoreevent.SchemeEIA_POINTS).SetPoints(ev.points).SetCategory("环评文件存在质量问题").SetEffectiveFrom(ev.on).
				SetStatus(ev.status).SetUnderObjection(ev.objected)
			if ev.ban {
				cr.SetCategory("BAN").SetPoints(0).SetNillableExpiresOn(ev.until)
			}
			if s.entity != 0 {
				cr.SetEntityID(s.entity)
			} else {
				cr.SetPersonID(s.person)
			}
			if err := cr.Exec(ctx); err != nil {
				t.Fatalf("recording %+v of subject %+v: %v", ev, s, err)
			}
		}

		// The oracle, from the rows.
		type listing struct{ kind, listed, measuresEnd string }
		type state struct {
			status, cycleStart, restrictedUntil string
			points                              int
			listings                            []listing
		}
		date := func(t time.Time) string { return t.Format(time.DateOnly) }
		parse := func(s string) time.Time {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		oracle := func(s subject) state {
			where, id := "entity_id = ?", s.entity
			if s.entity == 0 {
				where, id = "person_id = ?", s.person
			}
			type row struct {
				from, until string
				points      int
				ban         bool
			}
			var rows []row
			q, err := env.db.SQL.Query(`SELECT SUBSTR(effective_from, 1, 10), COALESCE(SUBSTR(expires_on, 1, 10), ''), points, category = 'BAN'
				FROM credit_score_events WHERE scheme = 'EIA_POINTS' AND status = 'PUBLISHED' AND NOT under_objection AND `+where+`
				ORDER BY effective_from, id`, id)
			if err != nil {
				t.Fatal(err)
			}
			for q.Next() {
				var x row
				if err := q.Scan(&x.from, &x.until, &x.points, &x.ban); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, x)
			}
			q.Close()
			var out state
			if len(rows) == 0 {
				return state{status: "NORMAL"}
			}
			var opened time.Time
			if s.entity != 0 {
				if o := sqlStrings(t, env, `SELECT COALESCE(SUBSTR(file_opened_on, 1, 10), '') FROM service_providers WHERE entity_id = ?`, s.entity); len(o) == 1 && o[0] != "" {
					opened = parse(o[0])
				}
			}
			if opened.IsZero() {
				opened = parse(rows[0].from)
			}
			banned := func(d string) bool {
				for _, b := range rows {
					if b.ban && b.from <= d && (b.until == "" || d < b.until) {
						return true
					}
				}
				return false
			}
			for _, b := range rows {
				if b.ban && b.from <= date(today) {
					l := listing{"EE_EIA_BLACKLIST", b.from, ""}
					if b.until != "" {
						l.measuresEnd = date(parse(b.until).AddDate(0, 0, -1))
					}
					out.listings = append(out.listings, l)
				}
			}
			cycle, points, restrictedUntil := opened, 0, time.Time{}
			for d := opened; !d.After(today); d = d.AddDate(0, 0, 1) {
				if d.Equal(vocab.AddMonths(cycle, 12)) {
					cycle, points = d, 0
				}
				for _, a := range rows {
					if a.ban || a.from != date(d) || banned(a.from) {
						continue
					}
					points += a.points
					if v := scaleAt(d); points >= v.restriction {
						end := vocab.AddMonths(d, v.months)
						if end.After(restrictedUntil) { // a shorter one started within a longer one does not end it
							restrictedUntil = end
						}
						l := listing{"EE_EIA_RECTIFICATION", date(d), date(end)}
						if !slices.Contains(out.listings, l) { // reached twice in a day: one listing
							out.listings = append(out.listings, l)
						}
						cycle, points = d, 0
					}
				}
			}
			out.cycleStart, out.points = date(cycle), points
			if !restrictedUntil.IsZero() {
				out.restrictedUntil = date(restrictedUntil)
			}
			switch {
			case banned(date(today)):
				out.status = "BLACKLISTED"
			case !restrictedUntil.IsZero() && !restrictedUntil.Before(today):
				out.status = "RESTRICTED"
			case points >= scaleAt(today).warning:
				out.status = "WARNING"
			default:
				out.status = "NORMAL"
			}
			return out
		}

		seen := map[string]int{}
		for _, s := range subjects {
			want := oracle(s)
			key, id := "entityID", s.entity
			where := "entity_id = ?"
			if s.entity == 0 {
				key, id, where = "personID", s.person, "person_id = ?"
			}
			var got struct {
				EiaStatus struct {
					Status                      string
					CyclePoints                 int
					CycleStart, RestrictedUntil *string
					AcceptsReports              bool
				}
			}
			env.as("demo-environment-supervisor").mustData(fmt.Sprintf(`query($id: ID!) { eiaStatus(%s: $id) { status cyclePoints cycleStart restrictedUntil acceptsReports } }`, key),
				map[string]any{"id": fmt.Sprint(id)}, &got)
			g := got.EiaStatus
			opened := "-"
			if s.opened != nil {
				opened = date(*s.opened)
			}
			name := fmt.Sprintf("%s %d (opened %s, events%s)", key, id, opened, show(s.events))
			if g.Status != want.status || g.AcceptsReports != (want.status != "RESTRICTED" && want.status != "BLACKLISTED") {
				t.Errorf("%s: %s (accepts reports %v), want %s", name, g.Status, g.AcceptsReports, want.status)
			} else if g.CyclePoints != want.points || deref(g.CycleStart) != want.cycleStart || deref(g.RestrictedUntil) != want.restrictedUntil {
				t.Errorf("%s: cycle from %s with %d points, restricted until %s; want from %s with %d, until %s",
					name, deref(g.CycleStart), g.CyclePoints, deref(g.RestrictedUntil), want.cycleStart, want.points, want.restrictedUntil)
			}
			seen[want.status]++
			if want.restrictedUntil == date(today) {
				seen["restriction's last day"]++
			}
			if want.cycleStart == date(today) {
				seen["cycle's first day"]++
			}

			var stored []listing
			q, err := env.db.SQL.Query(`SELECT list_type, SUBSTR(listed_on, 1, 10), COALESCE(SUBSTR(measures_end_on, 1, 10), '')
				FROM list_entries WHERE list_type IN ('EE_EIA_RECTIFICATION', 'EE_EIA_BLACKLIST') AND `+where+` ORDER BY listed_on, list_type`, id)
			if err != nil {
				t.Fatal(err)
			}
			for q.Next() {
				var l listing
				if err := q.Scan(&l.kind, &l.listed, &l.measuresEnd); err != nil {
					t.Fatal(err)
				}
				stored = append(stored, l)
			}
			q.Close()
			cmp := func(a, b listing) int {
				return strings.Compare(a.listed+a.kind+a.measuresEnd, b.listed+b.kind+b.measuresEnd)
			}
			slices.SortFunc(stored, cmp)
			slices.SortFunc(want.listings, cmp)
			if !slices.Equal(stored, want.listings) {
				t.Errorf("%s: listings %v, want %v", name, stored, want.listings)
			}
			seen[fmt.Sprint(len(want.listings), " listings")]++
		}
		for _, k := range []string{"NORMAL", "WARNING", "RESTRICTED", "BLACKLISTED", "restriction's last day", "cycle's first day", "2 listings"} {
			if seen[k] == 0 {
				t.Errorf("no subject is %s: the generated histories miss an edge (%v)", k, seen)
			}
		}

		// A ban must last a day, and points need a scale version of their day: else the field
		// is named and nothing is written.
		events := env.count("credit_score_events", "")
		clerk := env.as("demo-environment-clerk")
		clerk.t = t
		in := func(src, category, from string, until *string) map[string]any {
			return map[string]any{"in": map[string]any{"departmentID": dep, "entityID": fmt.Sprint(subjects[1].entity), "sourceSystem": "eiarules",
				"sourceRecordID": src, "scheme": "EIA_POINTS", "points": 5, "category": category, "effectiveFrom": from, "expiresOn": until}}
		}
		to := date(today)
		clerk.wantError(createEvent, in("bad-ban", "BAN", to, &to), "BAD_USER_INPUT", "expiresOn")
		clerk.wantError(createEvent, in("too-early", "环评文件存在质量问题", "2019-10-31", nil), "BAD_USER_INPUT", "effectiveFrom")
		if n := env.count("credit_score_events", ""); n != events {
			t.Errorf("refused events wrote: %d rows, had %d", n, events)
		}
	})
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/vocab"
)

// The calendar's jobs run both where an operator runs them — the server's loop at start and
// every 10 minutes, and `creditgraph recompute --due` from a scheduler — and each does its
// part: on a seeded database with one case for each job, dated by SQL (a penalty whose window
// ended yesterday, a legal representative whose role ended yesterday, a listing that reaches a
// representative whose prior notice's reply deadline passed yesterday, an environmental
// deduction that expired yesterday after its entity's rolling score was made, an evaluation
// that fell due yesterday), every case is resolved after one pass of either. The jobs' own
// rules are tested in their packages; this is the wiring.
func TestTheCalendarJobsRunFromTheServerAndTheCommand(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"recompute --due", "server loop"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cg.db")
			if err := run(ctx, []string{"seed", "--db", path, "--entities", "40"}, quiet()); err != nil {
				t.Fatalf("seed: %v", err)
			}
			target, err := storage.ParseTarget(path)
			if err != nil {
				t.Fatal(err)
			}
			cipher, err := dataCipher(target, quiet())
			if err != nil {
				t.Fatal(err)
			}
			db, err := storage.Open(ctx, target, storage.Options{Cipher: cipher, Clock: vocab.SystemClock, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			today := vocab.SystemClock.Today()
			stamp := func(d time.Time) string { return d.Format("2006-01-02") + " 00:00:00 +0000 UTC" } // as the driver stores a date
			yesterday := stamp(today.AddDate(0, 0, -1))
			ids := func(q string, args ...any) []int {
				rows, err := db.SQL.Query(q, args...)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []int
				for rows.Next() {
					var id int
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					out = append(out, id)
				}
				return out
			}
			exec := func(q string, args ...any) {
				if _, err := db.SQL.Exec(q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			entities := ids(`SELECT id FROM market_entities ORDER BY id`)
			// A penalty whose window ended yesterday, still PUBLISHED.
			penalty := ids(`SELECT id FROM administrative_penalties ORDER BY id LIMIT 1`)[0]
			exec(`UPDATE administrative_penalties SET status = 'PUBLISHED', publicity_deadline = ? WHERE id = ?`, yesterday, penalty)
			// A legal representative whose role ended yesterday.
			represented := entities[1]
			rep := ids(`SELECT legal_representative_id FROM market_entities WHERE id = ?`, represented)[0]
			exec(`UPDATE entity_roles SET ended_on = ? WHERE entity_id = ? AND person_id = ? AND role = 'LEGAL_REPRESENTATIVE'`, yesterday, represented, rep)
			// An environmental deduction that expired yesterday, after the rolling score was made.
			scored := entities[2]
			sys := authz.SystemContext(ctx)
			dep := ids(`SELECT id FROM departments WHERE code = 'environment-320000'`)[0]
			if err := db.Client.CreditScoreEvent.Create().SetDepartmentID(dep).SetEntityID(scored).SetSourceSystem("js-env").
				SetSourceRecordID("CAL-1").SetScheme(creditscoreevent.SchemeENV_CREDIT_JS).SetPoints(-5).SetCategory("超标排放").
				SetEffectiveFrom(today.AddDate(0, 0, -30)).Exec(sys); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE credit_score_events SET expires_on = ? WHERE source_record_id = 'CAL-1'`, yesterday)
			exec(`UPDATE sector_ratings SET valid_from = ? WHERE entity_id = ? AND source_system = 'creditgraph-scoring'`, stamp(today.AddDate(0, 0, -20)), scored)
			rescored := func() bool {
				return len(ids(`SELECT id FROM sector_ratings WHERE entity_id = ? AND source_system = 'creditgraph-scoring' AND valid_from = ?`, scored, stamp(today))) > 0
			}
			if rescored() {
				t.Fatal("the rolling score is dated today before the jobs ran: the case proves nothing")
			}
			// A legal representative whose prior notice's reply deadline passed yesterday with no
			// reply: the listing of the entity now reaches the person.
			listed := entities[4]
			notified := ids(`SELECT legal_representative_id FROM market_entities WHERE id = ?`, listed)[0]
			market := ids(`SELECT id FROM departments WHERE code = 'market-320500'`)[0]
			if err := db.Client.PriorNotice.Create().SetDepartmentID(market).SetPersonID(notified).SetNoticeNo("CAL-N").
				SetListType("MS_SERIOUS_ILLEGAL_DISHONEST").SetFacts("f").SetServedOn(today.AddDate(0, 0, -10)).
				SetServiceMethod("POST").SetReplyDeadline(today.AddDate(0, 0, 1)).Exec(sys); err != nil {
				t.Fatal(err)
			}
			if err := db.Client.ListEntry.Create().SetDepartmentID(market).SetEntityID(listed).SetSourceSystem("cal").SetSourceRecordID("CAL-L").
				SetSeverity(vocab.Serious).SetListType("MS_SERIOUS_ILLEGAL_DISHONEST").SetListedOn(today.AddDate(0, 0, -5)).
				SetReason("r").SetBasis("总局令第44号").SetDecisionNo("CAL-L").Exec(sys); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE prior_notices SET reply_deadline = ? WHERE notice_no = 'CAL-N'`, yesterday)
			reached := func() bool {
				return len(ids(`SELECT id FROM measure_applications WHERE person_id = ?`, notified)) > 0
			}
			// An evaluation that fell due yesterday.
			due := entities[3]
			exec(`UPDATE market_entities SET evaluation_due_on = ? WHERE id = ?`, yesterday, due)

			resolved := func() []string {
				var open []string
				if len(ids(`SELECT id FROM administrative_penalties WHERE id = ? AND status = 'EXPIRED'`, penalty)) == 0 {
					open = append(open, "the ended penalty is not EXPIRED")
				}
				if len(ids(`SELECT id FROM market_entities WHERE id = ? AND legal_representative_id = ?`, represented, rep)) > 0 {
					open = append(open, "the representative whose role ended is still the entity's")
				}
				if !rescored() {
					open = append(open, "the environmental score was not scored again")
				}
				if len(ids(`SELECT id FROM market_entities WHERE id = ? AND evaluation_due_on = ?`, due, yesterday)) > 0 {
					open = append(open, "the lapsed evaluation was not recomputed")
				}
				if !reached() {
					open = append(open, "the listing does not reach the person whose notice's deadline passed")
				}
				return open
			}
			if open := resolved(); len(open) != 5 {
				t.Fatalf("before the jobs, only %d of the 5 cases are open: %v", len(open), open)
			}
			if how == "recompute --due" {
				db.Close()
				if err := run(ctx, []string{"recompute", "--db", path, "--due"}, quiet()); err != nil {
					t.Fatal(err)
				}
				reopened, err := storage.Open(ctx, target, storage.Options{Cipher: cipher, Clock: vocab.SystemClock, Logger: quiet()})
				if err != nil {
					t.Fatal(err)
				}
				db = reopened
				if open := resolved(); len(open) > 0 {
					t.Errorf("after recompute --due: %v", open)
				}
				return
			}
			loop, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { recomputeDue(loop, db, quiet(), time.Hour); close(done) }()
			deadline := time.Now().Add(30 * time.Second)
			open := resolved()
			for len(open) > 0 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				open = resolved()
			}
			stop()
			<-done
			if len(open) > 0 {
				t.Errorf("after the server's first run: %v", fmt.Sprint(open))
			}
		})
	}
}

// `creditgraph calendar load` replaces the years its file covers: a file with bad lines is
// refused naming them, and --dry-run reports without storing; either way the calendar stays as
// it was. A good file replaces its year — the provisional days go — and leaves the others.
func TestCalendarLoadCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "cg.db")
	if err := run(ctx, []string{"seed", "--db", path, "--entities", "5"}, quiet()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	target, err := storage.ParseTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(ctx, target, storage.Options{Clock: vocab.SystemClock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	calendar := func() string {
		rows, err := db.SQL.Query(`SELECT day, working, name, provisional FROM holidays ORDER BY day`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var day, name string
			var working, provisional bool
			if err := rows.Scan(&day, &working, &name, &provisional); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %v %s %v", day[:10], working, name, provisional))
		}
		return fmt.Sprint(out)
	}
	seeded := calendar()
	if !strings.Contains(seeded, "2027-01-01 false 元旦 true") || !strings.Contains(seeded, "2026-10-01") {
		t.Fatalf("the seed's calendar: %s", seeded)
	}
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	bad := write("bad.csv", "日期,类型,名称\n2027-01-01,休,元旦\n2027-01-04,班,元旦调休\n")
	if err := run(ctx, []string{"calendar", "load", "--db", path, bad}, quiet()); err == nil ||
		!strings.Contains(err.Error(), "line 3, type") || !strings.Contains(err.Error(), "nothing was stored") {
		t.Errorf("a bad line: %v", err)
	}
	good := write("2027.csv", "日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,班,春节调休\n2027-02-08,休,春节\n")
	if err := run(ctx, []string{"calendar", "load", "--db", path, "--dry-run", good}, quiet()); err != nil {
		t.Errorf("dry run: %v", err)
	}
	if got := calendar(); got != seeded {
		t.Errorf("a refused file or a dry run changed the calendar:\n%s\nwas\n%s", got, seeded)
	}
	if err := run(ctx, []string{"calendar", "load", "--db", path, good}, quiet()); err != nil {
		t.Fatal(err)
	}
	got := calendar()
	want := seeded[:strings.Index(seeded, " 2027-")] + " 2027-01-01 false 元旦 false 2027-02-06 true 春节调休 false 2027-02-08 false 春节 false]"
	if got != want {
		t.Errorf("after loading 2027:\n%s\nwant\n%s", got, want)
	}
	if err := run(ctx, []string{"calendar", "--db", path}, quiet()); err == nil || !strings.Contains(err.Error(), "subcommand") {
		t.Errorf("calendar without load: %v", err)
	}
}

package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Records whose window has ended read EXPIRED (domain.md §4: PUBLISHED → EXPIRED), at the edge:
// with today 2026-12-02, an environment department's serious penalty decided 2023-12-01 under
// Order 58 (36 months; market supervision's warnings are not published under SAMR Order 45) was
// public through 2026-12-01 and expires; one decided 2023-12-02 is public through today and
// does not. Listings likewise by their planned end; a removed listing keeps its status.
func TestExpireEndsWindowsAtTheirLastDay(t *testing.T) {
	clock := vocab.FixedClock(time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC))
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{Options: storage.Options{Clock: clock}})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		dep := db.Client.Department.Query().Where(department.SectorEQ(vocab.Market)).FirstIDX(ctx)
		envDep := db.Client.Department.Query().Where(department.SectorEQ(vocab.Environment)).FirstIDX(ctx)
		const uscc = "91320000134834003C"
		ent := db.Client.MarketEntity.Create().SetUscc(uscc).SetName("某某有限公司").SaveX(ctx)
		day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
		penalty := func(src, decided string) int {
			return db.Client.AdministrativePenalty.Create().SetDepartmentID(envDep).SetEntityID(ent.ID).SetSourceSystem("t").
				SetSourceRecordID(src).SetSeverity(vocab.Serious).SetCounterpartyName("某某有限公司").SetCounterpartyCategory("LEGAL_PERSON").
				SetCounterpartyUscc(uscc).SetDecisionNo("罚" + src).SetViolationType("v").SetViolationFacts("f").SetLegalBasis("b").
				SetPenaltyCategories([]vocab.PenaltyCategory{vocab.Warning}).SetPenaltyContent("警告").SetDecisionDate(day(decided)).
				SetAuthorityName("某局").SetAuthorityUscc(uscc).SetDataSourceUnit("某局").SetDataSourceUnitUscc(uscc).SaveX(ctx).ID
		}
		listing := func(src, listed string, removed bool) int {
			c := db.Client.ListEntry.Create().SetDepartmentID(dep).SetEntityID(ent.ID).SetSourceSystem("t").SetSourceRecordID(src).
				SetSeverity(vocab.Serious).SetListType(listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST).SetListedOn(day(listed)).
				SetReason("r").SetBasis("b").SetDecisionNo("列" + src)
			if removed {
				c.SetRemovedOn(day("2024-06-01")).SetRemovalReason(listentry.RemovalReasonEARLY_REPAIR)
			}
			return c.SaveX(ctx).ID
		}
		ended, lastDay := penalty("P1", "2023-12-01"), penalty("P2", "2023-12-02")
		lEnded, lLastDay, lRemoved := listing("L1", "2023-12-01", false), listing("L2", "2023-12-02", false), listing("L3", "2023-11-01", true)
		n, err := db.Ledger.Expire(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d records expired, want 2", n)
		}
		for id, want := range map[int]vocab.RecordStatus{ended: vocab.Expired, lastDay: vocab.Published} {
			if got := db.Client.AdministrativePenalty.GetX(ctx, id).Status; got != want {
				t.Errorf("penalty %d: %s, want %s", id, got, want)
			}
		}
		for id, want := range map[int]vocab.RecordStatus{lEnded: vocab.Expired, lLastDay: vocab.Published, lRemoved: vocab.Published} {
			if got := db.Client.ListEntry.GetX(ctx, id).Status; got != want {
				t.Errorf("listing %d: %s, want %s", id, got, want)
			}
		}
		if n, _ := db.Ledger.Expire(ctx, db.Client); n != 0 {
			t.Errorf("a second run expired %d more", n)
		}
	})
}

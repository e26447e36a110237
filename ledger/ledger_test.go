package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// The write engine judges "today" by the clock it is given, not the machine's: a test sets the
// time. With the clock at 2025-03-31 (in China), an entity established on 2025-04-01 is in the
// future, one established on 2025-03-31 is not, and a new entity is first due for evaluation on
// the clock's day.
func TestEngineUsesTheInjectedClock(t *testing.T) {
	// 2025-03-31 20:00 in China is still 2025-03-31 12:00 UTC: the day is China's.
	clock := vocab.FixedClock(time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC))
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{Options: storage.Options{Clock: clock}})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		create := func(uscc string, established time.Time) error {
			return db.Client.MarketEntity.Create().SetUscc(uscc).SetName("某某有限公司").SetEstablishedOn(established).Exec(ctx)
		}
		var fe *derrors.FieldError
		const uscc = "91320000134834003C"
		if err := create(uscc, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)); err == nil || !errors.As(err, &fe) || fe.Field != "establishedOn" {
			t.Errorf("established the day after the clock's today: %v, want establishedOn in the future", err)
		}
		if err := create(uscc, time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("established on the clock's today: %v", err)
		}
		me, err := db.Client.MarketEntity.Query().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if me.EvaluationDueOn == nil || !me.EvaluationDueOn.Equal(clock.Today()) {
			t.Errorf("evaluationDueOn = %v, want the clock's day %s", me.EvaluationDueOn, clock.Today().Format(time.DateOnly))
		}
	})
}

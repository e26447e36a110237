package ledger_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ledger"
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

// A value no column of either engine holds alike is refused with the field's API name, and
// nothing is written: a date outside 1900–2200, an amount beyond DECIMAL(18,6) or finer than
// its six places.
func TestOutOfRangeValuesNameTheirField(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, field, says string
			set               func(*ent.MarketEntityCreate)
		}{
			{"a date before 1900", "establishedOn", "outside 1900–2200", func(m *ent.MarketEntityCreate) {
				m.SetEstablishedOn(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC))
			}},
			{"an amount of seven places", "registeredCapital", "more than 6 decimal places", func(m *ent.MarketEntityCreate) {
				m.SetRegisteredCapital(decimal.RequireFromString("1.0000001"))
			}},
			{"an amount beyond DECIMAL(18,6)", "registeredCapital", "must be at most", func(m *ent.MarketEntityCreate) {
				m.SetRegisteredCapital(decimal.RequireFromString("1000000000000"))
			}},
		} {
			m := db.Client.MarketEntity.Create().SetUscc("91320000134834003C").SetName("某某有限公司")
			c.set(m)
			var fe *derrors.FieldError
			if err := m.Exec(ctx); !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Msg, c.says) {
				t.Errorf("%s: %v, want %s: …%s…", c.name, err, c.field, c.says)
			}
		}
		if n := db.Client.MarketEntity.Query().CountX(ctx); n != 0 {
			t.Errorf("%d entities written, want none", n)
		}
	})
}

// A person's identity is fixed once recorded: no update, by the API or any job, can set its ID
// number or type, nor the birth date, gender and division read from the number, which must
// stay those of the sealed number (ent's update builders have no setter for an immutable
// field). A wrong number is put right by recording the right person.
func TestAPersonsIdentityIsFixedOnceRecorded(t *testing.T) {
	for _, builder := range []reflect.Type{reflect.TypeFor[*ent.NaturalPersonUpdateOne](), reflect.TypeFor[*ent.NaturalPersonUpdate]()} {
		for _, f := range []string{"IDType", "IDNumber", "IDNumberHash", "IDNumberMasked", "BirthDate", "Gender", "DivisionCode"} {
			for _, verb := range []string{"Set", "Clear", "SetNillable"} {
				if _, ok := builder.MethodByName(verb + f); ok {
					t.Errorf("%s has %s%s: a person's identity can be changed after it is recorded", builder, verb, f)
				}
			}
		}
		if _, ok := builder.MethodByName("SetName"); !ok {
			t.Errorf("%s has no SetName: the test no longer looks at the right builder", builder)
		}
	}
}

// CheckKey holds a database to one personal-data key: the first key checked against it is
// recorded (by its fingerprint) and any other refused from then on — also while no person is
// stored, before anything is sealed under it; a database from before fingerprints takes the
// key its stored ID numbers open with, and records it; two instances starting at once with
// different keys on a new database cannot both win.
func TestCheckKeyRefusesAnotherKey(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := authz.SystemContext(context.Background())
		otherKey, err := pii.New([]byte("another-key-of-thirty-two-bytes!"))
		if err != nil {
			t.Fatal(err)
		}
		other := &ledger.Engine{Cipher: otherKey}
		recorded := func(db *storage.DB) int {
			t.Helper()
			n, err := db.Client.DataKeyCheck.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		t.Run("a new database takes the first key checked, and only it", func(t *testing.T) {
			db := e.Open(t, storagetest.Options{})
			if err := db.Ledger.CheckKey(ctx, db.Client); err != nil {
				t.Fatalf("the first key on a new database: %v", err)
			}
			if err := other.CheckKey(ctx, db.Client); !errors.Is(err, ledger.ErrWrongKey) {
				t.Errorf("another key, no person stored yet: %v, want ErrWrongKey", err)
			}
			if err := db.Ledger.CheckKey(ctx, db.Client); err != nil || recorded(db) != 1 {
				t.Errorf("the database's key again: %v, %d fingerprints recorded", err, recorded(db))
			}
			if err := (&ledger.Engine{}).CheckKey(ctx, db.Client); err != nil {
				t.Errorf("no key configured: %v, want nothing to check", err)
			}
		})
		t.Run("a database from before fingerprints takes the key its ID numbers open with", func(t *testing.T) {
			db := e.Open(t, storagetest.Options{})
			if _, err := db.Client.NaturalPerson.Create().SetIDNumber("320508195510014636").SetName("郭欣玉").Save(ctx); err != nil {
				t.Fatal(err)
			}
			if err := other.CheckKey(ctx, db.Client); !errors.Is(err, ledger.ErrWrongKey) || recorded(db) != 0 {
				t.Errorf("another key than the stored numbers': %v, %d fingerprints recorded; want ErrWrongKey and none", err, recorded(db))
			}
			if err := db.Ledger.CheckKey(ctx, db.Client); err != nil || recorded(db) != 1 {
				t.Errorf("the key the person was sealed with: %v, %d fingerprints recorded", err, recorded(db))
			}
			if err := other.CheckKey(ctx, db.Client); !errors.Is(err, ledger.ErrWrongKey) {
				t.Errorf("another key after the fingerprint: %v, want ErrWrongKey", err)
			}
		})
		t.Run("two keys at once on a new database: one wins", func(t *testing.T) {
			db := e.Open(t, storagetest.Options{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, engine := range []*ledger.Engine{db.Ledger, other} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = engine.CheckKey(ctx, db.Client) }()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || recorded(db) != 1 {
				t.Fatalf("two keys at once: %v, %v; %d fingerprints recorded — want exactly one key taken", errs[0], errs[1], recorded(db))
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, ledger.ErrWrongKey) {
					t.Errorf("the loser: %v, want ErrWrongKey", err)
				}
			}
		})
	})
}

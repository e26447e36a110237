package graph_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A caller that may not write a row hears that, and nothing else, whatever it sends: no rule
// of the write engine answers it about the row's stored state (CONFLICT, BAD_USER_INPUT naming
// a stored value, a number already taken) before the permission check has refused it. The
// cases are the generated updates of the parity test (every served field of every updatable
// type, each value of its pool) and a create repeating the row's own keys, sent as every demo
// token and the public. Whether a token may write a row at all is asked by an empty update:
// where that is refused, every update and the repeated create must be refused too — FORBIDDEN
// or NOT_FOUND, never an answer that depends on what is stored.
func TestWritesAnswerOnlyThoseWhoMayWrite(t *testing.T) {
	schema := graph.NewSchema(graph.Deps{}).Schema()
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		sys := authz.AsSystem(context.Background())
		rows := parityFixtures(t, env)
		pools := parityPools(t, env)
		viewers := map[string]context.Context{}
		for _, name := range slices.Sorted(maps.Keys(env.secrets)) {
			v, err := env.tokens.Authenticate(context.Background(), "Bearer "+env.secrets[name])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			viewers[name] = authz.NewContext(context.Background(), v)
		}
		viewers["(public)"] = authz.NewContext(context.Background(), authz.PublicViewer(env.authorizer))
		for _, typ := range slices.Sorted(maps.Keys(rows)) {
			t.Run(typ, func(t *testing.T) {
				upd := schema.Types["Update"+typ+"Input"]
				var stored []reflect.Value
				for _, id := range rows[typ] {
					stored = append(stored, parityGet(t, sys, env.db.Client, typ, id))
				}
				writers, denied, sent := map[string]bool{}, map[string]bool{}, 0
				for i, id := range rows[typ] {
					patches := parityPatches(t, schema, upd, typ, stored, i, pools)
					empty := reflect.New(patches[0].in.Type()).Elem()
					for _, name := range slices.Sorted(maps.Keys(viewers)) {
						ctx := viewers[name]
						code, msg := rightsUpdate(ctx, env.db.Client, typ, id, empty)
						switch code {
						case "":
							writers[name] = true
							// A writer re-sending a record hears it is made already: the row
							// itself, nothing written.
							if stored[i].Elem().FieldByName("SourceRecordID").IsValid() {
								sent++
								if got, err := rightsResend(ctx, env.db.Client, typ, stored[i]); err != nil || got != id {
									t.Errorf("%s %d re-sent by %s, which may write it: row %d, %v", typ, id, name, got, err)
								}
							}
							continue // the token may write the row; what it hears is a writer's
						case "FORBIDDEN", "NOT_FOUND":
							denied[name] = true
						default:
							t.Errorf("%s %d, an empty update as %s: %s %s", typ, id, name, code, msg)
							continue
						}
						for _, p := range patches {
							sent++
							if code, msg := rightsUpdate(ctx, env.db.Client, typ, id, p.in); code != "FORBIDDEN" && code != "NOT_FOUND" {
								t.Errorf("%s %d, update %s as %s, which may not write the row: %q %s", typ, id, p.name, name, code, msg)
							}
						}
						sent++
						if code, msg := rightsRepeat(ctx, env.db.Client, typ, stored[i]); code != "FORBIDDEN" && code != "NOT_FOUND" {
							t.Errorf("%s %d, a create repeating the row as %s, which may not write it: %q %s", typ, id, name, code, msg)
						}
						if typ == "AdministrativePenalty" {
							sent++
							if code, msg := rightsBatch(ctx, env, stored[i]); code != "FORBIDDEN" && code != "NOT_FOUND" {
								t.Errorf("%s %d, a batch repeating the row as %s, which may not write it: %q %s", typ, id, name, code, msg)
							}
						}
					}
				}
				t.Logf("writers %v; refused %v; %d writes sent as callers that may not write", slices.Sorted(maps.Keys(writers)), slices.Sorted(maps.Keys(denied)), sent)
				if len(writers) == 0 || len(denied) < 3 || sent < 20 {
					t.Errorf("%d writers, %d refused callers, %d writes sent: the test lost its reach for %s", len(writers), len(denied), sent, typ)
				}
			})
		}
	})
}

// rightsUpdate sends update in (an Update…Input) to row id of typ as the caller of ctx, in a
// transaction rolled back, and says what the caller is told: "" when it was accepted.
func rightsUpdate(ctx context.Context, c *gen.Client, typ string, id int, in reflect.Value) (code, msg string) {
	return rightsTx(ctx, c, func(ctx context.Context, tc *gen.Client) error {
		res := parityUpdater(tc, typ, id).MethodByName("SetInput").Call([]reflect.Value{in})[0].MethodByName("Save").Call([]reflect.Value{reflect.ValueOf(ctx)})
		if !res[1].IsNil() {
			return res[1].Interface().(error)
		}
		return nil
	})
}

// rightsRepeat creates row again, beside itself (its keys repeated), as the caller of ctx, in a
// transaction rolled back.
func rightsRepeat(ctx context.Context, c *gen.Client, typ string, row reflect.Value) (code, msg string) {
	return rightsTx(ctx, c, func(ctx context.Context, tc *gen.Client) error {
		_, err := parityCreate(ctx, tc, typ, row)
		return err
	})
}

func rightsTx(ctx context.Context, c *gen.Client, write func(context.Context, *gen.Client) error) (code, msg string) {
	tx, err := c.Tx(ctx)
	if err != nil {
		return "TX", err.Error()
	}
	defer func() { _ = tx.Rollback() }()
	if err := write(gen.NewTxContext(ctx, tx), tx.Client()); err != nil {
		return graph.AnswerFor(ctx, err)
	}
	return "", ""
}

// rightsBatch sends penalty row again as a batch of one (createAdministrativePenalties), as the
// caller of ctx, in a transaction rolled back.
func rightsBatch(ctx context.Context, env *testEnv, row reflect.Value) (code, msg string) {
	return rightsTx(ctx, env.db.Client, func(ctx context.Context, tc *gen.Client) error {
		in, err := parityInput(reflect.ValueOf(tc.AdministrativePenalty.Create()), "AdministrativePenalty", row)
		if err != nil {
			return err
		}
		_, err = env.db.Ledger.Penalties(ctx, tc, []*gen.CreateAdministrativePenaltyInput{in.Addr().Interface().(*gen.CreateAdministrativePenaltyInput)})
		return err
	})
}

// rightsResend creates row again as the caller of ctx, in a transaction rolled back, and
// returns the ID of the row answered.
func rightsResend(ctx context.Context, c *gen.Client, typ string, row reflect.Value) (int, error) {
	tx, err := c.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	got, err := parityCreate(gen.NewTxContext(ctx, tx), tx.Client(), typ, row)
	if err != nil {
		return 0, err
	}
	return int(got.Elem().FieldByName("ID").Int()), nil
}

package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/report"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// testEnv is a running server over a real database, as main wires it, and the demo token a
// request is sent with.
type testEnv struct {
	t          testing.TB
	db         *storage.DB
	srv        *httptest.Server
	stmts      *atomic.Int64 // SQL statements run since the last reset
	statements *statementLog // their texts, while recording
	authorizer *authz.Authorizer
	tokens     authz.TokenService
	secrets    map[string]string // demo token name → secret
	token      string            // name of the demo token requests carry; "" for the public
}

// as returns the environment sending requests with the named demo token ("" for none).
func (e *testEnv) as(name string) *testEnv {
	c := *e
	c.token = name
	return &c
}

// newEnv opens a fresh database on engine e, loads demo data with the given number of
// entities (none when 0) and starts the HTTP server.
func newEnv(t testing.TB, e storagetest.Engine, entities int) *testEnv {
	t.Helper()
	return newEnvWith(t, e, entities, storage.Options{})
}

// newEnvWith is newEnv with options for the database (its Debug is the statement counter).
func newEnvWith(t testing.TB, e storagetest.Engine, entities int, o storage.Options) *testEnv {
	t.Helper()
	env := &testEnv{t: t, stmts: new(atomic.Int64), statements: new(statementLog), token: "demo-market-clerk"}
	o.Debug = func(_ context.Context, v ...any) {
		env.stmts.Add(1)
		env.statements.add(v)
	}
	env.db = e.Open(t, storagetest.Options{Options: o})
	ctx := context.Background()
	acc := seedtest.DemoAccess(t, env.db)
	env.authorizer, env.tokens, env.secrets = acc.Authorizer, acc.Tokens, acc.Secrets
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if entities > 0 {
		o := seed.DefaultOptions()
		o.Entities = entities
		if _, err := seed.Demo(ctx, env.db.Client, o); err != nil {
			t.Fatal(err)
		}
	}
	env.srv = httptest.NewServer(server.New(server.Config{
		Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Tallies: env.db.Tallies, Authorizer: env.authorizer, ReportFont: reportFont(t)}, Tokens: env.tokens,
		Ready: env.db.Ready, Logger: logger, Playground: true,
	}))
	t.Cleanup(env.srv.Close)
	return env
}

// reportFont is the CJK font reports print with, as main finds it; nil on a machine without
// one (the PDF tests then skip).
func reportFont(t testing.TB) []byte {
	font, _, err := report.FindFont(report.FontPaths...)
	if err != nil {
		t.Fatal(err)
	}
	return font
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResponse is a decoded GraphQL response.
type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// post sends a GraphQL request over HTTP and decodes the answer.
func (e *testEnv) post(query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if e.token != "" {
		secret, ok := e.secrets[e.token]
		if !ok {
			secret = e.token // a raw header value, for authentication tests
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var r gqlResponse
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("decoding %s: %v", raw, err)
	}
	r.Status = res.StatusCode
	for _, ge := range r.Errors {
		// Every answer of every test: a message is the problem's words, not gqlgen's
		// rendering of the error with its location and path ("input:1:44: restrictions …").
		if gqlgenPrefix.MatchString(ge.Message) {
			e.t.Errorf("error message carries gqlgen's location prefix: %.200q", ge.Message)
		}
	}
	return r
}

// gqlgenPrefix is what gqlgen's rendering of an error puts before its text.
var gqlgenPrefix = regexp.MustCompile(`input:\d+:\d+: `)

// mustData posts and fails the test on any GraphQL error, decoding data into out.
func (e *testEnv) mustData(query string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.post(query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("query failed: %+v", r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.t.Fatalf("decoding data %s: %v", r.Data, err)
		}
	}
}

// wantError posts and checks for exactly one error with the code (and field, if given).
func (e *testEnv) wantError(query string, vars map[string]any, code, field string) gqlError {
	e.t.Helper()
	r := e.post(query, vars)
	if len(r.Errors) != 1 {
		e.t.Fatalf("want one %s error, got %+v (data %s)", code, r.Errors, r.Data)
	}
	got := r.Errors[0]
	if got.Extensions["code"] != code || field != "" && got.Extensions["field"] != field {
		e.t.Fatalf("error = %q %v, want code %s field %q", got.Message, got.Extensions, code, field)
	}
	if strings.Contains(strings.ToLower(got.Message), "insert into") || strings.Contains(got.Message, "SQL") {
		e.t.Errorf("error message leaks SQL: %q", got.Message)
	}
	return got
}

// count is an independent SQL count.
func (e *testEnv) count(table, where string, args ...any) int {
	e.t.Helper()
	return storagetest.Count(e.t, e.db, table, where, args...)
}

// departmentID returns the ID of the department with code.
func (e *testEnv) departmentID(code string) int {
	e.t.Helper()
	var id int
	if err := e.db.SQL.QueryRow("SELECT id FROM departments WHERE code = ?", code).Scan(&id); err != nil {
		e.t.Fatalf("department %s: %v", code, err)
	}
	return id
}

// todayMinus is the date n days before today, as GraphQL writes it.
func todayMinus(n int) string {
	return vocab.SystemClock.Today().AddDate(0, 0, -n).Format(time.DateOnly)
}

// firstUSCC is the USCC of the environment's first entity (by ID).
func (e *testEnv) firstUSCC() string {
	e.t.Helper()
	var uscc string
	if err := e.db.SQL.QueryRow("SELECT uscc FROM market_entities ORDER BY id LIMIT 1").Scan(&uscc); err != nil {
		e.t.Fatal(err)
	}
	return uscc
}

// statementLog keeps the texts of the statements run while it records (ent's debug lines).
type statementLog struct {
	mu        sync.Mutex
	recording bool
	texts     []string
}

func (l *statementLog) add(v []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recording {
		l.texts = append(l.texts, fmt.Sprint(v...))
	}
}

// record runs f and returns the texts of the statements run meanwhile.
func (l *statementLog) record(f func()) []string {
	l.mu.Lock()
	l.recording, l.texts = true, nil
	l.mu.Unlock()
	f()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recording = false
	return l.texts
}

// concurrently runs writers goroutines making rounds calls each, write(w, r), and reports every
// error they return once all have finished (a test may only stop itself from its own goroutine).
func concurrently(t *testing.T, writers, rounds int, write func(w, r int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := write(w, r); err != nil {
					errs <- fmt.Errorf("writer %d, round %d: %w", w, r, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sentUntilAnswered posts a mutation as a client following the API does: an answer CONFLICT
// (every attempt the server made clashed with concurrent writers, and nothing was written) is
// sent again, up to five sends. With many writers on one row on a slow machine (the race
// detector on two cores) the server's own five attempts are not always enough, and what the
// concurrent tests check is the state the writes leave, which a CONFLICT leaves as it was. Any
// other error, or a CONFLICT at the fifth send, is returned.
func (e *testEnv) sentUntilAnswered(query string, vars map[string]any) error {
	for n := 1; ; n++ {
		r := e.post(query, vars)
		if n < 5 && len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "CONFLICT" {
			e.t.Logf("answered CONFLICT; sent again (send %d)", n+1)
			continue
		}
		return answered(r)
	}
}

// answered is a response's errors as one error, or nil when it has none.
func answered(r gqlResponse) error {
	if len(r.Errors) > 0 {
		return fmt.Errorf("%+v", r.Errors)
	}
	return nil
}

// registerPerson records a person (as the credit office, the one demo role that may) with the
// resident ID number of first17 and its check character, and returns the person's ID.
func (e *testEnv) registerPerson(name, first17 string) string {
	e.t.Helper()
	c, err := ident.ResidentIDCheckChar(first17)
	if err != nil {
		e.t.Fatal(err)
	}
	var p struct{ CreateNaturalPerson struct{ ID string } }
	e.as("demo-credit-office").mustData(`mutation($n: String!, $id: String!) { createNaturalPerson(input: {name: $n, idNumber: $id}) { id } }`,
		map[string]any{"n": name, "id": first17 + string(c)}, &p)
	return p.CreateNaturalPerson.ID
}

// entityRef is a market entity as the tests name it.
type entityRef struct{ ID, Uscc string }

// entities returns the environment's first n entities by USCC.
func (e *testEnv) entities(n int) []entityRef {
	e.t.Helper()
	var out struct {
		MarketEntities struct{ Edges []struct{ Node entityRef } }
	}
	e.as("demo-credit-office").mustData(`query($n: Int!) { marketEntities(first: $n, orderBy: [{field: USCC}]) { edges { node { id uscc } } } }`,
		map[string]any{"n": n}, &out)
	refs := make([]entityRef, len(out.MarketEntities.Edges))
	for i, edge := range out.MarketEntities.Edges {
		refs[i] = edge.Node
	}
	if len(refs) < n {
		e.t.Fatalf("%d entities, want %d", len(refs), n)
	}
	return refs
}

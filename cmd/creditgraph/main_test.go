package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMigrateAndSeedSubcommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cg.db")
	ctx := context.Background()
	if err := run(ctx, []string{"migrate", "--db", db}, quiet()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := run(ctx, []string{"seed", "--db", db, "--entities", "50"}, quiet()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	for _, args := range [][]string{{"recompute", "--db", db}, {"recompute", "--db", db, "--due"}} {
		if err := run(ctx, args, quiet()); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	for _, args := range [][]string{{"frobnicate"}, {"migrate", "extra"}, {"seed", "--entities", "x"}} {
		if err := run(ctx, args, quiet()); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}

// recompute --evaluation-form object rewrites every stored evaluation in the form builds before
// the array read (a rolling upgrade, or a return to such a build), and recompute without it
// rewrites them back into the array.
func TestRecomputeInTheObjectForm(t *testing.T) {
	t.Cleanup(func() { _ = vocab.WriteStored(vocab.ArrayForm) })
	db := filepath.Join(t.TempDir(), "cg.db")
	ctx := context.Background()
	if err := run(ctx, []string{"seed", "--db", db, "--entities", "30"}, quiet()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	forms := func() (arrays, objects int) {
		t.Helper()
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.QueryRow(`SELECT COUNT(CASE WHEN evaluation LIKE '[2,%' THEN 1 END), COUNT(CASE WHEN evaluation LIKE '{%' THEN 1 END)
			FROM market_entities`).Scan(&arrays, &objects); err != nil {
			t.Fatal(err)
		}
		return arrays, objects
	}
	if a, o := forms(); a < 30 || o != 0 {
		t.Fatalf("seeded: %d arrays, %d objects", a, o)
	}
	if err := run(ctx, []string{"recompute", "--db", db, "--evaluation-form", "object"}, quiet()); err != nil {
		t.Fatal(err)
	}
	if a, o := forms(); a != 0 || o < 30 {
		t.Fatalf("after recompute in the object form: %d arrays, %d objects", a, o)
	}
	if err := run(ctx, []string{"recompute", "--db", db}, quiet()); err != nil {
		t.Fatal(err)
	}
	if a, o := forms(); a < 30 || o != 0 {
		t.Fatalf("after recompute: %d arrays, %d objects", a, o)
	}
}

// serve with no arguments but an address answers the README's first query within seconds, on
// a fresh SQLite file with demo data.
func TestServeAnswersOnAFreshDatabase(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("CREDITGRAPH_DB", filepath.Join(dir, "creditgraph.db"))
	t.Setenv("CREDITGRAPH_ADDR", addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, quiet()) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}()
	body := `{"query":"{ marketEntities(first: 5) { totalCount edges { node { uscc name } } } }"}`
	var answer string
	for i := 0; i < 600; i++ { // polls until the server listens; bounded at 60 s
		res, err := http.Post("http://"+addr+"/query", "application/json", strings.NewReader(body))
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answer = string(b)
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !strings.Contains(answer, `"totalCount":2000`) {
		t.Fatalf("answer %.300s, want the 2000 demo entities", answer)
	}
	// The demo tokens file lists a token per demo role, and each one works.
	raw, err := os.ReadFile(filepath.Join(dir, "creditgraph-demo-tokens.json")) // named after creditgraph.db
	if err != nil {
		t.Fatal(err)
	}
	var tokens []struct{ Name, Role, Department, Token string }
	if err := json.Unmarshal(raw, &tokens); err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	for _, tok := range tokens {
		roles[tok.Role]++
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/query", strings.NewReader(`{"query":"{ viewer { tokenName role } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"tokenName":"`+tok.Name+`"`) {
			t.Errorf("token %s: %d %s", tok.Name, res.StatusCode, b)
		}
	}
	if roles["credit_office"] != 1 || roles["supervisor"] != 6 || roles["clerk"] != 9 || roles["auditor"] != 2 ||
		roles["subject"] != 1 || roles["person"] != 1 {
		t.Errorf("demo tokens per role = %v", roles)
	}
	if _, err := os.Stat(filepath.Join(dir, "creditgraph.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestTokenAndPolicyCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cg.db")
	ctx := context.Background()
	// Token commands need a database; a seed creates one with the departments a unit names.
	if err := run(ctx, []string{"seed", "--db", db, "--entities", "5"}, quiet()); err != nil {
		t.Fatal(err)
	}
	// A bureau's token: its unit must be a department of its sector, and only clerks and
	// supervisors take one; a refused token is not stored.
	for _, bad := range [][]string{{"--role", "auditor", "--unit", "market-320500"}, {"--role", "clerk", "--unit", "labour-320500"},
		{"--role", "clerk", "--unit", "market-999999"}} {
		args := append([]string{"token", "issue", "--db", db, "--name", "unit-bad", "--department", "market"}, bad...)
		if err := run(ctx, args, quiet()); err == nil || !strings.Contains(err.Error(), "unit") {
			t.Errorf("%v: %v, want a refusal naming unit", bad, err)
		}
	}
	// A subject token names a stored entity, a person token a stored person, and no other
	// token names either.
	for _, bad := range [][]string{{"--role", "subject", "--subject", "91320000MA1XXXXXXX"}, {"--role", "person"},
		{"--role", "clerk", "--subject", "91320000MA1XXXXXXX"}, {"--role", "subject", "--person-id", "1"}} {
		args := append([]string{"token", "issue", "--db", db, "--name", "self-bad", "--department", "credit_office"}, bad...)
		if err := run(ctx, args, quiet()); err == nil || !strings.Contains(err.Error(), "subject") && !strings.Contains(err.Error(), "person") {
			t.Errorf("%v: %v, want a refusal naming the subject or person", bad, err)
		}
	}
	if err := run(ctx, []string{"token", "issue", "--db", db, "--name", "unit-ok", "--department", "market", "--role", "clerk", "--unit", "market-320500"}, quiet()); err != nil {
		t.Errorf("a Suzhou bureau clerk's token: %v", err)
	}
	if err := run(ctx, []string{"token", "issue", "--db", db, "--name", "suzhou-clerk", "--department", "market", "--role", "clerk", "--expires", "720h"}, quiet()); err != nil {
		t.Fatalf("token issue: %v", err)
	}
	if err := run(ctx, []string{"token", "issue", "--db", db, "--name", "suzhou-clerk", "--department", "market", "--role", "clerk"}, quiet()); err == nil {
		t.Error("a second token with the same name was issued")
	}
	for _, bad := range [][]string{
		{"--name", "x1", "--department", "finance", "--role", "clerk"},
		{"--name", "x2", "--department", "market", "--role", "root"},
		{"--name", "x3", "--department", "market", "--role", "clerk", "--scope", "labour"},
		{"--name", "x4", "--department", "market", "--role", "clerk", "--expires", "0s"},
		{"--name", "x5", "--department", "market", "--role", "clerk", "--expires", "-1h"},
		{"--name", "credit_office", "--department", "market", "--role", "clerk"},
	} {
		if err := run(ctx, append([]string{"token", "issue", "--db", db}, bad...), quiet()); err == nil {
			t.Errorf("token issue %v succeeded", bad)
		}
	}
	if err := run(ctx, []string{"token", "list", "--db", db}, quiet()); err != nil {
		t.Errorf("token list: %v", err)
	}
	if err := run(ctx, []string{"token", "revoke", "--db", db, "--name", "suzhou-clerk"}, quiet()); err != nil {
		t.Errorf("token revoke: %v", err)
	}
	if err := run(ctx, []string{"token", "revoke", "--db", db, "--name", "suzhou-clerk"}, quiet()); err == nil {
		t.Error("revoking a revoked token succeeded")
	}
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte("p, clerk, market, records:own, write\ng, token:alice, clerk, market\n"), 0o600)
	os.WriteFile(bad, []byte("p, clerk, market, records:own, write\np, clerk, *, everything, read\n"), 0o600)
	if err := run(ctx, []string{"policy", "check", good}, quiet()); err != nil {
		t.Errorf("policy check of a valid file: %v", err)
	}
	if err := run(ctx, []string{"policy", "check", bad}, quiet()); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("policy check of an invalid file = %v, want an error naming line 2", err)
	}
	if err := run(ctx, []string{"policy", "check", "../../authz/policy.csv"}, quiet()); err != nil {
		t.Errorf("the built-in policy does not check: %v", err)
	}
}

// A graceful shutdown under load lets the requests in flight finish: every request the server
// accepted gets a whole 200 answer, later ones are refused at connect, and serve returns cleanly.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--db", filepath.Join(dir, "cg.db"), "--addr", addr, "--rate-limit", "0"}, quiet())
	}()
	body := `{"query":"{ marketEntities(first: 200) { totalCount edges { node { uscc name evaluation { score } } } } }"}`
	for i := 0; i < 1800; i++ { // wait until it serves (a demo load under -race on a busy machine); bounded at 180 s
		if res, err := http.Post("http://"+addr+"/query", "application/json", strings.NewReader(body)); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	type outcome struct {
		status int
		whole  bool
		err    error
	}
	results := make(chan outcome, 10000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Post("http://"+addr+"/query", "application/json", strings.NewReader(body))
				if err != nil {
					results <- outcome{err: err}
					continue
				}
				b, rerr := io.ReadAll(res.Body)
				res.Body.Close()
				results <- outcome{status: res.StatusCode, whole: rerr == nil && json.Valid(b) && strings.Contains(string(b), `"totalCount":2000`)}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // let load build up before the signal
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	close(stop)
	wg.Wait()
	close(results)
	ok, refused := 0, 0
	for r := range results {
		switch {
		case r.err != nil:
			// Connections the server had not started reading when it stopped listening are
			// refused or closed (EOF, reset) before any response: not requests in flight. A
			// request in flight that was cut would show as an incomplete body below.
			msg := r.err.Error()
			if !strings.Contains(msg, "connection refused") && !strings.HasSuffix(msg, "EOF") && !strings.Contains(msg, "connection reset") {
				t.Errorf("a request failed other than by a refused connection: %v", r.err)
			}
			refused++
		case r.status != http.StatusOK || !r.whole:
			t.Errorf("an accepted request got status %d (whole body: %v)", r.status, r.whole)
		default:
			ok++
		}
	}
	if ok == 0 {
		t.Error("no request completed under load")
	}
	t.Logf("%d requests answered, %d refused after shutdown", ok, refused)
}

// The command line helps: help lists every subcommand, version answers, a command given a
// database that does not exist says so and creates nothing, --db refuses unknown schemes
// without echoing credentials, and serve reports an address in use before any demo load.
func TestCommandLineHelps(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	usage(&b)
	for _, c := range commands {
		if !strings.Contains(b.String(), c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"version"}, {"token", "issue", "--help"}, {"serve", "--help"}} {
		if err := run(ctx, args, quiet()); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	if err := run(ctx, []string{"token"}, quiet()); err == nil || !strings.Contains(err.Error(), "subcommand") {
		t.Errorf("token without a subcommand: %v", err)
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	for _, args := range [][]string{{"token", "list", "--db", missing}, {"recompute", "--db", missing},
		{"token", "issue", "--db", missing, "--name", "x-clerk", "--role", "clerk", "--department", "market"}} {
		if err := run(ctx, args, quiet()); err == nil || !strings.Contains(err.Error(), "no database at") {
			t.Errorf("%v: %v, want no database", args, err)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a command created the missing database: %v", err)
	}
	for _, db := range []string{"postgres://u:s3cret@h/db", "mysql://u:s3cret@h:bad/db", "mysql://u:s3cret@h:3306/"} {
		err := run(ctx, []string{"token", "list", "--db", db}, quiet())
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("--db %s: %v, want a refusal that does not echo the password", db, err)
		}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := filepath.Join(dir, "busy.db")
	start := time.Now()
	err = run(ctx, []string{"serve", "--db", db, "--addr", busy.Addr().String()}, quiet())
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("serve on a busy address: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "busy-demo-tokens.json")); !os.IsNotExist(err) {
		t.Errorf("demo data were loaded before the address was checked (%v, %s)", err, time.Since(start))
	}
}

// import reads a department's file, reports bad rows with row and column (and as an XLSX file
// when asked) and refuses a file whose header lacks required columns.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cg.db")
	ctx := context.Background()
	if err := run(ctx, []string{"seed", "--db", db, "--entities", "5"}, quiet()); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad-header.csv")
	_ = os.WriteFile(bad, []byte("行政相对人名称,处罚内容\n某公司,警告\n"), 0o600)
	if err := run(ctx, []string{"import", "--db", db, "--department", "market-320000", bad}, quiet()); err == nil || !strings.Contains(err.Error(), "CF_WSH") {
		t.Errorf("a header without the decision number: %v", err)
	}
	file := filepath.Join(dir, "penalties.csv")
	_ = os.WriteFile(file, []byte("行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,处罚决定日期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码\n"+
		"某公司,法人及非法人组织,91320000MA1XXXXXX7,苏罚1号,虚假宣传,事实,依据,警告,警告,2026-03-01,某局,11320000014000003C,某局,11320000014000003C\n"), 0o600)
	report := filepath.Join(dir, "report.xlsx")
	err := run(ctx, []string{"import", "--db", db, "--department", "market-320000", "--severity", "GENERAL", "--report", report, file}, quiet())
	if err == nil || !strings.Contains(err.Error(), "1 rows were rejected") {
		t.Errorf("a file with a bad row: %v", err)
	}
	if st, err := os.Stat(report); err != nil || st.Size() == 0 {
		t.Errorf("no report written: %v", err)
	}
	if err := run(ctx, []string{"import", "--db", db, "--department", "market-320000", "--severity", "HIGH", file}, quiet()); err == nil || !strings.Contains(err.Error(), "severity") {
		t.Errorf("a bad --severity: %v", err)
	}
}

// Every flag that names an environment variable takes its value from it unless the command line
// gives one; a value that does not parse is an error naming the variable, not a quiet default.
func TestFlagsFromTheEnvironment(t *testing.T) {
	t.Setenv("CREDITGRAPH_RATE_LIMIT", "5")
	t.Setenv("CREDITGRAPH_INSTANCES", "3")
	t.Setenv("CREDITGRAPH_PLAYGROUND", "false")
	c, err := parse("serve", []string{"--instances", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.rateLimit != 5 || c.instances != 2 || c.playground {
		t.Errorf("rate %v, instances %d, playground %v; want 5 from the environment, 2 from the command line, false", c.rateLimit, c.instances, c.playground)
	}
	// Every typed flag of every command that names a variable, found from the flag set itself:
	// a value its type cannot hold is refused, naming the variable and the value.
	checked := 0
	for _, command := range commands {
		cmd := command.name
		declareFlags(cmd, &config{}).VisitAll(func(f *flag.Flag) {
			m := envName.FindStringSubmatch(f.Usage)
			if m == nil {
				return
			}
			switch f.Value.(flag.Getter).Get().(type) {
			case bool, int, int64, uint64, float64, time.Duration:
			default:
				return // a string: any value parses; its meaning is checked where it is used
			}
			checked++
			t.Run(cmd+"/"+m[1], func(t *testing.T) {
				t.Setenv(m[1], "not-a-value")
				args := []string{}
				if cmd == "import" || cmd == "policy check" || cmd == "calendar load" {
					args = append(args, "file")
				}
				if _, err := parse(cmd, args); err == nil || !strings.Contains(err.Error(), m[1]) || !strings.Contains(err.Error(), "not-a-value") {
					t.Errorf("%s with %s=not-a-value: error %v, want one naming the variable and the value", cmd, m[1], err)
				}
			})
		})
	}
	// A number that parses but means nothing: no connection would ever be allowed.
	for _, v := range []string{"0", "-1"} {
		t.Setenv("CREDITGRAPH_OPEN_PER_CALLER", v)
		if _, err := parse("serve", nil); err == nil || !strings.Contains(err.Error(), "CREDITGRAPH_OPEN_PER_CALLER") {
			t.Errorf("CREDITGRAPH_OPEN_PER_CALLER=%s: error %v, want one naming the variable", v, err)
		}
	}
	t.Setenv("CREDITGRAPH_OPEN_PER_CALLER", "1")
	// Stacks: none held is allowed, a negative size or one past the bound is not.
	for v, ok := range map[string]bool{"0": true, "32": true, "256": true, "-1": false, "257": false} {
		t.Setenv("CREDITGRAPH_GOROUTINE_STACK", v)
		_, err := parse("serve", nil)
		if ok && err != nil || !ok && (err == nil || !strings.Contains(err.Error(), "CREDITGRAPH_GOROUTINE_STACK") || !strings.Contains(err.Error(), v)) {
			t.Errorf("CREDITGRAPH_GOROUTINE_STACK=%s: error %v, want %s", v, err, map[bool]string{true: "none", false: "one naming the variable and the value"}[ok])
		}
	}
	t.Setenv("CREDITGRAPH_GOROUTINE_STACK", "32")
	// The string flags with a closed set of values.
	t.Setenv("CREDITGRAPH_DEMO", "maybe")
	if _, err := parse("serve", nil); err == nil || !strings.Contains(err.Error(), "CREDITGRAPH_DEMO") {
		t.Errorf("CREDITGRAPH_DEMO=maybe: error %v, want one naming the variable", err)
	}
	t.Setenv("CREDITGRAPH_DEMO", "auto")
	// The load balancers: addresses and ranges, or the command stops naming the one that is not.
	t.Setenv("CREDITGRAPH_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16, fd00::/8")
	if c, err := parse("serve", nil); err != nil || len(c.proxies) != 3 || !c.proxies[1].Contains(net.ParseIP("10.1.200.3")) {
		t.Errorf("CREDITGRAPH_TRUSTED_PROXIES of three: %v, %v", c.proxies, err)
	}
	t.Setenv("CREDITGRAPH_TRUSTED_PROXIES", "10.0.0.5,lb.internal")
	if _, err := parse("serve", nil); err == nil || !strings.Contains(err.Error(), "CREDITGRAPH_TRUSTED_PROXIES") || !strings.Contains(err.Error(), "lb.internal") {
		t.Errorf("CREDITGRAPH_TRUSTED_PROXIES with a host name: error %v, want one naming the variable and the value", err)
	}
	t.Setenv("CREDITGRAPH_TRUSTED_PROXIES", "")
	t.Setenv("CREDITGRAPH_EVALUATION_FORM", "objects")
	for _, cmd := range []string{"serve", "seed", "recompute", "import"} {
		args := []string{}
		if cmd == "import" {
			args = append(args, "file")
		}
		if _, err := parse(cmd, args); err == nil || !strings.Contains(err.Error(), "CREDITGRAPH_EVALUATION_FORM") || !strings.Contains(err.Error(), "objects") {
			t.Errorf("%s with CREDITGRAPH_EVALUATION_FORM=objects: error %v, want one naming the variable and the value", cmd, err)
		}
	}
	if checked < 5 {
		t.Errorf("only %d typed flags with a variable found; the test no longer sees them", checked)
	}
}

// Import progress written into a log comes as whole lines, one every two seconds; on a terminal
// it is one line rewritten in place and closed at the end.
func TestImportProgressLines(t *testing.T) {
	log, err := os.Create(filepath.Join(t.TempDir(), "import.log"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	p := newProgress(log, start)
	for i, after := range []time.Duration{500 * time.Millisecond, time.Second, 2100 * time.Millisecond, 3 * time.Second, 4200 * time.Millisecond} {
		p.report(500*(i+1), 500*(i+1)+1, start.Add(after))
	}
	p.end()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(log.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := "1500 rows (714/s), through line 1501\n2500 rows (595/s), through line 2501\n"
	if string(got) != want {
		t.Errorf("a log got %q, want %q", got, want)
	}

	var term strings.Builder
	p = &progress{w: &term, live: true, start: start, last: start, every: 2 * time.Second}
	p.report(500, 501, start.Add(time.Second))
	p.report(1000, 1001, start.Add(2*time.Second))
	p.end()
	if want := "\r500 rows (500/s), through line 501\r1000 rows (500/s), through line 1001\n"; term.String() != want {
		t.Errorf("a terminal got %q, want %q", term.String(), want)
	}
	dev, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if !newProgress(dev, start).live {
		t.Errorf("%s, a character device, is not written live", os.DevNull)
	}
}

// migrate brings the reference data with the schema. On MySQL a database whose schema alone was
// applied (by an earlier build's migrate, or by hand) is refused by every command that reads or
// writes it — naming what it lacks and the command that loads it, and writing nothing — until
// migrate runs; on SQLite every command applies both, so such a file is completed instead.
func TestReferenceDataComesWithMigrate(t *testing.T) {
	t.Setenv("CREDITGRAPH_DATA_KEY", "Y3JlZGl0Z3JhcGgtdGVzdC1rZXktMzItYnl0ZXMhISE=")
	ctx := context.Background()
	schemaOnly := func(t *testing.T, addr string) *storage.DB {
		target, err := storage.ParseTarget(addr)
		if err != nil {
			t.Fatal(err)
		}
		db, err := storage.Open(ctx, target, storage.Options{Cipher: storagetest.TestCipher()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db
	}
	csvFile := filepath.Join(t.TempDir(), "penalties.csv")
	if err := os.WriteFile(csvFile, []byte("行政相对人名称,统一社会信用代码\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := func(addr string) [][]string {
		return [][]string{
			{"token", "issue", "--db", addr, "--name", "clerk-1", "--department", "market", "--role", "clerk"},
			{"token", "list", "--db", addr},
			{"recompute", "--db", addr},
			{"import", "--db", addr, "--department", "market-320000", csvFile},
			{"serve", "--db", addr, "--addr", "127.0.0.1:0"},
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		addr := filepath.Join(t.TempDir(), "cg.db")
		db := schemaOnly(t, addr)
		if missing, err := seed.ReferenceMissing(ctx, db.Client); err != nil || len(missing) == 0 {
			t.Fatalf("the schema alone: missing %q, %v", missing, err)
		}
		if err := run(ctx, commands(addr)[0], quiet()); err != nil {
			t.Fatalf("token issue on a SQLite file with the schema alone: %v", err)
		}
		if missing, err := seed.ReferenceMissing(ctx, db.Client); err != nil || len(missing) > 0 {
			t.Errorf("after a command: missing %q, %v", missing, err)
		}
	})
	t.Run("mysql", func(t *testing.T) {
		if !storagetest.MySQLConfigured() {
			t.Skipf("%s is not set", storagetest.EnvMySQL)
		}
		addr := storagetest.NewMySQLAddress(t)
		for _, args := range commands(addr) { // no schema at all
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := run(cctx, args, quiet())
			cancel()
			if err == nil || !strings.Contains(err.Error(), "has no creditgraph schema") || !strings.Contains(err.Error(), "creditgraph migrate") {
				t.Errorf("%s on an empty database: %v, want a refusal naming migrate", args[0], err)
			}
		}
		db := schemaOnly(t, addr)
		for _, args := range commands(addr) {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a serve that started stops
			err := run(cctx, args, quiet())
			cancel()
			if err == nil || !strings.Contains(err.Error(), "has no publicity rules") || !strings.Contains(err.Error(), "departments") ||
				!strings.Contains(err.Error(), "creditgraph migrate") {
				t.Errorf("%s on a database with the schema alone: %v, want a refusal naming what is missing and migrate", args[0], err)
			}
		}
		if n := storagetest.Count(t, db, "api_tokens", ""); n != 0 {
			t.Errorf("%d tokens stored by refused commands", n)
		}
		if err := run(ctx, []string{"migrate", "--db", addr}, quiet()); err != nil {
			t.Fatal(err)
		}
		if missing, err := seed.ReferenceMissing(ctx, db.Client); err != nil || len(missing) > 0 {
			t.Fatalf("after migrate: missing %q, %v", missing, err)
		}
		if err := run(ctx, commands(addr)[0], quiet()); err != nil {
			t.Errorf("token issue after migrate: %v", err)
		}
	})
}

// Every command refuses a personal-data key that does not open the stored ID numbers, before it
// writes: with the variable set to another key, and — the embedded default — when the key file
// beside the database is gone, in which case the key file made in its place is removed again.
func TestCommandsRefuseAnotherPersonalDataKey(t *testing.T) {
	ctx := context.Background()
	const key, other = "Y3JlZGl0Z3JhcGgtdGVzdC1rZXktMzItYnl0ZXMhISE=", "YW5vdGhlci1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE="
	persons := func(t *testing.T, addr string) int {
		target, err := storage.ParseTarget(addr)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := sql.Open(target.Driver, target.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRow("SELECT COUNT(*) FROM natural_persons").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refused := func(t *testing.T, addr string, args ...string) {
		t.Helper()
		before := persons(t, addr)
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a serve that started stops
		defer cancel()
		err := run(cctx, append(args, "--db", addr), quiet())
		if !errors.Is(err, ledger.ErrWrongKey) {
			t.Errorf("%v with another key: %v, want a refusal", args, err)
		}
		if after := persons(t, addr); after != before {
			t.Errorf("%v with another key stored %d persons", args, after-before)
		}
	}
	commands := [][]string{{"token", "list"}, {"recompute"}, {"seed", "--entities", "30"}, {"serve", "--addr", "127.0.0.1:0"}}
	engines := map[string]func(t *testing.T) string{"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "cg.db") }}
	if storagetest.MySQLConfigured() {
		engines["mysql"] = func(t *testing.T) string { return storagetest.NewMySQLAddress(t) }
	}
	for name, addr := range engines {
		t.Run(name+"/variable", func(t *testing.T) {
			addr := addr(t)
			t.Setenv("CREDITGRAPH_DATA_KEY", key)
			if err := run(ctx, []string{"seed", "--db", addr, "--entities", "20"}, quiet()); err != nil {
				t.Fatal(err)
			}
			t.Setenv("CREDITGRAPH_DATA_KEY", other)
			for _, args := range commands {
				refused(t, addr, args...)
			}
			t.Setenv("CREDITGRAPH_DATA_KEY", key)
			if err := run(ctx, []string{"token", "list", "--db", addr}, quiet()); err != nil {
				t.Errorf("token list with the database's key: %v", err)
			}
		})
		// A database without a person yet is held to the key it was made with all the same:
		// a person recorded under another would be sealed and hashed apart from the rest.
		t.Run(name+"/no person yet", func(t *testing.T) {
			addr := addr(t)
			t.Setenv("CREDITGRAPH_DATA_KEY", key)
			if err := run(ctx, []string{"migrate", "--db", addr}, quiet()); err != nil {
				t.Fatal(err)
			}
			t.Setenv("CREDITGRAPH_DATA_KEY", other)
			for _, args := range commands {
				refused(t, addr, args...)
			}
		})
	}
	t.Run("sqlite/key file", func(t *testing.T) {
		t.Setenv("CREDITGRAPH_DATA_KEY", "") // the embedded default: the key file beside the database
		addr := filepath.Join(t.TempDir(), "cg.db")
		if err := run(ctx, []string{"seed", "--db", addr, "--entities", "20"}, quiet()); err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(filepath.Dir(addr), "creditgraph.key")
		own, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		for _, args := range commands {
			refused(t, addr, args...)
			if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%v left a key file that does not open the data: %v", args, err)
			}
		}
		if err := os.WriteFile(keyFile, own, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := run(ctx, []string{"token", "list", "--db", addr}, quiet()); err != nil {
			t.Errorf("token list with the key file put back: %v", err)
		}
	})
}

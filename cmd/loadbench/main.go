// Command loadbench measures creditgraph at provincial scale (BENCHMARKS.md, issue 6): the
// benchmark queries a–e, g and h through a running server's HTTP endpoint with real tokens, at each
// concurrency, with p50/p95/p99 latency and throughput; the same data for a, b and c fetched
// by hand-written SQL over database/sql (the floor); f, batches of 1,000 penalties through
// createAdministrativePenalties; the server's resident memory; and, with -explain, the EXPLAIN
// of every statement the server ran for one request of each query, captured from MariaDB's
// general log. scripts/scale-bench.sh starts everything and runs it.
//
//	loadbench -url http://127.0.0.1:18090 -db mysql://root@127.0.0.1:13307/cg1m \
//	  -supervisor TOKEN -auditor TOKEN -clerk TOKEN -pid SERVER_PID [-duration 20s] [-explain FILE]
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	docs "github.com/creditgraph/creditgraph/cmd/loadbench/queries"

	_ "github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/storage"
)

type config struct {
	url, db, supervisor, auditor, clerk, explain string
	pid                                          int
	duration                                     time.Duration
	concurrency, ingestConcurrency               []int
	batches                                      int
	only                                         string
}

func main() {
	var c config
	var conc, ingestConc string
	flag.StringVar(&c.url, "url", "http://127.0.0.1:18090", "creditgraph server")
	flag.StringVar(&c.db, "db", "", "the server's database, mysql://… (parameters, raw SQL floor, EXPLAIN)")
	flag.StringVar(&c.supervisor, "supervisor", "", "token of a market supervisor (a–d)")
	flag.StringVar(&c.auditor, "auditor", "", "token of an auditor scoped to market (e)")
	flag.StringVar(&c.clerk, "clerk", "", "token of a market clerk (f)")
	flag.StringVar(&c.explain, "explain", "", "write EXPLAIN of every statement of one request of each query to this file")
	flag.IntVar(&c.pid, "pid", 0, "server process, for its memory")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long each query runs at each concurrency")
	flag.StringVar(&conc, "concurrency", "1,16", "concurrencies to run a–e at")
	flag.StringVar(&ingestConc, "ingest-concurrency", "1,2,16", "concurrencies to run f at")
	flag.IntVar(&c.batches, "batches", 20, "ingest batches of 1,000 penalties at each concurrency")
	flag.StringVar(&c.only, "only", "0abcdefghi", "which of the queries to run: 0 (reference), a–f, g, h and i")
	flag.Parse()
	c.concurrency, c.ingestConcurrency = counts("concurrency", conc), counts("ingest-concurrency", ingestConc)
	if err := run(context.Background(), c); err != nil {
		fail(err)
	}
}

func counts(flag, list string) []int {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-%s: %q is not a positive number", flag, s))
		}
		out = append(out, n)
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadbench:", err)
	os.Exit(1)
}

// params are the data the queries are asked about, read from the database once.
type params struct {
	city        string
	busy        []string // USCCs of entities with records
	reps        []string // IDs of persons who represent several entities
	entities    []entityRef
	marketDepts map[string]int // city code → market department
	authority   string
	from, to    string // audit log window
}

type entityRef struct {
	id         int64
	uscc, city string
}

func run(ctx context.Context, c config) error {
	target, err := storage.ParseTarget(c.db)
	if err != nil {
		return err
	}
	db, err := sql.Open(target.Driver, target.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	p, err := readParams(ctx, db)
	if err != nil {
		return err
	}
	var n int
	_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_entities").Scan(&n)
	fmt.Fprintf(os.Stderr, "loadbench: %d entities; city %s; %d busy entities, %d multi-entity representatives\n", n, p.city, len(p.busy), len(p.reps))
	mem := watchMemory(c.pid)

	qs := queries(c, p)
	if c.explain != "" && strings.Contains(c.only, "abcde") {
		if err := explainAll(ctx, c, db, qs); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
	}
	type row struct {
		name  string
		conc  int
		api   stats
		floor *stats
	}
	var rows []row
	for _, q := range qs {
		if !strings.Contains(c.only, q.name[:1]) {
			continue
		}
		for _, k := range c.concurrency {
			api, err := measure(ctx, k, c.duration, func(i int) error { return q.api(ctx, i) })
			if err != nil {
				return fmt.Errorf("%s at concurrency %d: %w", q.name, k, err)
			}
			r := row{name: q.name, conc: k, api: api}
			if q.raw != nil {
				floor, err := measure(ctx, k, c.duration, func(i int) error { return q.raw(ctx, db, i) })
				if err != nil {
					return fmt.Errorf("%s (raw SQL) at concurrency %d: %w", q.name, k, err)
				}
				r.floor = &floor
			}
			fmt.Fprintf(os.Stderr, "loadbench: %s c=%d: %s\n", q.name, k, api)
			rows = append(rows, r)
		}
	}
	// f: ingest.
	type ingestRow struct {
		conc                 int
		lat                  stats
		recordsPerSecond     float64
		batches, failedBatch int
	}
	var ingests []ingestRow
	seq := time.Now().UnixMicro() // source keys unique across runs
	for _, k := range c.ingestConcurrency {
		if !strings.Contains(c.only, "f") {
			break
		}
		// The bodies are built before the clock starts: the figure is the server's.
		bodies := make([][]byte, c.batches)
		for i := range bodies {
			seq++
			bodies[i] = ingestBody(p, seq)
		}
		var mu sync.Mutex
		failed := 0
		lat, err := measureN(ctx, k, c.batches, func(i int) error {
			err := ingest(ctx, c, bodies[i])
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("ingest at concurrency %d: %w", k, err)
		}
		ingests = append(ingests, ingestRow{conc: k, lat: lat, recordsPerSecond: lat.throughput * 1000, batches: lat.n, failedBatch: failed})
		fmt.Fprintf(os.Stderr, "loadbench: f c=%d: %s, %.0f records/s\n", k, lat, lat.throughput*1000)
	}
	peak, now := mem()

	fmt.Printf("| query | concurrency | p50 ms | p95 ms | p99 ms | requests/s | raw SQL p50 ms | raw SQL p95 ms | raw SQL req/s | creditgraph ÷ raw (p50) |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Printf("| %s | %d | %.1f | %.1f | %.1f | %.0f |", r.name, r.conc, ms(r.api.p50), ms(r.api.p95), ms(r.api.p99), r.api.throughput)
		if r.floor != nil {
			fmt.Printf(" %.1f | %.1f | %.0f | %.1f× |\n", ms(r.floor.p50), ms(r.floor.p95), r.floor.throughput, ms(r.api.p50)/ms(r.floor.p50))
		} else {
			fmt.Printf(" – | – | – | – |\n")
		}
	}
	fmt.Printf("\n| f. ingest, batches of 1,000 penalties | concurrency | batches | p50 ms | p95 ms | p99 ms | records/s |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range ingests {
		fmt.Printf("| createAdministrativePenalties | %d | %d | %.0f | %.0f | %.0f | %.0f |\n", r.conc, r.batches, ms(r.lat.p50), ms(r.lat.p95), ms(r.lat.p99), r.recordsPerSecond)
	}
	if c.pid > 0 {
		fmt.Printf("\nServer memory (VmHWM, peak resident): %d MB; resident at the end: %d MB.\n", peak>>20, now>>20)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func readParams(ctx context.Context, db *sql.DB) (params, error) {
	p := params{marketDepts: map[string]int{}}
	// The city with the most D-tier entities (the index on city_code, risk_tier answers it).
	if err := db.QueryRowContext(ctx, `SELECT city_code FROM market_entities WHERE risk_tier = 'D' AND city_code IS NOT NULL
		GROUP BY city_code ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&p.city); err != nil {
		return p, fmt.Errorf("no D-tier entity: is the database seeded? %w", err)
	}
	strs := func(q string, args ...any) ([]string, error) {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	var err error
	if p.busy, err = strs(`SELECT e.uscc FROM administrative_penalties p JOIN market_entities e ON e.id = p.entity_id
		WHERE p.source_system = 'js-sgs' ORDER BY p.id LIMIT 500`); err != nil {
		return p, err
	}
	if p.reps, err = strs(`SELECT person_id FROM entity_roles WHERE role = 'LEGAL_REPRESENTATIVE' AND id < (SELECT MIN(id) + 200000 FROM entity_roles)
		GROUP BY person_id HAVING COUNT(*) > 1 LIMIT 500`); err != nil {
		return p, err
	}
	if len(p.busy) == 0 || len(p.reps) == 0 {
		return p, errors.New("no entity with records or no representative of several entities: is the database seeded?")
	}
	// Every 10th entity of the whole table: batches rarely name the same entity, as in life.
	rows, err := db.QueryContext(ctx, `SELECT id, uscc, city_code FROM market_entities WHERE city_code IS NOT NULL AND id % 10 = 0`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var e entityRef
		if err := rows.Scan(&e.id, &e.uscc, &e.city); err != nil {
			return p, err
		}
		p.entities = append(p.entities, e)
	}
	deps, err := db.QueryContext(ctx, `SELECT division_code, id, uscc FROM departments WHERE sector = 'MARKET'`)
	if err != nil {
		return p, err
	}
	defer deps.Close()
	for deps.Next() {
		var code string
		var id int
		if err := deps.Scan(&code, &id, &p.authority); err != nil {
			return p, err
		}
		p.marketDepts[code] = id
	}
	var last time.Time
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(at), NOW()) FROM audit_logs`).Scan(&last); err != nil {
		return p, err
	}
	p.to = last.UTC().Format(time.RFC3339)
	p.from = last.UTC().AddDate(0, 0, -7).Format(time.RFC3339)
	return p, nil
}

// query is one benchmark query: through the API, and (a–c) by hand-written SQL.
type query struct {
	name string
	api  func(ctx context.Context, i int) error
	raw  func(ctx context.Context, db *sql.DB, i int) error
}

func queries(c config, p params) []query {
	post := func(token, q string, vars func(i int) map[string]any) func(ctx context.Context, i int) error {
		return func(ctx context.Context, i int) error { return graphQL(ctx, c.url, token, q, vars(i), nil) }
	}
	return []query{
		{name: "0. viewer only: the fixed cost of HTTP, token check and GraphQL, for reference",
			api: post(c.supervisor, `{ viewer { role department } }`, func(int) map[string]any { return nil })},
		{name: "a. supervisor: first 50 D-tier entities of a city, legal representatives, active list entries",
			api: post(c.supervisor, docs.A, func(int) map[string]any { return map[string]any{"city": p.city} }),
			raw: func(ctx context.Context, db *sql.DB, i int) error { return rawA(ctx, db, p.city) }},
		{name: "b. one entity by USCC: all records, evaluation, restrictions",
			api: post(c.supervisor, docs.B, func(i int) map[string]any { return map[string]any{"u": p.busy[i%len(p.busy)]} }),
			raw: func(ctx context.Context, db *sql.DB, i int) error { return rawB(ctx, db, p.busy[i%len(p.busy)]) }},
		{name: "c. restrictions of a legal representative of several entities",
			api: post(c.supervisor, docs.C, func(i int) map[string]any { return map[string]any{"p": p.reps[i%len(p.reps)]} }),
			raw: func(ctx context.Context, db *sql.DB, i int) error { return rawC(ctx, db, p.reps[i%len(p.reps)]) }},
		{name: "d. totalCount of entities per tier in a city",
			api: post(c.supervisor, docs.D, func(int) map[string]any { return map[string]any{"city": p.city} })},
		{name: "e. auditor: a page of the audit log by department and week",
			api: post(c.auditor, docs.E, func(int) map[string]any { return map[string]any{"from": p.from, "to": p.to} })},
		{name: "g. supervisor's dashboard: entities by city × tier (52 groups)",
			api: post(c.supervisor, docs.G, func(int) map[string]any { return nil })},
		{name: "h. a large dashboard: entities by county × kind × status (~900 groups)",
			api: post(c.supervisor, docs.H, func(int) map[string]any { return nil })},
		{name: "i. h's dashboard as a table (entityCountTable): the same groups as parallel lists",
			api: post(c.supervisor, docs.I, func(int) map[string]any { return nil })},
	}
}

// graphQL posts a query and fails on a transport or GraphQL error.
func graphQL(ctx context.Context, url, token, q string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return postBody(ctx, url, token, body, out)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}

func postBody(ctx context.Context, url, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, raw)
	}
	if len(r.Errors) > 0 || res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.300s", res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// drain reads every row of a query, as a client would.
func drain(ctx context.Context, db *sql.DB, q string, args ...any) ([][]any, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// rawA: the page with its legal representatives in one join, the count, the page's list
// entries (with their removal date: a client tells the active ones).
func rawA(ctx context.Context, db *sql.DB, city string) error {
	page, err := drain(ctx, db, `SELECT e.id, e.uscc, e.name, e.credit_score, p.name FROM market_entities e
		LEFT JOIN natural_persons p ON p.id = e.legal_representative_id
		WHERE e.city_code = ? AND e.risk_tier = 'D' ORDER BY e.credit_score, e.id LIMIT 50`, city)
	if err != nil {
		return err
	}
	if _, err := drain(ctx, db, `SELECT COUNT(*) FROM market_entities WHERE city_code = ? AND risk_tier = 'D'`, city); err != nil {
		return err
	}
	if len(page) == 0 {
		return nil
	}
	ids := make([]any, len(page))
	for i, r := range page {
		ids[i] = r[0]
	}
	_, err = drain(ctx, db, `SELECT entity_id, list_type, listed_on, planned_end_on, removed_on FROM list_entries
		WHERE entity_id IN (`+placeholders(len(ids))+`) ORDER BY entity_id, id`, ids...)
	return err
}

// rawB: the entity, each record table, the measures catalogue and the active listings.
func rawB(ctx context.Context, db *sql.DB, uscc string) error {
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM market_entities WHERE uscc = ?`, uscc).Scan(&id); err != nil {
		return err
	}
	for _, q := range []string{
		`SELECT uscc, name, risk_tier, credit_score, evaluation FROM market_entities WHERE id = ?`,
		`SELECT decision_no, decision_date, severity, publicity_min_end, publicity_deadline FROM administrative_penalties WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT license_no, valid_to FROM administrative_licenses WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT list_type, listed_on FROM list_entries WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT scheme, grade FROM sector_ratings WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT result FROM spot_checks WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT kind FROM credit_commitments WHERE entity_id = ? ORDER BY id LIMIT 100`,
		`SELECT l.list_type, d.sector FROM list_entries l JOIN departments d ON d.id = l.department_id
			WHERE l.entity_id = ? AND l.removed_on IS NULL AND (l.planned_end_on IS NULL OR l.planned_end_on >= CURDATE())`,
	} {
		if _, err := drain(ctx, db, q, id); err != nil {
			return err
		}
	}
	_, err := drain(ctx, db, `SELECT code, list_types, purposes FROM joint_punishment_measures`)
	return err
}

// rawC: the person's current roles, the active listings of those entities and of the person,
// the measures catalogue.
func rawC(ctx context.Context, db *sql.DB, person string) error {
	roles, err := drain(ctx, db, `SELECT r.entity_id, e.uscc FROM entity_roles r JOIN market_entities e ON e.id = r.entity_id
		WHERE r.person_id = ? AND (r.ended_on IS NULL OR r.ended_on >= CURDATE())`, person)
	if err != nil {
		return err
	}
	ids := []any{}
	for _, r := range roles {
		ids = append(ids, r[0])
	}
	if len(ids) > 0 {
		if _, err := drain(ctx, db, `SELECT l.entity_id, l.list_type, d.sector FROM list_entries l JOIN departments d ON d.id = l.department_id
			WHERE l.entity_id IN (`+placeholders(len(ids))+`) AND l.removed_on IS NULL`, ids...); err != nil {
			return err
		}
	}
	if _, err := drain(ctx, db, `SELECT list_type FROM list_entries WHERE person_id = ? AND removed_on IS NULL`, person); err != nil {
		return err
	}
	_, err = drain(ctx, db, `SELECT code, list_types, purposes FROM joint_punishment_measures`)
	return err
}

// ingestBody is a request recording 1,000 penalties on random entities of the sample.
func ingestBody(p params, batch int64) []byte {
	r := rand.New(rand.NewPCG(uint64(batch), 1))
	today := time.Now().UTC()
	rows := make([]map[string]any, 1000)
	for i := range rows {
		e := p.entities[r.IntN(len(p.entities))]
		dep := p.marketDepts[e.city]
		rows[i] = map[string]any{
			"departmentID": dep, "entityID": e.id, "sourceSystem": "loadbench", "sourceRecordID": fmt.Sprintf("LB-%d-%d", batch, i),
			"severity": []string{"MINOR", "GENERAL", "GENERAL", "SERIOUS"}[r.IntN(4)], "counterpartyName": "某公司",
			"counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": e.uscc,
			"decisionNo": fmt.Sprintf("苏市监罚〔%d〕LB%d-%d号", today.Year(), batch, i), "violationType": "虚假广告",
			"violationFacts": "当事人在网店发布虚假宣传内容", "legalBasis": "《中华人民共和国广告法》第五十五条",
			"penaltyCategories": []string{"WARNING", "FINE"}, "fineAmount": "1.5", "penaltyContent": "警告，罚款人民币1.5万元",
			"decisionDate":  today.AddDate(0, 0, -(10 + r.IntN(300))).Format(time.DateOnly),
			"authorityName": "市场监督管理局", "authorityUscc": p.authority, "dataSourceUnit": "市场监督管理局", "dataSourceUnitUscc": p.authority,
		}
	}
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`,
		"variables": map[string]any{"in": rows},
	})
	return body
}

// ingest sends one batch and checks that every row was recorded.
func ingest(ctx context.Context, c config, body []byte) error {
	var out struct {
		CreateAdministrativePenalties []struct{ ID string }
	}
	err := postBody(ctx, c.url, c.clerk, body, &out)
	if err == nil && len(out.CreateAdministrativePenalties) != 1000 {
		err = fmt.Errorf("%d penalties recorded of 1000", len(out.CreateAdministrativePenalties))
	}
	return err
}

// stats are the latencies of one run.
type stats struct {
	n             int
	p50, p95, p99 time.Duration
	throughput    float64 // per second
}

func (s stats) String() string {
	return fmt.Sprintf("%d requests, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %.0f/s", s.n, ms(s.p50), ms(s.p95), ms(s.p99), s.throughput)
}

// measure runs fn from k workers for d (after a short warm-up) and returns its latencies.
func measure(ctx context.Context, k int, d time.Duration, fn func(i int) error) (stats, error) {
	for i := range 5 * k { // warm-up: connections, caches
		if err := fn(i); err != nil {
			return stats{}, err
		}
	}
	deadline := time.Now().Add(d)
	return collect(k, func(w, i int) (bool, error) {
		if time.Now().After(deadline) {
			return false, nil
		}
		return true, fn(w*1_000_003 + i)
	})
}

// measureN runs fn(0) … fn(n-1) from k workers.
func measureN(ctx context.Context, k, n int, fn func(i int) error) (stats, error) {
	var mu sync.Mutex
	next := 0
	return collect(k, func(int, int) (bool, error) {
		mu.Lock()
		if next >= n {
			mu.Unlock()
			return false, nil
		}
		i := next
		next++
		mu.Unlock()
		return true, fn(i)
	})
}

func collect(k int, step func(worker, i int) (bool, error)) (stats, error) {
	var (
		mu    sync.Mutex
		lats  []time.Duration
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for w := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				t := time.Now()
				more, err := step(w, i)
				if !more {
					return
				}
				el := time.Since(t)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				lats = append(lats, el)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return stats{}, first
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(float64(len(lats))*p))]
	}
	return stats{n: len(lats), p50: pct(0.50), p95: pct(0.95), p99: pct(0.99), throughput: float64(len(lats)) / elapsed.Seconds()}, nil
}

// watchMemory samples the server's resident memory; the returned function reports the peak
// (VmHWM) and the current value in bytes.
func watchMemory(pid int) func() (peak, now int64) {
	read := func(field string) int64 {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, field+":") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					return kb << 10
				}
			}
		}
		return 0
	}
	return func() (int64, int64) {
		if pid <= 0 {
			return 0, 0
		}
		return read("VmHWM"), read("VmRSS")
	}
}

var tokenHash = regexp.MustCompile("secret_hash` = '[0-9a-f]+'")

// explainAll runs each query once with MariaDB's general log on, and writes the EXPLAIN of
// every query the server sent (SELECTs, and the WITH … ROW_NUMBER() queries entgql pages nested
// connections with).
func explainAll(ctx context.Context, c config, db *sql.DB, qs []query) error {
	f, err := os.Create(c.explain)
	if err != nil {
		return err
	}
	defer f.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&schema); err != nil {
		return err
	}
	for _, s := range []string{"SET GLOBAL general_log = 0", "SET GLOBAL log_output = 'TABLE'", "TRUNCATE TABLE mysql.general_log"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w (run against a server where this client may set globals, e.g. scripts/scale-db.sh)", s, err)
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET GLOBAL general_log = 0")
	var entities int
	_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_entities").Scan(&entities)
	fmt.Fprintf(f, "# EXPLAIN of the benchmark queries\n\nWritten by `bash scripts/scale.sh bench` (cmd/loadbench -explain) on %s, with %d entities: "+
		"every statement the server sent for one request of each query, from MariaDB's general log, and its plan. "+
		"See BENCHMARKS.md for the figures and the indexes.\n\n", time.Now().UTC().Format(time.DateOnly), entities)
	for _, q := range qs {
		if _, err := conn.ExecContext(ctx, "SET GLOBAL general_log = 1"); err != nil {
			return err
		}
		err := q.api(ctx, 7)
		if _, err := conn.ExecContext(ctx, "SET GLOBAL general_log = 0"); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		stmts, err := drain(ctx, db, `SELECT argument FROM mysql.general_log WHERE command_type IN ('Query', 'Execute')
			AND (argument LIKE 'SELECT%' OR argument LIKE 'WITH%') AND argument NOT LIKE '%general_log%' ORDER BY event_time`)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "TRUNCATE TABLE mysql.general_log"); err != nil {
			return err
		}
		fmt.Fprintf(f, "### %s\n\n%d statements.\n\n", q.name, len(stmts))
		for _, s := range stmts {
			stmt := string(s[0].([]byte))
			// The token's hash is not for a document, even a bench token's.
			shown := tokenHash.ReplaceAllString(stmt, "secret_hash` = '…'")
			fmt.Fprintf(f, "```sql\n%s\n```\n\n| id | select_type | table | type | possible_keys | key | key_len | ref | rows | Extra |\n|---|---|---|---|---|---|---|---|---|---|\n", shown)
			plan, err := drain(ctx, db, "EXPLAIN "+stmt)
			if err != nil {
				fmt.Fprintf(f, "EXPLAIN failed: %v\n\n", err)
				continue
			}
			for _, row := range plan {
				cells := make([]string, len(row))
				for i, v := range row {
					switch x := v.(type) {
					case nil:
						cells[i] = ""
					case []byte:
						cells[i] = string(x)
					default:
						cells[i] = fmt.Sprint(x)
					}
				}
				fmt.Fprintf(f, "| %s |\n", strings.Join(cells, " | "))
			}
			fmt.Fprintln(f)
		}
	}
	return nil
}

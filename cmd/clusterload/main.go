// Command clusterload drives the cluster story of scripts/cluster.sh: clerks writing penalties
// and supervisors reading through several creditgraph instances at once, every request logged;
// then a report of the log by phase (before, during and after a node was lost), and a check
// that every acknowledged write is on every database node, once.
//
//	clusterload run    --urls u1,u2,u3 --clerk T --supervisor T [--writers 3] [--readers 6] [--duration 60s] --log load.csv
//	clusterload report --log load.csv [--mark killed=UNIXMS --mark rejoined=UNIXMS]
//	clusterload verify --log load.csv --dsn mysql://…node1 --dsn mysql://…node2 …
//
// The log has one line per request: start (Unix ms), instance, read or write, outcome (OK, an
// error code, or HTTP_<status>), latency (ms), and for an acknowledged write its source keys.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clusterload run|report|verify [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	case "verify":
		err = verify(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterload:", err)
		os.Exit(1)
	}
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// source is the source system of every penalty clusterload writes.
const source = "clusterload"

const (
	readQ = `query($tier: RiskTier!) { marketEntities(first: 20, where: {riskTier: $tier}, orderBy: [{field: CREDIT_SCORE}]) {
		totalCount edges { node { uscc name riskTier creditScore } } } }`
	writeQ = `mutation($in: [CreateAdministrativePenaltyInput!]!) { createAdministrativePenalties(input: $in) { id } }`
)

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	urls := fs.String("urls", "http://127.0.0.1:18081,http://127.0.0.1:18082,http://127.0.0.1:18083", "instances, comma-separated")
	clerk := fs.String("clerk", "", "token of a market clerk")
	supervisor := fs.String("supervisor", "", "token of a market supervisor")
	writers := fs.Int("writers", 3, "clerks writing at once (spread over the instances)")
	readers := fs.Int("readers", 6, "supervisors reading at once (spread over the instances)")
	batch := fs.Int("batch", 10, "penalties per write")
	duration := fs.Duration("duration", time.Minute, "how long to run")
	logPath := fs.String("log", "clusterload.csv", "request log to write")
	_ = fs.Parse(args)
	targets := strings.Split(*urls, ",")
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}

	// What to write about: entities and the clerk's department, read once through the first
	// instance that answers.
	var setup struct {
		Entities struct {
			Edges []struct{ Node struct{ ID, Uscc string } }
		} `json:"marketEntities"`
		Departments struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	var err error
	for _, u := range targets {
		if _, err = post(ctx, client, u, *clerk, `{ marketEntities(first: 200) { edges { node { id uscc } } }
			departments(first: 1, where: {code: "market-320500"}) { edges { node { id } } } }`, nil, &setup); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("reading entities: %w", err)
	}
	if len(setup.Entities.Edges) == 0 || len(setup.Departments.Edges) == 0 {
		return fmt.Errorf("no entities or no market-320500 department to write about")
	}
	dep := setup.Departments.Edges[0].Node.ID

	f, err := os.Create(*logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	var mu sync.Mutex
	w := bufio.NewWriter(f)
	defer w.Flush()
	logLine := func(start time.Time, inst int, kind, outcome string, keys []string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%d,%d,%s,%s,%.2f,%s\n", start.UnixMilli(), inst+1, kind, outcome,
			float64(time.Since(start).Microseconds())/1000, strings.Join(keys, " "))
	}
	var wg sync.WaitGroup
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range *writers {
		wg.Go(func() {
			inst := i % len(targets)
			for n := 0; ctx.Err() == nil; n++ {
				rows := make([]map[string]any, *batch)
				keys := make([]string, *batch)
				for k := range rows {
					e := setup.Entities.Edges[(n**batch+k+i*7)%len(setup.Entities.Edges)].Node
					keys[k] = fmt.Sprintf("%s-%d-%d-%d", runID, i, n, k)
					rows[k] = penalty(dep, e.ID, e.Uscc, keys[k])
				}
				start := time.Now()
				outcome, err := post(ctx, client, targets[inst], *clerk, writeQ, map[string]any{"in": rows}, nil)
				if ctx.Err() != nil && err != nil {
					return // the run ended mid-request: neither acknowledged nor failed
				}
				if outcome != "OK" {
					keys = nil
				}
				logLine(start, inst, "write", outcome, keys)
			}
		})
	}
	tiers := []string{"A", "B", "C", "D"}
	for i := range *readers {
		wg.Go(func() {
			inst := i % len(targets)
			for n := 0; ctx.Err() == nil; n++ {
				start := time.Now()
				outcome, err := post(ctx, client, targets[inst], *supervisor, readQ, map[string]any{"tier": tiers[n%4]}, nil)
				if ctx.Err() != nil && err != nil {
					return
				}
				logLine(start, inst, "read", outcome, nil)
			}
		})
	}
	wg.Wait()
	return nil
}

// authority is the USCC of the deciding authority: a government body (11), Jiangsu (320000).
var authority = func() string {
	const body = "01400000"
	oc, _ := ident.OrgCodeCheckChar(body)
	first17 := "11320000" + body + string(oc)
	cc, _ := ident.USCCCheckChar(first17)
	return first17 + string(cc)
}()

// penalty is one valid market-supervision penalty about an entity.
func penalty(dep, entity, uscc, key string) map[string]any {
	return map[string]any{
		"departmentID": dep, "entityID": entity, "sourceSystem": source, "sourceRecordID": key,
		"severity": "GENERAL", "counterpartyName": "集群测试企业", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": uscc,
		"decisionNo": "苏市监罚〔2026〕" + key + "号", "violationType": "虚假广告", "violationFacts": "在网店发布虚假宣传内容",
		"legalBasis": "《中华人民共和国广告法》第五十五条", "penaltyCategories": []string{"WARNING"},
		"penaltyContent": "警告", "decisionDate": time.Now().AddDate(0, 0, -30).Format(time.DateOnly),
		"authorityName": "苏州市市场监督管理局", "authorityUscc": authority, "dataSourceUnit": "苏州市市场监督管理局", "dataSourceUnitUscc": authority,
	}
}

// post sends one GraphQL request and returns its outcome: OK, the first error's code, or
// HTTP_<status> / NETWORK when there was no GraphQL answer.
func post(ctx context.Context, c *http.Client, url, token, query string, vars map[string]any, out any) (string, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/query", bytes.NewReader(body))
	if err != nil {
		return "NETWORK", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return "NETWORK", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Sprintf("HTTP_%d", res.StatusCode), fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		code := r.Errors[0].Extensions.Code
		if code == "" {
			code = "NO_CODE"
		}
		return code, fmt.Errorf("%s: %s", code, r.Errors[0].Message)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return "BAD_JSON", err
		}
	}
	return "OK", nil
}

type entry struct {
	at       int64
	inst     int
	kind     string
	outcome  string
	latency  float64
	keys     []string
	rejected bool
}

// readCommand parses the flags of a subcommand that reads the request log (-log, and one
// repeatable flag of its own) and reads the log, which must not be empty.
func readCommand(name string, args []string, listFlag, listUsage string) ([]entry, list, error) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	logPath := fs.String("log", "clusterload.csv", "request log")
	var values list
	fs.Var(&values, listFlag, listUsage)
	_ = fs.Parse(args)
	log, err := readLog(*logPath)
	if err == nil && len(log) == 0 {
		err = fmt.Errorf("%s is empty", *logPath)
	}
	return log, values, err
}

func readLog(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), ",", 6)
		if len(p) != 6 {
			continue
		}
		at, _ := strconv.ParseInt(p[0], 10, 64)
		inst, _ := strconv.Atoi(p[1])
		lat, _ := strconv.ParseFloat(p[4], 64)
		e := entry{at: at, inst: inst, kind: p[2], outcome: p[3], latency: lat}
		if p[5] != "" {
			e.keys = strings.Fields(p[5])
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

func report(args []string) error {
	log, marks, err := readCommand("report", args, "mark", "name=UNIXMS: a moment that starts a phase (repeatable, in time order)")
	if err != nil {
		return err
	}
	type phase struct {
		name     string
		from, to int64
	}
	first, last := log[0].at, log[0].at
	for _, e := range log {
		first, last = min(first, e.at), max(last, e.at)
	}
	phases := []phase{{name: "before", from: first}}
	for _, m := range marks {
		name, ms, ok := strings.Cut(m, "=")
		t, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("--mark %q: want name=UNIXMS", m)
		}
		phases[len(phases)-1].to = t
		phases = append(phases, phase{name: name, from: t})
	}
	phases[len(phases)-1].to = last + 1
	fmt.Println("| phase | seconds | kind | instance | requests | per second | OK | errors by code | p50 ms | p95 ms | p99 ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range phases {
		secs := float64(p.to-p.from) / 1000
		for _, kind := range []string{"write", "read"} {
			byInst := map[int][]entry{}
			for _, e := range log {
				if e.kind == kind && e.at >= p.from && e.at < p.to {
					byInst[e.inst] = append(byInst[e.inst], e)
				}
			}
			insts := make([]int, 0, len(byInst))
			for i := range byInst {
				insts = append(insts, i)
			}
			sort.Ints(insts)
			for _, i := range insts {
				es := byInst[i]
				var ok int
				codes := map[string]int{}
				var lats []float64
				for _, e := range es {
					if e.outcome == "OK" {
						ok++
						lats = append(lats, e.latency)
					} else {
						codes[e.outcome]++
					}
				}
				slices.Sort(lats)
				var cs []string
				for c, n := range codes {
					cs = append(cs, fmt.Sprintf("%s %d", c, n))
				}
				sort.Strings(cs)
				fmt.Printf("| %s | %.0f | %s | %d | %d | %.0f | %d | %s | %s | %s | %s |\n", p.name, secs, kind, i, len(es), float64(len(es))/secs, ok,
					strings.Join(cs, ", "), pct(lats, 0.50), pct(lats, 0.95), pct(lats, 0.99))
			}
		}
	}
	return nil
}

func pct(sorted []float64, q float64) string {
	if len(sorted) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", sorted[min(len(sorted)-1, int(q*float64(len(sorted))))])
}

// verify checks that every penalty the log says was acknowledged is stored on every node,
// and that no node holds a source key twice (rows of other runs are not counted).
func verify(args []string) error {
	log, dsns, err := readCommand("verify", args, "dsn", "mysql://… of a node's database (repeatable)")
	if err != nil {
		return err
	}
	acked := map[string]bool{}
	runs := map[string]bool{} // the runs in this log: their keys start with the run's id
	for _, e := range log {
		for _, k := range e.keys {
			acked[k] = true
			run, _, _ := strings.Cut(k, "-")
			runs[run] = true
		}
	}
	ctx := context.Background()
	failed := false
	for _, d := range dsns {
		t, err := storage.ParseTarget(d)
		if err != nil {
			return err
		}
		db, err := sql.Open(t.Driver, t.DSN)
		if err != nil {
			return err
		}
		stored := map[string]int{}
		rows, err := db.QueryContext(ctx, "SELECT source_record_id FROM administrative_penalties WHERE source_system = ?", source)
		if err != nil {
			db.Close()
			return fmt.Errorf("%s: %w", t.Where, err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			if run, _, _ := strings.Cut(k, "-"); runs[run] {
				stored[k]++
			}
		}
		rows.Close()
		db.Close()
		missing, dup := 0, 0
		for k := range acked {
			if stored[k] == 0 {
				missing++
			}
		}
		for _, n := range stored {
			if n > 1 {
				dup++
			}
		}
		fmt.Printf("%s: %d acknowledged penalties, %d stored (%d committed but not acknowledged: the answer was lost), %d missing, %d duplicated\n",
			t.Where, len(acked), len(stored), max(0, len(stored)-(len(acked)-missing)), missing, dup)
		if missing > 0 || dup > 0 {
			failed = true
		}
	}
	if failed {
		return fmt.Errorf("acknowledged writes are missing or duplicated")
	}
	return nil
}

// Command creditgraph is the one binary of the service. With no arguments it serves the GraphQL
// API and the playground on the embedded SQLite file ./creditgraph.db, creating the schema and
// loading demo data on first start. Subcommands:
//
//	creditgraph [serve] [--addr 127.0.0.1:8080] [--db PATH|mysql://…] [--migrate] [--demo]
//	creditgraph migrate [--db …]
//	creditgraph seed    [--db …] [--entities N] [--seed S]
//	creditgraph token issue --name N --department D --role R [--scope a,b|all] [--subject USCC | --person-id ID] [--expires 720h]
//	creditgraph token list | token revoke --name N
//	creditgraph policy check FILE
//	creditgraph recompute [--db …] [--due]
//
// Personal data is sealed with the key in CREDITGRAPH_DATA_KEY (32 bytes, base64); on the
// embedded SQLite default a key file creditgraph.key beside the database is created instead.
//
// Every flag can also be set by the environment variable its usage names (CREDITGRAPH_ADDR,
// CREDITGRAPH_DB, …); a value that does not parse is an error.
// main only wires: configuration in, packages together, errors out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"entgo.io/ent/dialect"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/calendar"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/report"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/server"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/vocab"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	// Collect garbage less often than Go's default (GOGC=100) while a soft memory limit keeps the
	// heap well under the 512 MB a server gets (BENCHMARKS.md): batch writes allocate a lot of
	// short-lived memory, and the default spent a fifth of their CPU in the collector. GOGC and
	// GOMEMLIMIT in the environment take precedence.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(384 << 20)
	}
	if err := run(context.Background(), os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "creditgraph:", err)
		os.Exit(1)
	}
}

// config is every setting, from flags or their environment variables.
type config struct {
	addr                string
	db                  string
	migrate             bool
	demo                string // "auto", "true" or "false"
	playground          bool
	entities            int
	seed                uint64
	publicIntrospection bool
	corsOrigins         string
	trustedProxies      string
	proxies             []net.IPNet // trustedProxies, parsed
	rateLimit           float64
	openPerCaller       int
	instances           int
	bodyLimit           int64
	debugAddr           string
	goroutineStack      int
	batch               int
	// token subcommands
	name, department, role, scope, unit string
	subject                             string
	personID                            int
	expires                             time.Duration
	due                                 bool
	sharedEvents                        bool
	evaluationForm                      string
	// import
	kind, mode, report, severity string
	fromRow                      int
	// calendar load
	dryRun bool
}

// envName finds the environment variable a flag's usage names, e.g. "(CREDITGRAPH_DB)".
var envName = regexp.MustCompile(`\((CREDITGRAPH_[A-Z_]+)\)`)

// fromEnv sets each flag not given on the command line from the environment variable its usage
// names, through the flag's own parser: a value that does not parse is an error naming the
// variable, never a silent fall-back to the default.
func fromEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		m := envName.FindStringSubmatch(f.Usage)
		if err != nil || m == nil || given[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(m[1]); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q is not a valid --%s: %v", m[1], v, f.Name, serr)
			}
		}
	})
	return err
}

func parse(cmd string, args []string) (config, error) {
	var c config
	fs := declareFlags(cmd, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := fromEnv(fs); err != nil {
		return c, err
	}
	return c, check(cmd, fs, &c)
}

// declareFlags declares cmd's flags into c.
func declareFlags(cmd string, c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("creditgraph "+cmd, flag.ContinueOnError)
	fs.StringVar(&c.db, "db", storage.DefaultPath, "SQLite file path, or mysql://user:pass@host:port/dbname (CREDITGRAPH_DB)")
	fs.BoolVar(&c.sharedEvents, "shared-events", false,
		"several instances share one database: credit events go through its outbox table, so every instance's subscribers hear every write (CREDITGRAPH_SHARED_EVENTS)")
	fs.StringVar(&c.evaluationForm, "evaluation-form", string(vocab.ArrayForm),
		"how evaluations are stored: array, or object while servers of a build before 2026-12-04 still run or before returning to one (CREDITGRAPH_EVALUATION_FORM)")
	switch cmd {
	case "serve":
		fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address (CREDITGRAPH_ADDR)")
		fs.StringVar(&c.debugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off when empty (CREDITGRAPH_DEBUG_ADDR)")
		fs.IntVar(&c.goroutineStack, "goroutine-stack", 32,
			"KiB of stack new goroutines start with, held up by 64 parked goroutines (the runtime's own choice grows gqlgen's goroutines by copying); 0 leaves it to the runtime (CREDITGRAPH_GOROUTINE_STACK)")
		fs.BoolVar(&c.migrate, "migrate", false, "apply the schema and load the reference data on MySQL before serving (CREDITGRAPH_MIGRATE); SQLite always migrates")
		fs.StringVar(&c.demo, "demo", "auto", "load demo data when the database has none: auto (SQLite only), true or false (CREDITGRAPH_DEMO)")
		fs.BoolVar(&c.playground, "playground", true, "serve the GraphiQL playground at / (CREDITGRAPH_PLAYGROUND)")
		fs.StringVar(&c.corsOrigins, "cors-origins", "", "comma-separated origins of department frontends allowed from browsers (CREDITGRAPH_CORS_ORIGINS)")
		fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of the load balancers in front: the public's address is then read from the X-Forwarded-For they append to, for its rate limit (CREDITGRAPH_TRUSTED_PROXIES)")
		fs.IntVar(&c.instances, "instances", 1, "instances behind one load balancer: each enforces its share of --rate-limit (CREDITGRAPH_INSTANCES)")
		fs.Float64Var(&c.rateLimit, "rate-limit", server.DefaultEdge.RatePerToken, "requests per second per token (per address for the public); 0 turns it off (CREDITGRAPH_RATE_LIMIT)")
		fs.IntVar(&c.openPerCaller, "open-per-caller", server.DefaultEdge.OpenPerCaller, "WebSocket connections, and subscriptions across them, each token (each address for the public) may hold open on this instance (CREDITGRAPH_OPEN_PER_CALLER)")
		fs.Int64Var(&c.bodyLimit, "body-limit", server.DefaultEdge.BodyLimit, "largest request body in bytes")
		fs.BoolVar(&c.publicIntrospection, "public-introspection", false, "let callers without a token introspect the schema; for development (CREDITGRAPH_PUBLIC_INTROSPECTION)")
	case "token issue":
		fs.StringVar(&c.name, "name", "", "unique token name, e.g. market-suzhou-clerk-1")
		fs.StringVar(&c.department, "department", "", "department code: environment, labour, transport, market, credit_office")
		fs.StringVar(&c.role, "role", "", "role: credit_office, supervisor, clerk, auditor, subject (an entity acting for itself), person (a natural person)")
		fs.StringVar(&c.subject, "subject", "", "subject tokens: the USCC of the entity the token acts for")
		fs.IntVar(&c.personID, "person-id", 0, "person tokens: the registry ID of the person the token acts for")
		fs.StringVar(&c.scope, "scope", "", "auditors: comma-separated departments, or all (default: --department)")
		fs.StringVar(&c.unit, "unit", "", "clerks and supervisors: their own department within the sector (a department code, e.g. market-320500); default the whole sector")
		fs.DurationVar(&c.expires, "expires", 0, "lifetime, e.g. 720h; leave it out for a token that does not expire")
	case "token revoke":
		fs.StringVar(&c.name, "name", "", "name of the token to revoke")
	case "import":
		fs.StringVar(&c.department, "department", "", "code of the department whose file it is, e.g. market-320500")
		fs.StringVar(&c.kind, "kind", "penalties", "what the file holds: penalties or licences (the national 双公示 layouts), list_entries or ratings")
		fs.StringVar(&c.mode, "mode", string(exchange.GoodRows), "GOOD_ROWS imports the good rows and reports the rest; ALL_OR_NOTHING imports nothing when a row is bad")
		fs.StringVar(&c.report, "report", "", "write the per-row report as an XLSX file here")
		fs.StringVar(&c.severity, "severity", "", "severity of rows without a 严重程度 column: MINOR, GENERAL or SERIOUS; empty refuses them")
		fs.IntVar(&c.fromRow, "from-row", 0, "resume at this row of the file (the header is row 1); rows stored before are skipped anyway")
		fs.IntVar(&c.batch, "batch", 500, "rows per transaction")
	case "calendar load":
		fs.BoolVar(&c.dryRun, "dry-run", false, "show what the file would change, the deadlines counted again among it, and store nothing")
	case "recompute":
		fs.BoolVar(&c.due, "due", false, "only entities whose evaluation lapsed (the daily job); default all (after a rule-set change)")
	case "seed":
		fs.IntVar(&c.entities, "entities", seed.DefaultOptions().Entities, "number of market entities to generate")
		fs.Uint64Var(&c.seed, "seed", seed.DefaultOptions().Seed, "random seed; the same seed gives the same data")
		fs.IntVar(&c.batch, "batch", 2000, "entities per transaction")
	}
	return fs
}

// maxGoroutineStack bounds --goroutine-stack: the parked goroutines hold 64 times it.
const maxGoroutineStack = 256

// check refuses flag combinations and arguments cmd does not take.
func check(cmd string, fs *flag.FlagSet, c *config) error {
	if cmd == "serve" && !slices.Contains([]string{"auto", "true", "false"}, c.demo) {
		return fmt.Errorf("--demo (CREDITGRAPH_DEMO) must be auto, true or false, got %q", c.demo)
	}
	if cmd == "serve" && c.openPerCaller < 1 {
		return fmt.Errorf("--open-per-caller (CREDITGRAPH_OPEN_PER_CALLER) must be at least 1, got %d", c.openPerCaller)
	}
	if cmd == "serve" && (c.goroutineStack < 0 || c.goroutineStack > maxGoroutineStack) {
		return fmt.Errorf("--goroutine-stack (CREDITGRAPH_GOROUTINE_STACK) must be 0 to %d KiB, got %d", maxGoroutineStack, c.goroutineStack)
	}
	if cmd == "serve" {
		var err error
		if c.proxies, err = server.ParseTrustedProxies(splitList(c.trustedProxies)); err != nil {
			return fmt.Errorf("--trusted-proxies (CREDITGRAPH_TRUSTED_PROXIES): %w", err)
		}
	}
	if f := vocab.StoredForm(c.evaluationForm); f != vocab.ArrayForm && f != vocab.ObjectForm {
		return fmt.Errorf("--evaluation-form (CREDITGRAPH_EVALUATION_FORM) must be %s or %s, got %q", vocab.ArrayForm, vocab.ObjectForm, c.evaluationForm)
	}
	if cmd == "token issue" && c.expires <= 0 && flagSet(fs, "expires") {
		return fmt.Errorf("--expires must be a positive duration such as 720h, got %s; leave it out for a token that does not expire", c.expires)
	}
	if cmd == "policy check" || cmd == "import" || cmd == "calendar load" {
		if fs.NArg() != 1 {
			return fmt.Errorf("%s takes one file", cmd)
		}
		c.name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func run(ctx context.Context, args []string, logger *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
		if (cmd == "token" || cmd == "policy" || cmd == "calendar") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			cmd, args = cmd+" "+args[0], args[1:]
		}
	}
	switch cmd {
	case "help", "-h", "--help", "-help":
		usage(os.Stdout)
		return nil
	case "version":
		fmt.Println(version())
		return nil
	case "serve", "migrate", "seed", "recompute", "import", "token issue", "token list", "token revoke", "policy check", "calendar load":
	case "token", "policy", "calendar":
		return fmt.Errorf("%s needs a subcommand (creditgraph help lists them)", cmd)
	default:
		return fmt.Errorf("unknown command %q (creditgraph help lists them)", cmd)
	}
	cfg, err := parse(cmd, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cmd == "policy check" {
		return checkPolicy(cfg.name)
	}
	// Every command that writes evaluations writes them in this form; one setting for the process.
	if err := vocab.WriteStored(vocab.StoredForm(cfg.evaluationForm)); err != nil {
		return err
	}
	target, err := storage.ParseTarget(cfg.db)
	if err != nil {
		return err
	}
	// Only serve and migrate create the embedded database; the other commands work on one
	// that exists (a mistyped --db would otherwise create an empty one and report nothing).
	if target.Dialect == dialect.SQLite && cmd != "serve" && cmd != "migrate" && cmd != "seed" {
		if _, err := os.Stat(target.Path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no database at %s: start the server once (creditgraph serve) or run creditgraph migrate --db %s", target.Path, target.Path)
		}
	}
	keyFile := "" // the key file this run makes, for a SQLite database without the variable
	if os.Getenv("CREDITGRAPH_DATA_KEY") == "" && target.Dialect == dialect.SQLite {
		if _, err := os.Stat(keyFilePath(target)); errors.Is(err, os.ErrNotExist) {
			keyFile = keyFilePath(target)
		}
	}
	cipher, err := dataCipher(target, logger)
	if err != nil {
		return err
	}
	clock := vocab.SystemClock
	db, err := storage.Open(ctx, target, storage.Options{Cipher: cipher, Clock: clock, Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.sharedEvents {
		host, _ := os.Hostname()
		db.Events.Share(db.Client, fmt.Sprintf("%s:%d", host, os.Getpid()), func(err error) { logger.Warn("shared events", "err", err) })
	}
	if cmd == "migrate" || cmd == "seed" || target.Dialect == dialect.SQLite || cfg.migrate {
		if err := migrate(ctx, db, cmd != "seed"); err != nil {
			return err
		}
	}
	if ok, err := db.HasSchema(ctx); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("the database at %s has no creditgraph schema: run `creditgraph migrate --db …` once (it applies the schema and loads the reference data), or serve with --migrate", target.Where)
		}
		return err
	}
	// Another personal-data key would record every known person again under a new lookup hash.
	if err := db.Ledger.CheckKey(ctx, db.Client); err != nil {
		if !errors.Is(err, ledger.ErrWrongKey) {
			return err
		}
		if keyFile != "" {
			_ = os.Remove(keyFile) // made by this run, so never the database's own
			return fmt.Errorf("%w: the key file %s was missing, and the one just made for it is removed again; put back the key file that came with the database, or set CREDITGRAPH_DATA_KEY to its key", err, keyFile)
		}
		return fmt.Errorf("%w: start with the key the database was loaded with (CREDITGRAPH_DATA_KEY, or the SQLite default's key file beside the database); with another one every known person would be recorded again, unreadable and unfound by ID number", err)
	}
	// A database without them would answer wrongly, not fail: every penalty unpublished, no
	// deadline counted, tokens for departments that do not exist.
	if cmd != "migrate" && cmd != "seed" {
		missing, err := seed.ReferenceMissing(authz.SystemContext(ctx), db.Client)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("the database at %s has no %s: run `creditgraph migrate --db …` once (it applies the schema and loads the reference data), or serve with --migrate",
				target.Where, strings.Join(missing, ", "))
		}
	}
	authorizer, err := authz.New(ctx, authz.EntStore{Client: db.Client}, logger,
		authz.Config{Clock: clock, Publicity: publicity.Predicate})
	if err != nil {
		return fmt.Errorf("loading the policy: %w", err)
	}
	tokens := authz.TokenService{Client: db.Client, Authorizer: authorizer}
	switch cmd {
	case "migrate":
		logger.Info("schema and reference data applied", "dialect", target.Dialect)
		return nil
	case "seed":
		// Province-scale loads go around the ORM (seed.Bulk computes what the hooks derive);
		// the data are the same for the same seed, and a re-run resumes or extends a load.
		_, err := seed.Bulk(ctx, db, seed.BulkOptions{Entities: cfg.entities, Seed: cfg.seed, Batch: cfg.batch,
			Cipher: cipher, Progress: os.Stderr})
		return err
	case "import":
		return importFile(ctx, db, cfg)
	case "calendar load":
		return loadCalendar(ctx, db, cfg)
	case "recompute":
		// The calendar's jobs, as the server runs them: what expired, the notices and roles
		// that ended, the environmental scores, then the evaluations — lapsed ones (--due, the
		// daily job for a deployment that runs it from a scheduler) or all.
		return calendarJobs(ctx, db, logger, cfg.due, os.Stderr)
	case "token issue":
		req := authz.IssueRequest{Name: cfg.name, Department: cfg.department, Role: cfg.role, Expires: cfg.expires, Unit: cfg.unit,
			SubjectUSCC: cfg.subject, PersonID: cfg.personID}
		if cfg.scope != "" {
			req.Scope = strings.Split(cfg.scope, ",")
		}
		secret, err := tokens.Issue(ctx, req)
		if err != nil {
			return err
		}
		fmt.Println(secret)
		fmt.Fprintln(os.Stderr, "Store this token now: only its hash is kept, it cannot be shown again.")
		return nil
	case "token list":
		list, err := tokens.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tDEPARTMENT\tSCOPE\tCREATED\tEXPIRES\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Department, strings.Join(t.Scope, ","),
				t.CreatedAt.Format(time.DateTime), when(t.ExpiresAt), when(t.RevokedAt))
		}
		return w.Flush()
	case "token revoke":
		if err := tokens.Revoke(ctx, cfg.name); err != nil {
			return err
		}
		logger.Info("token revoked", "name", cfg.name)
		return nil
	}
	return serve(ctx, cfg, db, authorizer, tokens, logger)
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}

// checkPolicy validates a policy file offline: every line must parse and name known roles,
// departments, resources and actions, and the model must load it.
func checkPolicy(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rules, err := authz.ParsePolicy(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := authz.NewEnforcer(rules); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Printf("%s: %d rules, valid\n", path, len(rules))
	return nil
}

// loadCalendar replaces the years a calendar file covers and counts every stored deadline again
// on the result, in one transaction; it prints what changed. With --dry-run it stores nothing.
func loadCalendar(ctx context.Context, db *storage.DB, cfg config) error {
	format, err := exchange.FormatOf(cfg.name)
	if err != nil {
		return err
	}
	f, err := os.Open(cfg.name)
	if err != nil {
		return err
	}
	defer f.Close()
	days, err := calendar.Parse(f, format)
	if err != nil {
		return fmt.Errorf("%s: %w\nnothing was stored", cfg.name, err)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	rep, err := calendar.Replace(authz.SystemContext(ctx), tx.Client(), days)
	if err != nil {
		return fmt.Errorf("%s: %w\nnothing was stored", cfg.name, err)
	}
	years := make([]string, len(rep.Years))
	for i, y := range rep.Years {
		years[i] = strconv.Itoa(y)
	}
	fmt.Printf("%s: %d days for %s, replacing %d stored; %d deadlines counted again changed\n",
		cfg.name, rep.Days, strings.Join(years, ", "), rep.Replaced, len(rep.Changes))
	for _, c := range rep.Changes {
		fmt.Printf("  %s %d %s: %s → %s\n", c.Record, c.ID, c.Field, c.Was.Format(time.DateOnly), c.Now.Format(time.DateOnly))
	}
	if cfg.dryRun {
		fmt.Println("dry run: nothing was stored")
		return nil
	}
	return tx.Commit()
}

// importFile imports a department's file through the write engine, printing progress and the
// report's summary, and writing the per-row report as XLSX when asked. It runs as the system,
// like the other commands, with the data layer's validation for every row.
func importFile(ctx context.Context, db *storage.DB, cfg config) error {
	format, err := exchange.FormatOf(cfg.name)
	if err != nil {
		return err
	}
	if s := cfg.severity; s != "" && s != string(vocab.Minor) && s != string(vocab.General) && s != string(vocab.Serious) {
		return fmt.Errorf("--severity %q: use MINOR, GENERAL or SERIOUS", s)
	}
	f, err := os.Open(cfg.name)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	done := 0 // every line up to this one is written or reported
	progress := newProgress(os.Stderr, start)
	im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: cfg.batch, Severity: vocab.Severity(cfg.severity), From: cfg.fromRow,
		Workers: db.Target.Writers(),
		Progress: func(n, line int) {
			done = line
			progress.report(n, line, time.Now())
		}}
	rep, err := im.Import(authz.SystemContext(ctx), cfg.kind, cfg.department, f, format, exchange.Mode(cfg.mode))
	progress.end()
	if err != nil && done > 0 && exchange.Mode(cfg.mode) == exchange.GoodRows {
		return fmt.Errorf("%w\nevery row through line %d is written or reported; the rest follows with --from-row %d (or the file again, which skips what is stored)", err, done, done+1)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d rows read, %d imported, %d stored before, %d rejected; committed: %v (%s)\n",
		cfg.name, rep.Rows, rep.Imported, rep.Existing, rep.Rejected, rep.Committed, time.Since(start).Round(time.Millisecond))
	for i, p := range rep.Problems {
		if i == 20 {
			fmt.Printf("… %d more in the report\n", len(rep.Problems)-20)
			break
		}
		fmt.Printf("row %d, %s: %s\n", p.Row, p.Column, p.Problem)
	}
	if cfg.report != "" {
		out, err := os.Create(cfg.report)
		if err != nil {
			return err
		}
		if err := exchange.WriteXLSX(out, rep); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if rep.Rejected > 0 {
		return fmt.Errorf("%d rows were rejected", rep.Rejected)
	}
	return nil
}

// reportFont reads the CJK font credit reports are printed with: CREDITGRAPH_REPORT_FONT, else
// the first of report.FontPaths that exists. Without one the server still issues reports as
// data and answers UNAVAILABLE for their PDF.
func reportFont(logger *slog.Logger) []byte {
	paths := report.FontPaths
	if p := os.Getenv("CREDITGRAPH_REPORT_FONT"); p != "" {
		paths = []string{p}
	}
	font, path, err := report.FindFont(paths...)
	switch {
	case err != nil:
		logger.Warn("reading the report font failed; reports will not be printed", "file", path, "err", err)
	case font == nil:
		logger.Warn("no CJK TrueType font found; credit reports will not be printed (apt-get install fonts-arphic-gbsn00lp, or set CREDITGRAPH_REPORT_FONT)", "looked in", paths)
	}
	return font
}

// dataCipher builds the personal-data cipher from CREDITGRAPH_DATA_KEY or, for the embedded
// SQLite default only, from a key file beside the database that it creates when missing.
// migrate applies the schema and, unless seed loads them itself before its entities, the
// reference data — rules, calendar, time limits, catalogues, divisions and departments this
// build knows, added where missing and upgraded where an earlier build stored less — holding
// the database's migration lock meanwhile, so that instances started together take turns.
func migrate(ctx context.Context, db *storage.DB, reference bool) error {
	release, err := db.LockMigration(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if !reference {
		return nil
	}
	if err := seed.Reference(ctx, db.Client); err != nil {
		return fmt.Errorf("loading the reference data: %w", err)
	}
	return nil
}

// keyFilePath is where the embedded SQLite default keeps its personal-data key.
func keyFilePath(t storage.Target) string {
	return filepath.Join(filepath.Dir(t.Path), "creditgraph.key")
}

func dataCipher(t storage.Target, logger *slog.Logger) (*pii.Cipher, error) {
	if k := os.Getenv("CREDITGRAPH_DATA_KEY"); k != "" {
		key, err := pii.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("CREDITGRAPH_DATA_KEY: %w", err)
		}
		return pii.New(key)
	}
	if t.Dialect != dialect.SQLite {
		return nil, errors.New("CREDITGRAPH_DATA_KEY is required with MySQL: 32 random bytes, base64 (openssl rand -base64 32)")
	}
	path := keyFilePath(t)
	key, created, err := pii.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("personal-data key file: %w", err)
	}
	if created {
		logger.Warn("CREDITGRAPH_DATA_KEY is not set: created a local key file for personal data; keep it with the database, and set the variable in production", "file", path)
	}
	return pii.New(key)
}

func serve(ctx context.Context, cfg config, db *storage.DB, authorizer *authz.Authorizer, tokens authz.TokenService, logger *slog.Logger) error {
	sqlite := db.Target.Dialect == dialect.SQLite
	// The address first: a port in use is reported before a demo load, not after it.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", cfg.addr, err)
	}
	defer ln.Close()
	if cfg.demo == "true" || cfg.demo == "auto" && sqlite {
		start := time.Now()
		loaded, err := seed.Demo(ctx, db.Client, seed.DefaultOptions())
		if err != nil {
			return fmt.Errorf("loading demo data: %w", err)
		}
		if loaded {
			logger.Info("demo data loaded", "entities", seed.DefaultOptions().Entities, "took", time.Since(start).Round(time.Millisecond).String())
			if err := writeDemoTokens(ctx, db, tokens); err != nil {
				return err
			}
		}
	}
	srv := &http.Server{
		Handler: server.New(server.Config{
			Deps: graph.Deps{Client: db.Client, Authorizer: authorizer, Ledger: db.Ledger, Tallies: db.Tallies, ReportFont: reportFont(logger),
				ImportWorkers: db.Target.Writers()},
			Tokens: tokens, Ready: db.Ready, Database: db.Target.Where, Logger: logger,
			Playground: cfg.playground, PublicIntrospection: cfg.publicIntrospection, DB: db.SQL,
			Edge: server.EdgeConfig{CORSOrigins: splitList(cfg.corsOrigins), BodyLimit: cfg.bodyLimit,
				RatePerToken: cfg.rateLimit, RateBurst: server.DefaultEdge.RateBurst, Instances: cfg.instances,
				OpenPerCaller: cfg.openPerCaller, TrustedProxies: cfg.proxies},
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	where := db.Target.Where
	fmt.Fprintf(os.Stderr, "creditgraph serving on http://%s/ (GraphQL at http://%s/query, database %s)\n", ln.Addr(), ln.Addr(), where)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.debugAddr != "" {
		// Go's profiler, for operators, on its own (loopback) address: never on the API's.
		dbg := &http.Server{Addr: cfg.debugAddr, Handler: debugMux(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := dbg.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("debug listener", "err", err)
			}
		}()
		defer dbg.Close()
	}
	defer server.RaiseGoroutineStacks(cfg.goroutineStack)()
	go authorizer.Watch(ctx, 2*time.Second)      // policy changes from any instance apply within seconds
	go db.Events.Relay(ctx, events.DefaultRelay) // with --shared-events: every instance's writes to this one's subscribers
	go recomputeDue(ctx, db, logger, 10*time.Minute)
	go db.Tallies.Keep(ctx, time.Second, func(err error) { logger.Warn("compacting the entity tallies failed", "err", err) })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down; waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// writeDemoTokens issues the demo tokens on first start and writes them beside the database,
// so a newcomer can try every role in the playground.
func writeDemoTokens(ctx context.Context, db *storage.DB, tokens authz.TokenService) error {
	list, err := seed.DemoTokens(ctx, tokens)
	if err != nil {
		return err
	}
	self, err := seed.DemoSelfTokens(ctx, tokens, db.Client)
	if err != nil {
		return err
	}
	list = append(list, self...)
	path := demoTokenFile(db.Target.Path)
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "demo tokens for every role written to %s; paste one into the playground's Headers as {\"Authorization\": \"Bearer <token>\"}\n", path)
	return nil
}

// recomputeDue runs the calendar's jobs at start and then every interval (calendarJobs), after
// checking that the holiday calendar reaches 90 days ahead.
func recomputeDue(ctx context.Context, db *storage.DB, logger *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	warned := ""
	for {
		// The calendar must reach 90 days ahead for working-day deadlines; say so when it
		// does not (once per change, not every run).
		if warnings, err := workflow.CalendarWarnings(ctx, db.Client, db.Ledger.Clock.Today()); err == nil && strings.Join(warnings, "\n") != warned {
			for _, w := range warnings {
				logger.Warn("calendar not ready", "problem", w)
			}
			warned = strings.Join(warnings, "\n")
		}
		_ = calendarJobs(ctx, db, logger, true, nil) // each failure is logged; the next run tries again
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// calendarJobs makes the stored states follow the calendar as well as the writes, once: the
// records whose publicity window ended become EXPIRED, the persons whose prior notice's reply
// deadline passed are restricted by the listings that reach them (stored measure applications),
// entities whose legal representative's role ended get their representative decided again, the
// environmental scores whose deduction or bonus ended or whose colour bands changed are scored
// again (their ratings feed the evaluation), and then the evaluations are recomputed: those that
// lapsed (a listing, its measures or a publicity window ended, a rule set version began) when
// dueOnly, all otherwise. A job that fails is logged and the next still runs; the failures are
// returned together.
func calendarJobs(ctx context.Context, db *storage.DB, logger *slog.Logger, dueOnly bool, progress io.Writer) error {
	var errs []error
	done := func(what string, n int, err error) {
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn(what+" failed", "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		case err != nil:
			errs = append(errs, err)
		case n > 0:
			logger.Info(what, "rows", n)
		}
	}
	n, err := db.Ledger.Expire(ctx, db.Client)
	done("expiring ended publicity windows", n, err)
	done("applying measures after prior-notice deadlines", 0, db.Ledger.SyncNoticesDue(ctx, db.Client))
	done("deciding legal representatives after roles ended", 0, db.Ledger.SyncRepresentatives(ctx, db.Client))
	n, err = db.Ledger.RescoreLapsed(ctx, db.Client)
	done("rescoring lapsed environmental scores", n, err)
	n, err = evaluator.RecomputeAll(db.Ledger.ObserveTiers(ctx), db.Client, db.Ledger.Clock, dueOnly, 500, progress)
	done("recomputing evaluations", n, err)
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// progress prints an import's progress: on a terminal one line rewritten in place after each
// batch; into a file or a pipe (a scheduler's log) one line every two seconds, like seed's, so
// that a log holds readable lines rather than one line of thousands of overwrites.
type progress struct {
	w       io.Writer
	live    bool // a terminal: rewrite the line
	start   time.Time
	last    time.Time // when a line was last written to a log
	pending bool      // a terminal's line is open
	every   time.Duration
}

func newProgress(f *os.File, start time.Time) *progress {
	st, err := f.Stat()
	live := err == nil && st.Mode()&os.ModeCharDevice != 0
	return &progress{w: f, live: live, start: start, last: start, every: 2 * time.Second}
}

// report tells that rows rows are done, through the file's line line, at now.
func (p *progress) report(rows, line int, now time.Time) {
	if !p.live && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	text := fmt.Sprintf("%d rows (%.0f/s), through line %d", rows, float64(rows)/max(now.Sub(p.start).Seconds(), 1e-9), line)
	if p.live {
		fmt.Fprint(p.w, "\r"+text)
		p.pending = true
		return
	}
	fmt.Fprintln(p.w, text)
}

// end closes a terminal's line.
func (p *progress) end() {
	if p.pending {
		fmt.Fprintln(p.w)
	}
}

// debugMux serves net/http/pprof's handlers.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// flagSet reports whether the command line named the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// demoTokenFile is where a database's demo tokens are written: beside it, named after it
// (creditgraph.db → creditgraph-demo-tokens.json), so two databases in one folder keep theirs.
func demoTokenFile(dbPath string) string {
	base := strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
	return filepath.Join(filepath.Dir(dbPath), base+"-demo-tokens.json")
}

// commands are the subcommands with what each does, for help.
var commands = []struct{ name, what string }{
	{"serve", "serve the GraphQL API and the playground (the default; loads demo data into an empty SQLite database)"},
	{"migrate", "apply the schema and load the reference data (rules, calendar, time limits, catalogues, divisions, departments)"},
	{"seed", "load generated entities and records at province scale (resumable)"},
	{"recompute", "recompute entities' evaluations (all, or --due for the lapsed ones)"},
	{"import", "import a department's XLSX or CSV (UTF-8/GB18030) file in the national layout, with a per-row report"},
	{"token issue", "issue a bearer token for a role and department (printed once)"},
	{"token list", "list the tokens"},
	{"token revoke", "revoke a token"},
	{"policy check", "validate a Casbin policy file offline"},
	{"calendar load", "replace years of the holiday calendar from the State Council's notice (CSV or XLSX: date,type,name) and count every working-day deadline again"},
	{"version", "print the version"},
	{"help", "print this help"},
}

// usage lists the subcommands; each one's flags are shown by creditgraph <command> --help.
func usage(w io.Writer) {
	fmt.Fprintln(w, "creditgraph: the credit-supervision GraphQL API\n\nUsage: creditgraph [command] [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.what)
	}
	fmt.Fprintln(w, "\nEach command's flags: creditgraph <command> --help. Without a command, creditgraph serves.")
}

// version is the module version and the commit it was built from, when the build knows them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "creditgraph (unknown version)"
	}
	v := "creditgraph " + info.Main.Version
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " commit " + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += " (modified)"
		}
	}
	return v + " " + info.GoVersion
}

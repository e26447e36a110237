// Command creditgraph is the one binary of the service. With no arguments it serves the GraphQL
// API and the playground on the embedded SQLite file ./creditgraph.db, creating the schema and
// loading demo data on first start. Subcommands:
//
//	creditgraph [serve] [--addr 127.0.0.1:8080] [--db PATH|mysql://…] [--migrate] [--demo]
//	creditgraph migrate [--db …]
//	creditgraph seed    [--db …] [--entities N] [--seed S]
//
// Every flag can also be set by an environment variable (CREDITGRAPH_ADDR, CREDITGRAPH_DB, …).
// main only wires: configuration in, packages together, errors out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(context.Background(), os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "creditgraph:", err)
		os.Exit(1)
	}
}

// config is every setting, from flags or their environment variables.
type config struct {
	addr       string
	db         string
	migrate    bool
	demo       string // "auto", "true" or "false"
	playground bool
	entities   int
	seed       uint64
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	b, err := strconv.ParseBool(env(name, strconv.FormatBool(def)))
	return err == nil && b || err != nil && def
}

func parse(cmd string, args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("creditgraph "+cmd, flag.ContinueOnError)
	fs.StringVar(&c.db, "db", env("CREDITGRAPH_DB", storage.DefaultPath), "SQLite file path, or mysql://user:pass@host:port/dbname (CREDITGRAPH_DB)")
	switch cmd {
	case "serve":
		fs.StringVar(&c.addr, "addr", env("CREDITGRAPH_ADDR", "127.0.0.1:8080"), "listen address (CREDITGRAPH_ADDR)")
		fs.BoolVar(&c.migrate, "migrate", envBool("CREDITGRAPH_MIGRATE", false), "apply the schema on MySQL before serving (CREDITGRAPH_MIGRATE); SQLite always migrates")
		fs.StringVar(&c.demo, "demo", env("CREDITGRAPH_DEMO", "auto"), "load demo data when the database has none: auto (SQLite only), true or false (CREDITGRAPH_DEMO)")
		fs.BoolVar(&c.playground, "playground", envBool("CREDITGRAPH_PLAYGROUND", true), "serve the GraphiQL playground at / (CREDITGRAPH_PLAYGROUND)")
	case "seed":
		fs.IntVar(&c.entities, "entities", seed.DefaultOptions().Entities, "number of market entities to generate")
		fs.Uint64Var(&c.seed, "seed", seed.DefaultOptions().Seed, "random seed; the same seed gives the same data")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, nil
}

func run(ctx context.Context, args []string, logger *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate", "seed":
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, seed)", cmd)
	}
	cfg, err := parse(cmd, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	target, err := storage.ParseTarget(cfg.db)
	if err != nil {
		return err
	}
	db, err := storage.Open(ctx, target, storage.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	switch cmd {
	case "migrate":
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		logger.Info("schema applied", "dialect", target.Dialect)
		return nil
	case "seed":
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		o := seed.DefaultOptions()
		o.Entities, o.Seed, o.Progress = cfg.entities, cfg.seed, os.Stderr
		loaded, err := seed.Demo(ctx, db.Client, o)
		if err != nil {
			return err
		}
		if !loaded {
			logger.Info("the database already holds entities; nothing loaded")
		}
		return nil
	}
	return serve(ctx, cfg, db, logger)
}

func serve(ctx context.Context, cfg config, db *storage.DB, logger *slog.Logger) error {
	sqlite := db.Target.Dialect == dialect.SQLite
	if sqlite || cfg.migrate {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	if cfg.demo == "true" || cfg.demo == "auto" && sqlite {
		start := time.Now()
		loaded, err := seed.Demo(ctx, db.Client, seed.DefaultOptions())
		if err != nil {
			return fmt.Errorf("loading demo data: %w", err)
		}
		if loaded {
			logger.Info("demo data loaded", "entities", seed.DefaultOptions().Entities, "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: graph.NewServer(graph.ServerConfig{
			Client: db.Client, Ready: db.Ready, Logger: logger, Playground: cfg.playground,
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	where := db.Target.Path
	if !sqlite {
		where = "mysql"
	}
	fmt.Fprintf(os.Stderr, "creditgraph serving on http://%s/ (GraphQL at http://%s/query, database %s)\n", ln.Addr(), ln.Addr(), where)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
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

package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	for _, args := range [][]string{{"frobnicate"}, {"migrate", "extra"}, {"seed", "--entities", "x"}} {
		if err := run(ctx, args, quiet()); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
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
	if _, err := os.Stat(filepath.Join(dir, "creditgraph.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
}

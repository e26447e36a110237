package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/server"
)

// The playground must work on a network without internet: the page and every script and
// stylesheet it references come from the server itself.
func TestPlaygroundServesItsOwnAssets(t *testing.T) {
	env := newEnv(t)
	res, err := http.Get(env.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "GraphiQL") {
		t.Fatalf("GET / = %d, %.200s", res.StatusCode, page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 6 {
		t.Fatalf("the page references %d assets, want the 4 scripts, the stylesheet and the icon", len(refs))
	}
	// The conventional icon path too, which browsers and tools ask for.
	refs = append(refs, []string{"", "/favicon.ico"})
	for _, m := range refs {
		ref := m[1]
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
			t.Errorf("asset %s is not served by creditgraph", ref)
			continue
		}
		res, err := http.Get(env.srv.URL + ref)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) < 200 {
			t.Errorf("GET %s = %d, %d bytes", ref, res.StatusCode, len(body))
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	env := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(env.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, res.StatusCode)
		}
	}
	// A database that does not answer makes /readyz fail, naming the database, while /healthz
	// stays up; /query answers 503 UNAVAILABLE at once, and serves again by itself when the
	// database is back.
	var gone atomic.Bool
	gone.Store(true)
	down := httptest.NewServer(server.New(server.Config{
		Deps: graph.Deps{Client: env.db.Client, Ledger: env.db.Ledger, Authorizer: env.authorizer}, Tokens: env.tokens, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Database: "node2:13312/creditgraph",
		Ready: func(ctx context.Context) error {
			if gone.Load() {
				return errors.New("connection refused")
			}
			return env.db.Ready(ctx)
		},
	}))
	defer down.Close()
	res, err := http.Get(down.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "node2:13312/creditgraph") {
		t.Errorf("GET /readyz with the database down = %d %s, want 503 naming the database", res.StatusCode, body)
	}
	query := func() (int, string, string) {
		res, err := http.Post(down.URL+"/query", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Retry-After"), string(b)
	}
	if code, retry, body := query(); code != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, `"UNAVAILABLE"`) {
		t.Errorf("POST /query with the database down = %d (Retry-After %q) %s, want 503 UNAVAILABLE with Retry-After", code, retry, body)
	}
	gone.Store(false)
	time.Sleep(1100 * time.Millisecond) // the instance looks again after a second
	if code, _, body := query(); code != http.StatusOK {
		t.Errorf("POST /query after the database came back = %d %s, want 200", code, body)
	}
}

// A body that is not JSON is the caller's mistake: a clear error, not an internal one.
func TestUndecodableBody(t *testing.T) {
	env := newEnv(t)
	res, err := http.Post(env.srv.URL+"/query", "application/json", strings.NewReader(`{"query": "{ marketEntities { totalCount } }`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "BAD_USER_INPUT") || !strings.Contains(string(body), "could not be decoded") {
		t.Errorf("undecodable body: %d %s", res.StatusCode, body)
	}
}

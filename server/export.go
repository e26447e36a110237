package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/xuri/excelize/v2"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/auditlog"
	"github.com/creditgraph/creditgraph/graph"
)

// Exports for spreadsheets: GET /export?connection=administrativePenalties&format=csv&where={…}
// &fields=decisionNo,entity.name&limit=N streams any connection of the Query type the caller
// can read as CSV (UTF-8 with a BOM, so Excel reads Chinese) or XLSX. The rows come from the
// GraphQL handler itself, page by page, with the caller's context: the same privacy filters,
// masks, cost limits and audit trail as the API; the export itself is recorded in the audit
// log (kind EXPORT) with its row count. At most MaxExportRows rows; a longer result is cut and
// says so in the X-Export-Truncated trailer. Every page is read with the rights the token has
// at that page (see exportHandler).

// MaxExportRows bounds one export.
const MaxExportRows = 100000

// exportPage is how many rows each internal query reads (a variable for tests).
var exportPage = 500

// exportHandler serves /export through gql, the GraphQL handler (which expects the caller's
// Viewer in the request context, like /query).
// Each page after the first waits for pace, which takes one request from the caller's rate: an
// export costs the caller what its pages would cost as queries. Then the request's token is
// authenticated again (Viewer.StillHolds): a page is read only with the rights the token has
// now, so an export of 100,000 rows does not outlive a revocation or a policy change that took
// a sector from its role — it stops, as a WebSocket does.
// An export that stops after its first rows were sent is cut off (the connection is aborted,
// no final chunk): a client — curl, a browser's download — reports the file incomplete rather
// than keeping a part that looks whole.
func exportHandler(gql http.Handler, client *ent.Client, logger *slog.Logger, pace func(context.Context) error) http.Handler {
	schema := graph.NewSchema(graph.Deps{Client: client}).Schema()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x, err := parseExport(schema, r)
		if err != nil {
			derrors.WriteHTTP(w, http.StatusBadRequest, derrors.CodeBadUserInput, err.Error())
			return
		}
		rows, truncated, err := x.run(r.Context(), gql, w, pace, stillAllowed)
		outcome := "OK"
		var stop *stopped
		switch {
		case errors.As(err, &stop):
			outcome = stop.code
			logger.InfoContext(r.Context(), "export stopped", "connection", x.connection, "rows", rows, "err", err)
		case err != nil:
			outcome = "FAILED"
			logger.WarnContext(r.Context(), "export failed", "connection", x.connection, "err", err)
		case truncated:
			outcome = "TRUNCATED"
		}
		x.audit(r.Context(), client, logger, rows, outcome, time.Since(start))
		if err != nil {
			x.fail(w, err)
		}
	})
}

// fail answers an export that did not complete: with its error while nothing of the file has
// been sent; otherwise by cutting the connection, so that the rows sent so far do not read as
// the whole file.
func (x *export) fail(w http.ResponseWriter, err error) {
	if x.sent {
		panic(http.ErrAbortHandler)
	}
	x.unstart(w)
	var stop *stopped
	var page *pageFailed
	switch {
	case errors.As(err, &stop):
		derrors.WriteHTTP(w, stop.status, stop.code, stop.text)
	case errors.As(err, &page): // answered as /query answered it
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(page.status)
		_, _ = w.Write(page.body)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded): // the caller has gone
	default:
		derrors.WriteHTTP(w, http.StatusInternalServerError, derrors.CodeInternal, "the export failed; try again")
	}
}

// pageFailed is a page the GraphQL handler answered with errors.
type pageFailed struct {
	after  any
	status int
	body   []byte
}

func (p *pageFailed) Error() string { return fmt.Sprintf("page after %v: %s", p.after, p.body) }

// stopped is why an export stopped before its end, as the caller is told when nothing was
// sent yet (and as the audit log records it).
type stopped struct {
	status     int
	code, text string
}

func (s *stopped) Error() string { return s.text }

// stillAllowed tells whether the export's token still holds the rights the export started
// with (the viewer in ctx), as a stop to answer with.
func stillAllowed(ctx context.Context) error {
	err := authz.FromContext(ctx).StillHolds(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, derrors.Unauthenticated):
		return &stopped{http.StatusUnauthorized, derrors.CodeUnauthenticated, "the token was revoked or has expired during the export"}
	case errors.Is(err, authz.ErrRightsChanged):
		return &stopped{http.StatusConflict, derrors.CodeConflict, "the token's rights changed during the export; export again to read with the rights it has now"}
	}
	return &stopped{http.StatusServiceUnavailable, derrors.CodeUnavailable, "the service is temporarily unavailable; try again shortly"}
}

type export struct {
	connection, format, whereType string
	where                         json.RawMessage
	columns                       []string // dotted paths of the node's fields
	limit                         int
	sent                          bool // whether bytes of the file have gone to the caller
}

func parseExport(schema *ast.Schema, r *http.Request) (*export, error) {
	q := r.URL.Query()
	x := &export{connection: q.Get("connection"), format: q.Get("format"), limit: MaxExportRows}
	if x.format == "" {
		x.format = "csv"
	}
	if x.format != "csv" && x.format != "xlsx" {
		return nil, derrors.Field("format", "csv or xlsx, got %q", x.format)
	}
	field := schema.Query.Fields.ForName(x.connection)
	if field == nil || !strings.HasSuffix(field.Type.Name(), "Connection") || field.Arguments.ForName("after") == nil {
		return nil, derrors.Field("connection", "%q is not a connection of the Query type (e.g. marketEntities, administrativePenalties)", x.connection)
	}
	if a := field.Arguments.ForName("where"); a != nil {
		x.whereType = a.Type.Name()
	}
	if w := q.Get("where"); w != "" {
		if x.whereType == "" {
			return nil, derrors.Field("where", "%s takes no filter", x.connection)
		}
		if !json.Valid([]byte(w)) {
			return nil, derrors.Field("where", "not valid JSON")
		}
		x.where = json.RawMessage(w)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxExportRows {
			return nil, derrors.Field("limit", "between 1 and %d, got %q", MaxExportRows, l)
		}
		x.limit = n
	}
	node := schema.Types[strings.TrimSuffix(field.Type.Name(), "Connection")]
	if node == nil {
		return nil, derrors.Field("connection", "%q lists no node type", x.connection)
	}
	if f := q.Get("fields"); f != "" {
		for _, path := range strings.Split(f, ",") {
			if err := checkPath(schema, node, strings.TrimSpace(path)); err != nil {
				return nil, err
			}
			x.columns = append(x.columns, strings.TrimSpace(path))
		}
	} else {
		for _, f := range node.Fields { // every plain value that needs no argument
			if !needsArgs(f) && !strings.HasPrefix(f.Name, "__") && isLeaf(schema, f.Type) {
				x.columns = append(x.columns, f.Name)
			}
		}
	}
	return x, nil
}

func isLeaf(schema *ast.Schema, t *ast.Type) bool {
	d := schema.Types[t.Name()]
	return d != nil && (d.Kind == ast.Scalar || d.Kind == ast.Enum) && t.Elem == nil
}

// needsArgs reports whether a field has a required argument; one with optional arguments only
// (idNumber(purpose:)) is read without them — masked, as the API answers then.
func needsArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// checkPath accepts a dotted path of fields that need no argument, ending in a scalar or enum.
func checkPath(schema *ast.Schema, def *ast.Definition, path string) error {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		f := def.Fields.ForName(p)
		if f == nil || needsArgs(f) || f.Type.Elem != nil {
			return derrors.Field("fields", "%s: %s has no plain field %q", path, def.Name, p)
		}
		if i == len(parts)-1 {
			if !isLeaf(schema, f.Type) {
				return derrors.Field("fields", "%s: %q is not a value; name one of its fields", path, p)
			}
			return nil
		}
		def = schema.Types[f.Type.Name()]
	}
	return nil
}

// query is the GraphQL query of one page.
func (x *export) query() string {
	var sel strings.Builder
	tree := map[string]any{}
	for _, c := range x.columns {
		node := tree
		parts := strings.Split(c, ".")
		for _, p := range parts[:len(parts)-1] {
			if _, ok := node[p].(map[string]any); !ok {
				node[p] = map[string]any{}
			}
			node = node[p].(map[string]any)
		}
		node[parts[len(parts)-1]] = true
	}
	var write func(map[string]any)
	write = func(m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sel.WriteString(k + " ")
			if sub, ok := m[k].(map[string]any); ok {
				sel.WriteString("{ ")
				write(sub)
				sel.WriteString("} ")
			}
		}
	}
	write(tree)
	args, params := "first: $first, after: $after", "$first: Int, $after: Cursor"
	if x.whereType != "" {
		args, params = args+", where: $where", params+", $where: "+x.whereType
	}
	return fmt.Sprintf("query Export(%s) { c: %s(%s) { edges { node { %s} } pageInfo { hasNextPage endCursor } } }",
		params, x.connection, args, sel.String())
}

// run pages through the connection and writes the rows; it returns how many it wrote and
// whether it stopped at the limit. Each page after the first waits for pace and then for
// still, which tells whether the export may go on.
func (x *export) run(ctx context.Context, gql http.Handler, w http.ResponseWriter, pace, still func(context.Context) error) (_ int, _ bool, err error) {
	var out rowWriter
	defer func() {
		if err != nil && out != nil {
			out.abandon()
		}
	}()
	query := x.query()
	var after any
	rows, truncated := 0, false
	for {
		if after != nil { // the first page was paid and authenticated by the request itself
			if err := pace(ctx); err != nil {
				return rows, false, err
			}
			if err := still(ctx); err != nil {
				return rows, false, err
			}
		}
		vars := map[string]any{"first": min(exportPage, x.limit-rows), "after": after}
		if x.where != nil {
			vars["where"] = x.where
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		gql.ServeHTTP(rec, req)
		var res struct {
			Data struct {
				C struct {
					Edges    []struct{ Node map[string]any }
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Errors) > 0 {
			return rows, false, &pageFailed{after: after, status: rec.Code, body: rec.Body.Bytes()}
		}
		if out == nil {
			out = x.start(w)
		}
		for _, e := range res.Data.C.Edges {
			cells := make([]string, len(x.columns))
			for i, c := range x.columns {
				cells[i] = cell(e.Node, c)
			}
			if err := out.row(cells); err != nil {
				return rows, false, err
			}
			rows++
		}
		if err := out.flush(w); err != nil {
			return rows, false, err
		}
		more := res.Data.C.PageInfo.HasNextPage && res.Data.C.PageInfo.EndCursor != nil
		if more && rows >= x.limit {
			truncated = true
		}
		if !more || rows >= x.limit {
			break
		}
		after = *res.Data.C.PageInfo.EndCursor
	}
	w.Header().Set("X-Export-Rows", strconv.Itoa(rows))
	w.Header().Set("X-Export-Truncated", strconv.FormatBool(truncated))
	return rows, truncated, out.close(w)
}

// cell is the value at a dotted path of a node, as text ("" for null).
func cell(node map[string]any, path string) string {
	var v any = node
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// rowWriter writes rows in the export's format.
type rowWriter interface {
	row([]string) error
	// flush sends the rows written so far, if the format is sent as it is written.
	flush(http.ResponseWriter) error
	close(http.ResponseWriter) error
	abandon() // after a failure: releases what the file holds
}

// start sets the file's headers and writes the column names. A CSV is sent from here on; an
// XLSX only when it is complete (see xlsxWriter), and until then a failure is answered as an
// error (unstart).
func (x *export) start(w http.ResponseWriter) rowWriter {
	w.Header().Set("Trailer", "X-Export-Rows, X-Export-Truncated")
	name := fmt.Sprintf("%s-%s.%s", x.connection, time.Now().Format("20060102-150405"), x.format)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if x.format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return &failedWriter{err}
		}
		xw := &xlsxWriter{f: f, sw: sw, sent: &x.sent}
		_ = xw.row(x.columns)
		return xw
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	x.sent = true
	_, _ = io.WriteString(w, "\uFEFF") // Excel reads UTF-8 only with the BOM
	cw := &csvWriter{w: csv.NewWriter(w)}
	_ = cw.row(x.columns)
	return cw
}

// unstart takes back the file's headers, for an error answered in its place.
func (x *export) unstart(w http.ResponseWriter) {
	for _, h := range []string{"Trailer", "Content-Disposition", "Content-Type"} {
		w.Header().Del(h)
	}
}

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) row(cells []string) error {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = spreadsheetText(s)
	}
	return c.w.Write(safe)
}

// formulaStarts are the first characters with which a spreadsheet opening a CSV reads a cell as
// a formula (or, for a tab or carriage return, lets the next character do so).
const formulaStarts = "=+-@\t\r"

// plainNumber is a number as our own fields write one, which no spreadsheet runs as a formula.
var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// spreadsheetText keeps a CSV cell from running as a formula where the export is opened (CSV
// or formula injection): what a department, a file import or a subject wrote — a penalty's
// facts, an objection's description, a name — may begin with =, +, -, @, a tab or a carriage
// return, and would then run in the reader's spreadsheet (HYPERLINK sending the sheet's other
// cells away, DDE starting a program). Such text is prefixed with an apostrophe, which makes it
// text; a plain number keeps its sign. XLSX needs none of this: every exported cell is a typed
// string, never a formula.
func spreadsheetText(s string) string {
	if s == "" || !strings.ContainsRune(formulaStarts, rune(s[0])) || plainNumber.MatchString(s) {
		return s
	}
	return "'" + s
}
func (c *csvWriter) close(http.ResponseWriter) error {
	c.w.Flush()
	return c.w.Error()
}

func (c *csvWriter) abandon() {}

// flush sends each page as it comes: the reader sees the export progress, and the server
// holds no more than a page.
func (c *csvWriter) flush(w http.ResponseWriter) error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}

// xlsxWriter keeps rows in excelize's stream writer (spilled to a temporary file when large)
// and sends the workbook when it is complete: a zip cannot be sent before its end.
type xlsxWriter struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	n    int
	sent *bool // the export's: set when the workbook starts going out
}

func (x *xlsxWriter) row(cells []string) error {
	x.n++
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = c
	}
	axis, err := excelize.CoordinatesToCellName(1, x.n)
	if err != nil {
		return err
	}
	return x.sw.SetRow(axis, vals)
}

func (x *xlsxWriter) close(w http.ResponseWriter) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	*x.sent = true
	_, err := x.f.WriteTo(w)
	return err
}

func (x *xlsxWriter) abandon()                        { _ = x.f.Close() }
func (x *xlsxWriter) flush(http.ResponseWriter) error { return nil } // a zip goes out whole

type failedWriter struct{ err error }

func (f *failedWriter) row([]string) error              { return f.err }
func (f *failedWriter) close(http.ResponseWriter) error { return f.err }
func (f *failedWriter) abandon()                        {}
func (f *failedWriter) flush(http.ResponseWriter) error { return f.err }

// audit records the export: who, what, how many rows, and the filter's digest.
func (x *export) audit(ctx context.Context, client *ent.Client, logger *slog.Logger, rows int, outcome string, took time.Duration) {
	v := authz.FromContext(ctx)
	if v == nil {
		return
	}
	digest := sha256.Sum256(x.where)
	op := fmt.Sprintf("export %s %s %d rows", x.connection, x.format, rows)
	err := graph.AppendAudit(ctx, graph.AuditRow(client, v, auditlog.KindEXPORT, op, digest[:], outcome, took))
	if err != nil {
		logger.ErrorContext(ctx, "writing the export's audit entry", "err", err)
	}
}

package graph

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The oracle for post is gqlgen's own POST transport: for the same request and the same
// executor's answers, post must answer with the same status, headers and bytes. The answers are
// drawn: data as gqlgen writes it (compact JSON, strings holding HTML's characters, U+2028,
// control characters and CJK), errors with paths and extensions, labels, paths, hasNext and
// extensions; the requests vary Accept and carry bodies that do and do not decode, and
// operations that fail as a protocol error or otherwise.
func TestPostAnswersAsGqlgensPost(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*",
		"application/*", "text/html", "application/graphql-response+json, application/json;q=0.9",
		"text/html, application/json", "bogus;;;, application/graphql-response+json"}
	bodies := []string{`{"query":"{ viewer { name } }"}`, `{"query":"query($n: Int) { a(n: $n) }","variables":{"n":1.5e3},"operationName":"x"}`,
		`{"query":`, `not json`, ``, `[]`}
	for i := range 3000 {
		ex := cannedExecutor{resp: drawResponse(r)}
		switch r.IntN(4) {
		case 0:
			ex.opErrs = gqlerror.List{{Message: "cannot parse <the> document", Extensions: map[string]any{"code": "GRAPHQL_PARSE_FAILED"}}}
			errcode.Set(ex.opErrs[0], errcode.ParseFailed)
		case 1:
			ex.opErrs = gqlerror.List{gqlerror.Errorf("a field's error & more")}
		}
		accept, body := accepts[r.IntN(len(accepts))], bodies[r.IntN(len(bodies))]
		want := answer(transport.POST{}, ex, accept, body)
		got := answer(post{}, ex, accept, body)
		if got.Code != want.Code || got.Body.String() != want.Body.String() || fmt.Sprint(got.Header()) != fmt.Sprint(want.Header()) {
			t.Fatalf("case %d (Accept %q, body %q, operation errors %v):\n got %d %v %s\nwant %d %v %s", i, accept, body, ex.opErrs,
				got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}

func answer(tr graphql.Transport, ex graphql.GraphExecutor, accept, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	if !tr.Supports(req) {
		panic("the transport does not take a JSON POST")
	}
	tr.Do(rec, req, ex)
	return rec
}

// cannedExecutor answers every operation with resp, or refuses it with opErrs.
type cannedExecutor struct {
	resp   *graphql.Response
	opErrs gqlerror.List
}

func (e cannedExecutor) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return &graphql.OperationContext{RawQuery: p.Query, OperationName: p.OperationName}, e.opErrs
}

func (e cannedExecutor) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(context.Context) *graphql.Response { return e.resp }, ctx
}

func (e cannedExecutor) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list, Extensions: e.resp.Extensions}
}

// drawResponse draws a response as gqlgen's executor could return it.
func drawResponse(r *rand.Rand) *graphql.Response {
	resp := &graphql.Response{}
	if r.IntN(5) > 0 {
		var b bytes.Buffer
		writeAsGqlgen(&b, map[string]any{"q": drawValue(r, 4)})
		resp.Data = b.Bytes()
	}
	for range r.IntN(3) {
		e := &gqlerror.Error{Message: drawString(r), Path: ast.Path{ast.PathName("a"), ast.PathIndex(r.IntN(9))}}
		if r.IntN(2) == 0 {
			e.Extensions = map[string]any{"code": drawString(r), "field": drawValue(r, 2), "data": nil}
		}
		if r.IntN(2) == 0 {
			e.Locations = []gqlerror.Location{{Line: 1 + r.IntN(9), Column: 1 + r.IntN(80)}}
		}
		resp.Errors = append(resp.Errors, e)
	}
	if r.IntN(4) == 0 {
		resp.Label = drawString(r)
	}
	if r.IntN(4) == 0 {
		resp.Path = ast.Path{ast.PathName(drawString(r)), ast.PathIndex(r.IntN(5))}
	}
	if r.IntN(4) == 0 {
		next := r.IntN(2) == 0
		resp.HasNext = &next
	}
	if r.IntN(3) == 0 {
		resp.Extensions = map[string]any{"cost": r.IntN(1000), "note": drawString(r), "data": nil}
	}
	return resp
}

func drawValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(7); {
	case depth == 0 || n == 0:
		return drawString(r)
	case n == 1:
		return r.IntN(1 << 20)
	case n == 2:
		return r.Float64() * 1e6
	case n == 3:
		return nil
	case n == 4:
		return r.IntN(2) == 0
	case n == 5:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = drawValue(r, depth-1)
		}
		return l
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[drawString(r)] = drawValue(r, depth-1)
		}
		return m
	}
}

// writeAsGqlgen writes v as gqlgen's executor writes data: its own marshalers, which escape
// neither HTML's characters nor U+2028.
func writeAsGqlgen(w *bytes.Buffer, v any) {
	switch v := v.(type) {
	case string:
		graphql.MarshalString(v).MarshalGQL(w)
	case int:
		graphql.MarshalInt(v).MarshalGQL(w)
	case float64:
		graphql.MarshalFloat(v).MarshalGQL(w)
	case bool:
		graphql.MarshalBoolean(v).MarshalGQL(w)
	case nil:
		w.WriteString("null")
	case []any:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(',')
			}
			writeAsGqlgen(w, e)
		}
		w.WriteByte(']')
	case map[string]any:
		w.WriteByte('{')
		i := 0
		for k, e := range v {
			if i > 0 {
				w.WriteByte(',')
			}
			i++
			graphql.MarshalString(k).MarshalGQL(w)
			w.WriteByte(':')
			writeAsGqlgen(w, e)
		}
		w.WriteByte('}')
	}
}

var alphabet = []string{"a", "Z", "0", " ", "<", ">", "&", `"`, `\`, "/", "\n", "\t", "\x01", "\u2028", "\u2029", "é", "苏州", "信用", "\U0001F600", "data", ":", "null"}

func drawString(r *rand.Rand) string {
	var b bytes.Buffer
	for range r.IntN(8) {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
)

// overHTTP brings a gqlgen HTTP transport in line with the GraphQL-over-HTTP spec's
// recommendations for request errors (the document does not parse or validate, variables do
// not coerce, no query): gqlgen answers them 422, and with "data": null under
// application/graphql-response+json. The spec asks for 200 under application/json (the legacy
// media type, whose clients read errors from the body) and for no data entry at all under
// application/graphql-response+json, whose 4xx status already says nothing ran. Field errors
// during execution are untouched: they come with status 200 and data.
type overHTTP struct{ graphql.Transport }

func (t overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &requestErrorWriter{ResponseWriter: w}
	t.Transport.Do(rw, r, exec)
	rw.flush()
}

// requestErrorWriter rewrites the status of a request error and, under
// application/graphql-response+json, holds its small body back to drop the data entry.
type requestErrorWriter struct {
	http.ResponseWriter
	held *bytes.Buffer
}

func (w *requestErrorWriter) WriteHeader(code int) {
	graphQLResponse := strings.HasPrefix(w.Header().Get("Content-Type"), "application/graphql-response+json")
	switch {
	case code == http.StatusUnprocessableEntity && !graphQLResponse:
		code = http.StatusOK
	case code >= 400 && code < 500 && graphQLResponse:
		w.held = new(bytes.Buffer)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *requestErrorWriter) Write(b []byte) (int, error) {
	if w.held != nil {
		return w.held.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *requestErrorWriter) flush() {
	if w.held == nil {
		return
	}
	body := w.held.Bytes()
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		delete(fields, "data")
		if b, err := json.Marshal(fields); err == nil {
			body = b
		}
	}
	_, _ = w.ResponseWriter.Write(body)
}

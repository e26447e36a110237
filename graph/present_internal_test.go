package graph

import (
	"context"
	"io"
	"log/slog"
)

// AnswerFor is what a caller is told of err, code and message, as the error presenter says it
// at the edge: tests that drive the data layer directly classify its errors the one way clients
// see them.
func AnswerFor(ctx context.Context, err error) (code, msg string) {
	e := presentError(slog.New(slog.NewTextHandler(io.Discard, nil)))(ctx, err)
	code, _ = e.Extensions["code"].(string)
	return code, e.Message
}

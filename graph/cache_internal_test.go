package graph

import (
	"context"
	"strings"
	"testing"

	lru "github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// The document and persisted-query caches keep short query texts and refuse long ones, so
// a caller sending megabyte-sized queries cannot pin memory through them.
func TestCachesKeepOnlyShortQueries(t *testing.T) {
	ctx := context.Background()
	long := "{ viewer { role } }" + strings.Repeat(" ", maxCachedQuery)
	docs := bounded[*ast.QueryDocument]{lru.New[*ast.QueryDocument](10)}
	docs.Add(ctx, "{ viewer { role } }", &ast.QueryDocument{})
	docs.Add(ctx, long, &ast.QueryDocument{})
	if _, ok := docs.Get(ctx, "{ viewer { role } }"); !ok {
		t.Error("a short document was not kept")
	}
	if _, ok := docs.Get(ctx, long); ok {
		t.Error("a document longer than maxCachedQuery was kept")
	}
	apq := bounded[string]{lru.New[string](10)}
	apq.Add(ctx, "hash-short", "{ viewer { role } }")
	apq.Add(ctx, "hash-long", long)
	if _, ok := apq.Get(ctx, "hash-short"); !ok {
		t.Error("a short persisted query was not kept")
	}
	if _, ok := apq.Get(ctx, "hash-long"); ok {
		t.Error("a persisted query longer than maxCachedQuery was kept")
	}
}

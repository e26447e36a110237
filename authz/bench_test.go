package authz

import (
	"context"
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

// go test ./authz -run '^$' -bench . -benchmem
func BenchmarkEnforce(b *testing.B) {
	a, err := New(context.Background(), &memStore{rules: append(BuiltinPolicy(), demoBindings...)}, nil, Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !a.Enforce("market-sup", "market", RecordsOf(vocab.Labour), ReadPublic) {
			b.Fatal("denied")
		}
	}
}

// BenchmarkPermissions derives a subject's whole permission set (what a request pays on the
// first call per token and policy version; later calls hit the cache).
func BenchmarkPermissions(b *testing.B) {
	a, err := New(context.Background(), &memStore{rules: append(BuiltinPolicy(), demoBindings...)}, nil, Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.cache.Clear()
			a.Permissions(TokenSubject("aud-two"))
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.Permissions(TokenSubject("aud-two"))
		}
	})
}

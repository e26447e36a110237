package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/creditgraph/creditgraph/authz"
)

// A caller who has spent its burst stays limited however many other callers the limiter has
// seen since: a spray of public addresses (an IPv6 block holds billions) must not buy a token,
// or anyone, a fresh bucket.
func TestRateLimitSurvivesAnAddressSpray(t *testing.T) {
	l := newRateLimiter(rate.Limit(0.001), 1, newMetrics(prometheus.NewRegistry()))
	token := authz.NewContext(context.Background(), &authz.Viewer{TokenName: "clerk"})
	public := context.WithValue(context.Background(), clientAddrKey{}, "192.0.2.7")
	for _, ctx := range []context.Context{token, public} {
		if d := l.wait(ctx); d != 0 {
			t.Fatalf("the first request waits %s", d)
		}
		if l.wait(ctx) == 0 {
			t.Fatal("the second request is not limited")
		}
	}
	for i := range maxBuckets + 1 {
		l.wait(context.WithValue(context.Background(), clientAddrKey{}, fmt.Sprintf("2001:db8::%x", i)))
		if i%(maxBuckets/4) == 0 && i < maxBuckets { // the limited callers come back now and then
			l.wait(token)
			l.wait(public)
		}
	}
	if l.wait(token) == 0 {
		t.Error("after the spray the token's spent bucket was refilled")
	}
	if l.wait(public) == 0 {
		t.Error("after the spray the address's spent bucket was refilled")
	}
}

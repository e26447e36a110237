package graph_test

import (
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Any input to the main mutations is either accepted or refused as the caller's mistake: never
// an internal error, never a crash.
//
//	go test ./graph -run '^$' -fuzz FuzzMutationInputs -fuzztime 60s -fuzzminimizetime 5s
//
// (One execution is an HTTP request and a database write, so minimizing a new input is slow;
// the short bound keeps the run from pausing up to a minute per input.)
func FuzzMutationInputs(f *testing.F) {
	env := newEnv(f, storagetest.Engines()[0], 0)
	for _, s := range [][3]string{
		{"91350100M000100Y43", "福州某公司", "2020-01-01"}, {"9135 0100-m000100y43", "", "2099-01-01"},
		{"00000000000000000X", "x", "not a date"}, {"11010519491231002X", "李四", "2020-02-30"}, {"", "\x00", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, code, name, date string) {
		c := env.as("demo-credit-office") // the one demo role that may record persons
		c.t = t
		for _, q := range []struct {
			query string
			vars  map[string]any
		}{
			{`mutation($u: String!, $n: String!, $d: Date) { createMarketEntity(input: {uscc: $u, name: $n, establishedOn: $d}) { id } }`,
				map[string]any{"u": code, "n": name, "d": date}},
			{`mutation($i: String!, $n: String!) { createNaturalPerson(input: {idNumber: $i, name: $n}) { id } }`,
				map[string]any{"i": code, "n": name}},
		} {
			r := c.post(q.query, q.vars)
			for _, e := range r.Errors {
				if code := e.Extensions["code"]; code == "INTERNAL" || code == nil {
					t.Fatalf("input %q %q %q: %s (%v)", code, name, date, e.Message, e.Extensions)
				}
			}
		}
	})
}

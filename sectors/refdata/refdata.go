// Package refdata reads the reference rows that validating a record needs — departments and
// publicity rules — and memoises them for the length of one batch write, so a batch of 1,000
// penalties reads each reference row once instead of once per row. Outside a batch every call
// reads the database, so a change to a department or a rule is seen at once.
package refdata

import (
	"context"
	"sync"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
)

type cacheKey struct{}

type cache struct {
	mu    sync.Mutex
	deps  map[int]*ent.Department
	rules []*ent.PublicityRule // nil until loaded
}

// WithCache returns ctx carrying a memo for one batch write. Use it only for the length of a
// transaction: the memo does not see changes made after a row was first read.
func WithCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &cache{deps: map[int]*ent.Department{}})
}

func from(ctx context.Context) *cache { c, _ := ctx.Value(cacheKey{}).(*cache); return c }

// internal reads reference data whoever the caller is: every writer may know the deciding
// department and the rules that apply to what it writes.
func internal(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// Department returns the department with id.
func Department(ctx context.Context, c *ent.Client, id int) (*ent.Department, error) {
	memo := from(ctx)
	if memo != nil {
		memo.mu.Lock()
		d, ok := memo.deps[id]
		memo.mu.Unlock()
		if ok {
			return d, nil
		}
	}
	d, err := c.Department.Get(internal(ctx), id)
	if err != nil {
		return nil, err
	}
	if memo != nil {
		memo.mu.Lock()
		memo.deps[id] = d
		memo.mu.Unlock()
	}
	return d, nil
}

// PublicityRules returns every publicity rule, oldest first: a few dozen rows, filtered by the
// caller.
func PublicityRules(ctx context.Context, c *ent.Client) ([]*ent.PublicityRule, error) {
	memo := from(ctx)
	if memo != nil {
		memo.mu.Lock()
		rules := memo.rules
		memo.mu.Unlock()
		if rules != nil {
			return rules, nil
		}
	}
	rules, err := c.PublicityRule.Query().Order(ent.Asc(publicityrule.FieldID)).All(internal(ctx))
	if err != nil {
		return nil, err
	}
	if memo != nil {
		memo.mu.Lock()
		memo.rules = rules
		memo.mu.Unlock()
	}
	return rules, nil
}

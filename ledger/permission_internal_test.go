package ledger

import (
	"reflect"
	"strings"
	"testing"

	gen "github.com/creditgraph/creditgraph/ent"
	_ "github.com/creditgraph/creditgraph/ent/runtime"
)

// Every type of the schema (a client of gen.Client) has its policy in the engine's table, and
// the table holds what the generated runtime set: a new type cannot be written past
// permissionFirst unknown.
func TestEveryTypeHasItsPolicy(t *testing.T) {
	n := 0
	for f := range reflect.TypeFor[gen.Client]().Fields() {
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Client") || f.Name == "Client" {
			continue
		}
		n++
		policy, ok := policies[f.Name]
		switch {
		case !ok:
			t.Errorf("%s has no entry in ledger.policies", f.Name)
		case policy() == nil:
			t.Errorf("ledger.policies[%s] is nil: the runtime set no policy for it", f.Name)
		}
	}
	if n < 30 || n != len(policies) {
		t.Errorf("%d types on the client, %d policies in the table", n, len(policies))
	}
}

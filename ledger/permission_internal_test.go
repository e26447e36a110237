package ledger

import (
	"reflect"
	"strings"
	"testing"

	gen "github.com/creditgraph/creditgraph/ent"
	_ "github.com/creditgraph/creditgraph/ent/runtime"
)

// Every type of the schema (a client of gen.Client) has a privacy policy that gen.PolicyOf finds
// (ent/template/policies.tmpl): a new type cannot be written past permissionFirst unjudged.
func TestEveryTypeHasItsPolicy(t *testing.T) {
	n := 0
	for f := range reflect.TypeFor[gen.Client]().Fields() {
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Client") || f.Name == "Client" {
			continue
		}
		n++
		if gen.PolicyOf(f.Name) == nil {
			t.Errorf("%s has no privacy policy", f.Name)
		}
	}
	if n < 30 {
		t.Errorf("%d types on the client: the test no longer finds them", n)
	}
}

package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/creditgraph/creditgraph/graph"
)

// Every object type of the API and every field on it has a description, so the playground's
// documentation explorer explains the whole model (descriptions come from ent schema comments).
func TestEveryTypeAndFieldIsDescribed(t *testing.T) {
	s := graph.NewSchema(graph.Deps{}).Schema()
	for name, def := range s.Types {
		if strings.HasPrefix(name, "__") || def.BuiltIn || def.Kind != ast.Object && def.Kind != ast.Interface {
			continue
		}
		if def.Description == "" && name != "Query" && name != "Mutation" {
			t.Errorf("type %s has no description", name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if f.Description == "" {
				t.Errorf("field %s.%s has no description", name, f.Name)
			}
		}
	}
}

package graph

import (
	"strings"
	"testing"
)

// Every root field of Query that is not a connection (whose rows first/last count) or a node
// lookup runs statements of its own and must be weighed in fieldCosts; every entry there names
// a field the schema has. A root field added without a weight fails here.
func TestEveryRootFieldIsWeighed(t *testing.T) {
	s := NewSchema(Deps{}).Schema()
	for _, f := range s.Query.Fields {
		if strings.HasPrefix(f.Name, "__") || f.Name == "node" || f.Name == "nodes" || f.Arguments.ForName("first") != nil {
			continue
		}
		if _, ok := fieldCosts["Query."+f.Name]; !ok {
			t.Errorf("Query.%s runs its own statements but has no weight in fieldCosts", f.Name)
		}
	}
	for key := range fieldCosts {
		typ, field, _ := strings.Cut(key, ".")
		def := s.Types[typ]
		if def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("fieldCosts weighs %s, which the schema does not have", key)
		}
	}
}

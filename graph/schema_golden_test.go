package graph_test

import (
	"bytes"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/creditgraph/creditgraph/graph"
)

var update = flag.Bool("update", false, "rewrite schema.graphql from the executable schema")

// schema.graphql at the repository root is the full schema frontends build against; it must
// equal the executable schema (refresh with go test ./graph -run SchemaFile -update).
func TestSchemaFileIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithComments()).FormatSchema(graph.NewSchema(graph.Deps{}).Schema())
	if *update {
		if err := os.WriteFile("../schema.graphql", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile("../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, buf.Bytes()) {
		t.Fatal("schema.graphql is stale: run go test ./graph -run SchemaFile -update and commit it")
	}
}

// No breaking change against the last release (schema/release.graphql) unless it is declared
// in schema/breaking-changes.txt: a type, field, argument or enum value removed, a field's type
// changed, or a new required argument.
func TestNoUndeclaredBreakingChange(t *testing.T) {
	load := func(path string) *ast.Schema {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, gerr := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(b)})
		if gerr != nil {
			t.Fatalf("%s: %v", path, gerr)
		}
		return s
	}
	old, cur := load("../schema/release.graphql"), graph.NewSchema(graph.Deps{}).Schema()
	declared := map[string]bool{}
	if b, err := os.ReadFile("../schema/breaking-changes.txt"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				declared[line] = true
			}
		}
	}
	var breaks []string
	for name, ot := range old.Types {
		if ot.BuiltIn {
			continue
		}
		nt := cur.Types[name]
		if nt == nil {
			breaks = append(breaks, "type "+name+" removed")
			continue
		}
		for _, of := range ot.Fields {
			nf := nt.Fields.ForName(of.Name)
			switch {
			case nf == nil:
				breaks = append(breaks, "field "+name+"."+of.Name+" removed")
				continue
			case nf.Type.String() != of.Type.String():
				breaks = append(breaks, "field "+name+"."+of.Name+" changed type "+of.Type.String()+" → "+nf.Type.String())
			}
			for _, oa := range of.Arguments {
				if nf.Arguments.ForName(oa.Name) == nil {
					breaks = append(breaks, "argument "+name+"."+of.Name+"("+oa.Name+") removed")
				}
			}
			for _, na := range nf.Arguments {
				if of.Arguments.ForName(na.Name) == nil && na.Type.NonNull && na.DefaultValue == nil {
					breaks = append(breaks, "argument "+name+"."+of.Name+"("+na.Name+") added as required")
				}
			}
		}
		for _, ov := range ot.EnumValues {
			if nt.EnumValues.ForName(ov.Name) == nil {
				breaks = append(breaks, "enum value "+name+"."+ov.Name+" removed")
			}
		}
	}
	sort.Strings(breaks)
	for _, b := range breaks {
		if !declared[b] {
			t.Errorf("undeclared breaking change: %s (declare it in schema/breaking-changes.txt with a release note)", b)
		}
	}
}

//go:build ignore

// entc.go runs ent's code generator with the entgql extension; generate.go at the module root
// calls it. It writes ent/ and graph/ent.graphql.
package main

import (
	"fmt"
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(describe),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureGlobalID,
			// Raw statements for the few set-based writes the ORM has no verb for (evaluator.store).
			gen.FeatureExecQuery,
			// Modify: the dashboards count with GROUP BY over expressions (a record's month), through
			// ent so the privacy rules still filter them.
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// describe gives every generated type and field a description, as the API promises: entgql
// carries field comments over but not the type comment (schema.Comment), the comments of
// edges exposed as connections, nor the id and list fields.
func describe(g *gen.Graph, s *ast.Schema) error {
	query := s.Types["Query"]
	for _, t := range g.Nodes {
		def := s.Types[t.Name]
		if def == nil {
			continue
		}
		doc := typeComment(t)
		if def.Description == "" {
			def.Description = doc
		}
		for _, f := range def.Fields {
			if f.Description != "" {
				continue
			}
			if f.Name == "id" {
				f.Description = "Global ID of the " + t.Name + ", unique across all types; use it with node(id:)."
				continue
			}
			for _, e := range t.Edges {
				if lowerCamel(e.Name) == f.Name {
					f.Description = e.Comment()
				}
			}
		}
		if query == nil {
			continue
		}
		for _, f := range query.Fields {
			if f.Type.Name() == t.Name+"Connection" && f.Description == "" {
				f.Description = fmt.Sprintf("Lists %s records: %s Supports Relay pagination, where filters and orderBy.", t.Name, strings.TrimSuffix(doc, ".")+".")
			}
		}
	}
	return nil
}

// typeComment reads the schema.Comment annotation of a type.
func typeComment(t *gen.Type) string {
	if a, ok := t.Annotations["Comment"].(map[string]any); ok {
		if text, ok := a["Text"].(string); ok {
			return text
		}
	}
	return ""
}

func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

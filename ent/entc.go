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
		entgql.WithSchemaHook(describe, typeable, describeInputs, noAppends),
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
	}, entc.Extensions(ex),
		// ent.PolicyOf(type): each type's privacy policy by name, for the write engine's
		// permission check (ledger.permissionFirst).
		entc.TemplateFiles("./ent/template/policies.tmpl"))
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

// typeable makes the generated schema say what a typed client may rely on: a connection's
// edges and each edge's node are always present (entgql follows the Relay spec's nullable
// defaults), and the builtin Time scalar names its format.
func typeable(g *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		if !strings.HasSuffix(name, "Connection") {
			continue
		}
		edges := def.Fields.ForName("edges")
		if edges == nil || edges.Type.Elem == nil {
			continue
		}
		edgeType := edges.Type.Elem.Name()
		edges.Type = ast.NonNullListType(ast.NonNullNamedType(edgeType, nil), nil)
		edges.Description = "The " + strings.TrimSuffix(name, "Connection") + " records on this page, each with its cursor; empty when none match."
		if edge := s.Types[edgeType]; edge != nil {
			if node := edge.Fields.ForName("node"); node != nil {
				node.Type = ast.NonNullNamedType(node.Type.Name(), nil)
				node.Description = "The " + strings.TrimSuffix(name, "Connection") + " record."
			}
			if cursor := edge.Fields.ForName("cursor"); cursor != nil {
				cursor.Description = "Where this record is in the connection: pass it as after (or before) to page on from here."
			}
			edge.Description = "One " + strings.TrimSuffix(name, "Connection") + " record of a page, with its cursor."
		}
		def.Description = "A page of " + strings.TrimSuffix(name, "Connection") + " records (Relay connection), with the total count of records matching the filter."
		if tc := def.Fields.ForName("totalCount"); tc != nil {
			tc.Description = "How many records match the filter in all, across every page; counts only records the caller may read."
		}
	}
	for _, t := range g.Nodes {
		for _, f := range t.Fields {
			enum := s.Types[t.Name+pascal(f.Name)]
			if f.IsEnum() && enum != nil && enum.Kind == ast.Enum && strings.Contains(enum.Description, "is enum for the field") {
				enum.Description = "Values of " + t.Name + "." + lowerCamel(f.Name) + ": " + f.Comment()
			}
		}
	}
	for name, doc := range sharedEnums {
		if t := s.Types[name]; t != nil && strings.Contains(t.Description, "is enum for the field") {
			t.Description = doc
		}
	}
	if t := s.Types["Time"]; t != nil {
		t.Description = "An instant, written in RFC 3339 with its UTC offset, e.g. 2026-12-02T17:15:00+08:00."
		t.Directives = append(t.Directives, specifiedBy("https://datatracker.ietf.org/doc/html/rfc3339"))
	}
	if t := s.Types["Cursor"]; t != nil {
		t.Description = "An opaque position in a connection (an edge's cursor, or pageInfo's startCursor and endCursor); pass it back as after or before, never build one."
	}
	return nil
}

// sharedEnums describe the enums of package vocab that several types use; entgql would
// describe each by the first field it met.
var sharedEnums = map[string]string{
	"CreditGrade":  "Composite credit grade (公共信用综合评价等级): EXCELLENT 优, GOOD 良, MEDIUM 中, POOR 差.",
	"EntityKind":   "Kind of registered organisation (机构类别), read from the USCC's first two characters (GB 32100-2015).",
	"Gender":       "Gender, as the resident ID number states it (第17位).",
	"IDType":       "Type of identity document (证件类型).",
	"RecordStatus": "Where a record stands in its publication life cycle: PUBLISHED 公示中, REPAIRED 已修复, EXPIRED 公示期满, WITHDRAWN 撤销, CORRECTED 已更正.",
	"RiskTier":     "Supervision risk tier (信用风险分类): A low, B fairly low, C fairly high, D high; it sets how often the entity is inspected.",
	"Scale":        "A rule table with dated rows: ENV_CREDIT_JS 江苏环保信用 colour bands, EIA_POINTS 环评失信记分 thresholds, REPAIR_WAIVERS 修复豁免.",
	"Sector":       "Area of supervision of a department (所属领域); its lower-case form is the department code in tokens and policies.",
	"Severity":     "Severity of dishonest conduct (失信严重程度): MINOR 轻微, GENERAL 一般, SERIOUS 严重.",
}

// specifiedBy is the @specifiedBy directive of a scalar.
func specifiedBy(url string) *ast.Directive {
	return &ast.Directive{Name: "specifiedBy", Arguments: ast.ArgumentList{{Name: "url",
		Value: &ast.Value{Kind: ast.StringValue, Raw: url}}}}
}

// predicateSuffixes say, for each suffix entgql gives a where-input field, what it asks of
// the field; the empty suffix is equality.
var predicateSuffixes = []struct{ suffix, says string }{
	{"NEQ", "is not"}, {"NotIn", "is none of"}, {"In", "is one of"}, {"GTE", "is at least"}, {"GT", "is after (greater than)"},
	{"LTE", "is at most"}, {"LT", "is before (less than)"}, {"ContainsFold", "contains, ignoring case,"}, {"Contains", "contains"},
	{"HasPrefix", "starts with"}, {"HasSuffix", "ends with"}, {"EqualFold", "equals, ignoring case,"},
	{"IsNil", "is absent (true) or present (false)"}, {"NotNil", "is present (true) or absent (false)"}, {"", "equals"},
}

// describeInputs replaces the boilerplate entgql writes on where, create and update inputs
// ("… was generated by ent.", "created_at field predicates") with what each input and field
// means, taken from the field it filters or sets.
func describeInputs(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		var typeName string
		switch {
		case strings.HasSuffix(name, "WhereInput"):
			typeName = strings.TrimSuffix(name, "WhereInput")
			def.Description = "Filters " + typeName + " records: every condition given must hold; combine with and, or and not."
		case strings.HasPrefix(name, "Create") && strings.HasSuffix(name, "Input") && s.Types[strings.TrimSuffix(strings.TrimPrefix(name, "Create"), "Input")] != nil:
			typeName = strings.TrimSuffix(strings.TrimPrefix(name, "Create"), "Input")
			def.Description = "A new " + typeName + ": its fields as the caller sets them; the server derives the rest."
			describeFromType(def, s.Types[typeName])
			continue
		case strings.HasPrefix(name, "Update") && strings.HasSuffix(name, "Input") && s.Types[strings.TrimSuffix(strings.TrimPrefix(name, "Update"), "Input")] != nil:
			typeName = strings.TrimSuffix(strings.TrimPrefix(name, "Update"), "Input")
			def.Description = "Changes to a " + typeName + ": fields left out keep their value; clear… fields empty an optional one."
			for _, f := range def.Fields {
				if rest, ok := strings.CutPrefix(f.Name, "clear"); ok && f.Description == "" {
					f.Description = "Empty " + strings.ToLower(rest[:1]) + rest[1:] + "."
				}
			}
			describeFromType(def, s.Types[typeName])
			continue
		default:
			continue
		}
		target := s.Types[typeName]
		for _, f := range def.Fields {
			switch f.Name {
			case "not":
				f.Description = "Records that do not match this filter."
				continue
			case "and":
				f.Description = "Records that match every one of these filters."
				continue
			case "or":
				f.Description = "Records that match at least one of these filters."
				continue
			}
			if edge, ok := strings.CutPrefix(f.Name, "has"); ok && edge != "" {
				edge = strings.ToLower(edge[:1]) + edge[1:]
				if base, ok := strings.CutSuffix(edge, "With"); ok {
					f.Description = "Records with a " + base + " that matches every one of these filters."
				} else {
					f.Description = "Records with (true) or without (false) a " + edge + "."
				}
				continue
			}
			for _, p := range predicateSuffixes {
				base, ok := strings.CutSuffix(f.Name, p.suffix)
				if !ok || base == "" || target == nil || target.Fields.ForName(base) == nil {
					continue
				}
				meaning := strings.TrimSuffix(firstSentence(target.Fields.ForName(base).Description), ".")
				f.Description = base + " " + p.says
				switch p.suffix {
				case "In", "NotIn":
					f.Description += " these"
				case "IsNil", "NotNil":
				default:
					f.Description += " this"
				}
				f.Description += "."
				if meaning != "" {
					f.Description += " " + base + ": " + meaning + "."
				}
				break
			}
		}
	}
	return nil
}

// describeFromType gives an input's undescribed fields the description of the type's field of
// the same name, or for an edge's ID (penaltyID) that of the edge (penalty).
func describeFromType(input, typ *ast.Definition) {
	if typ == nil {
		return
	}
	for _, f := range input.Fields {
		if f.Description != "" {
			continue
		}
		if tf := typ.Fields.ForName(f.Name); tf != nil && tf.Description != "" {
			f.Description = tf.Description
		} else if tf := typ.Fields.ForName(strings.TrimSuffix(f.Name, "ID")); tf != nil && tf.Description != "" {
			f.Description = "ID of: " + tf.Description
		}
	}
}

// firstSentence is the first sentence of a description.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func pascal(s string) string {
	c := lowerCamel(s)
	return strings.ToUpper(c[:1]) + c[1:]
}

// noAppends takes the append… fields out of the update inputs. entgql v0.7.0's Update…Input
// Mutate appends the set field's value when append… is given (m.AppendX(i.X), not i.AppendX;
// ent/contrib pull request 639): an append alone changed nothing though it answered success,
// and an append beside a set added the set list twice. A list is changed by setting it whole.
func noAppends(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		if !strings.HasPrefix(name, "Update") || !strings.HasSuffix(name, "Input") {
			continue
		}
		kept := def.Fields[:0]
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "append") {
				kept = append(kept, f)
			}
		}
		def.Fields = kept
	}
	return nil
}

// Package schema declares the credit graph: every entity, its fields, edges, indexes and the
// annotations that decide its GraphQL shape (entgql). Everything else under ent/ is generated
// from here by `go generate ./...`.
package schema

import (
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/vocab"
)

// dateType stores legal dates as DATE on MySQL (no 2038 limit of TIMESTAMP).
var dateType = map[string]string{dialect.MySQL: "date"}

// timeType stores instants as DATETIME on MySQL (no 2038 limit of TIMESTAMP).
var timeType = map[string]string{dialect.MySQL: "datetime(6)"}

// decimalType stores amounts in 10,000 CNY exactly on MySQL; SQLite keeps them as NUMERIC.
var decimalType = map[string]string{dialect.MySQL: "decimal(18,6)", dialect.SQLite: "numeric"}

// maxText bounds every long text, in bytes, so both engines refuse the same texts (the column
// stays a long text: a bound through MaxLen would make it a VARCHAR on MySQL).
const maxText = 65535

// boundedText refuses a text over maxText bytes.
func boundedText(s string) error {
	if len(s) > maxText {
		return fmt.Errorf("is %d bytes long; at most %d are allowed", len(s), maxText)
	}
	return nil
}

// dateGQL shows a calendar-date field as the GraphQL scalar Date ("2006-01-02").
var dateGQL = entgql.Type("Date")

// noInput keeps a derived field out of the create and update inputs.
var noInput = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// TimeMixin records when a row was created and last changed.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Comment("When the row was created.").
			Default(time.Now).Immutable().SchemaType(timeType).
			Annotations(entgql.OrderField("CREATED_AT"), noInput),
		field.Time("updated_at").Comment("When the row last changed.").
			Default(time.Now).UpdateDefault(time.Now).SchemaType(timeType).
			Annotations(entgql.OrderField("UPDATED_AT"), noInput),
	}
}

// RecordMixin is what every sector record shares (domain.md §2.2): the sector and department
// that decided it, its subject (an entity, a person, or both), severity, publication status and
// its key in the source system, which makes re-sending a record idempotent.
type RecordMixin struct {
	mixin.Schema
	// Ref is the name of the edge back to this record type on MarketEntity, NaturalPerson and
	// Department (e.g. "penalties").
	Ref string
	// SeverityRequired marks the record types that always state a severity (penalties and
	// list entries); the others have none or may leave it out.
	SeverityRequired bool
}

// Fields of the RecordMixin.
func (m RecordMixin) Fields() []ent.Field {
	severity := field.Enum("severity").GoType(vocab.Severity(""))
	if !m.SeverityRequired {
		severity = severity.Optional().Nillable()
	}
	return []ent.Field{
		field.Enum("sector").GoType(vocab.Sector("")).
			Comment("Sector of the deciding department (所属领域); set from the department.").
			Annotations(noInput, entgql.Type("Sector")),
		severity.
			Comment("Severity of the dishonest conduct (失信严重程度): MINOR 轻微, GENERAL 一般, SERIOUS 严重.").
			Annotations(entgql.Type("Severity")),
		field.Enum("status").GoType(vocab.RecordStatus("")).Default(string(vocab.Published)).
			Comment("Publication status (公示状态); changed only by its workflows (repair, objections, expiry), never by a generic update.").
			Annotations(entgql.Type("RecordStatus"), noInput),
		field.String("source_system").NotEmpty().MaxLen(64).
			Comment("System that sent the record (数据来源系统)."),
		field.String("source_record_id").NotEmpty().MaxLen(128).Immutable().
			Comment("The record's id in the source system; with sourceSystem unique, so re-sending is idempotent."),
		field.Bool("under_objection").Default(false).
			Comment("Whether an objection (异议) against the record is being handled; it then triggers no joint punishment and no evaluation gate.").
			Annotations(noInput),
		field.Bool("epidemic_related").Default(false).Immutable().
			Comment("The conduct was caused by the epidemic (因疫情导致); with sme, in a declared exemption period, the record is kept but exempt from listing effects and measures."),
		field.Bool("sme").Default(false).Immutable().Comment("The subject is a small or medium-sized enterprise (中小企业)."),
		field.String("exemption").Optional().MaxLen(64).Annotations(noInput).
			Comment("Name of the exemption period that exempts the record from measures and gates, if any."),
		field.Int("department_id").Immutable().
			Comment("Deciding department (认定单位)."),
		field.Int("entity_id").Optional().Immutable().
			Comment("Market entity the record is about."),
		field.Int("person_id").Optional().Immutable().
			Comment("Natural person the record is about; null for callers who may not read persons.").
			// Not a filter: the public could link one person's records through it.
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of the RecordMixin.
func (m RecordMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("department", Department.Type).Ref(m.Ref).Field("department_id").Unique().Required().Immutable().
			Comment("Deciding department (认定单位)."),
		edge.From("entity", MarketEntity.Type).Ref(m.Ref).Field("entity_id").Unique().Immutable().
			Comment("Market entity the record is about."),
		edge.From("person", NaturalPerson.Type).Ref(m.Ref).Field("person_id").Unique().Immutable().
			Comment("Natural person the record is about.").
			// Records are public, persons are not: no filtering records by their person.
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the RecordMixin. A source key is its department's: another department sending
// the same key writes a record of its own, and cannot learn of or squat on the first one. The
// key's index leads with department_id, so it also serves the department's foreign key. Its
// name is short and says what it is (<ref>_source_key): ent would shorten the long name to a
// hash, and a duplicate key on MySQL is reported by the index's name only. Lookups by the key
// alone (the system's own derived records, a frontend's filter on sourceRecordID) keep an
// index of their own (<ref>_source), not unique.
func (m RecordMixin) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("department_id", "source_system", "source_record_id").Unique().StorageKey(m.Ref + "_source_key"),
		index.Fields("source_system", "source_record_id").StorageKey(m.Ref + "_source"),
		index.Fields("entity_id", "sector"),
		index.Fields("person_id"),
	}
}

// reference is what a reference or registry type declares besides its fields and edges: its
// API annotations, who reads it and who writes it.
type reference struct {
	mixin.Schema
	read        rule.Reader
	write       rule.Writer
	annotations []schema.Annotation
}

// Policy of a reference type.
func (m reference) Policy() ent.Policy { return registryPolicy(m.read, m.write) }

// Annotations of a reference type.
func (m reference) Annotations() []schema.Annotation { return m.annotations }

// listed are the annotations of a type with a top-level Relay connection and its description.
func listed(doc string) []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), schema.Comment(doc)}
}

// storedAt is when a reference row (a rule set, a time limit, …) was stored.
func storedAt() ent.Field {
	return field.Time("created_at").Default(time.Now).Immutable().SchemaType(timeType).Comment("When it was stored.")
}

// editable are the annotations of a listed type that callers create (and update) through
// the API's mutations.
func editable(doc string, mutations ...entgql.MutationOption) []schema.Annotation {
	return append(listed(doc), entgql.Mutations(mutations...))
}

// owner is the required, immutable edge from a row to what owns it, through its field.
func owner(name string, t any, ref, fieldName, doc string) ent.Edge {
	return edge.From(name, t).Ref(ref).Field(fieldName).Unique().Required().Immutable().Comment(doc)
}

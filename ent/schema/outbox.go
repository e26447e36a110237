package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxEvent is one credit event as its transaction committed it, for the instances that did
// not make it: with shared events on (several instances on one database), sectors/events
// writes a transaction's events into this table in that transaction, numbered by the
// transaction's place in commit order (seq, from OutboxSequence), and every instance's relay
// reads the table in that order and hands the events to its own subscribers. Rows are
// deleted after the retention.
type OutboxEvent struct{ ent.Schema }

// Fields of the OutboxEvent.
func (OutboxEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Immutable().Comment("The writing transaction's place in commit order (OutboxSequence)."),
		field.String("type").Immutable().MaxLen(32).Comment("Event type (RECORDED, ENDED, TIER_CHANGED …)."),
		field.String("kind").Immutable().Default("").MaxLen(32).Comment("Record type; empty for a tier change."),
		field.String("sector").Immutable().Default("").MaxLen(32).Comment("Sector of the record; empty for a tier change."),
		field.Int("record_id").Immutable(),
		field.Int("entity_id").Immutable().Default(0),
		field.Int("document_id").Immutable().Default(0).Comment("The workflow document a decision event tells of (a repair application, an objection); 0 for none."),
		field.String("summary").Immutable().Default("").MaxLen(512),
		field.Time("at").Immutable().SchemaType(timeType).Comment("When the event happened."),
		field.String("origin").Immutable().Default("").MaxLen(64).Comment("Instance that committed it (diagnostics)."),
	}
}

// Indexes of the OutboxEvent: the relays read in (seq, id) order.
func (OutboxEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("seq")}
}

// Policy of the OutboxEvent: written and read by sectors/events only, as the system.
func (OutboxEvent) Policy() ent.Policy { return systemOnly() }

// Annotations of the OutboxEvent: not part of the GraphQL API.
func (OutboxEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// OutboxSequence is the one row (id 1) whose counter numbers the transactions that write
// events, in commit order: a transaction increments it just before it commits and holds the
// row until then, so a higher number is never visible before a lower one — on one MariaDB
// by the row lock, on a Galera cluster by certification (two nodes cannot both commit the
// same increment; the loser is rolled back and retried).
type OutboxSequence struct{ ent.Schema }

// Fields of the OutboxSequence.
func (OutboxSequence) Fields() []ent.Field {
	return []ent.Field{field.Int64("n").Default(0)}
}

// Policy of the OutboxSequence: sectors/events only, as the system.
func (OutboxSequence) Policy() ent.Policy { return systemOnly() }

// Annotations of the OutboxSequence: not part of the GraphQL API.
func (OutboxSequence) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

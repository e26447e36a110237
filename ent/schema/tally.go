package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// tallyKey is the key both tally tables count market entities by: the dimensions of the
// dashboards' entity counts and of the supervisors' tier counts. An empty string stands for
// an empty value (an entity not yet evaluated has no tier), so the key is unique in MariaDB,
// whose unique indexes let NULLs repeat.
func tallyKey() []ent.Field {
	return []ent.Field{
		field.String("city_code").Default("").MaxLen(6),
		field.String("division_code").Default("").MaxLen(6),
		field.String("risk_tier").Default("").MaxLen(1),
		field.String("credit_grade").Default("").MaxLen(16),
		field.String("entity_kind").Default("").MaxLen(32),
		field.String("status").Default("").MaxLen(16),
	}
}

// EntityTally is how many market entities have one key, as of the last compaction
// (storage/tally): the counts the dashboards read in time that does not grow with the data.
// Rows are written by the compactor only, in key order.
type EntityTally struct{ ent.Schema }

// Fields of the EntityTally.
func (EntityTally) Fields() []ent.Field {
	return append(tallyKey(), field.Int64("n").Default(0))
}

// Indexes of the EntityTally.
func (EntityTally) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("city_code", "division_code", "risk_tier", "credit_grade", "entity_kind", "status").Unique(),
		index.Fields("risk_tier"),
	}
}

// Policy of the EntityTally: read and written by storage/tally, whose callers check the
// reader of market entities.
func (EntityTally) Policy() ent.Policy { return systemOnly() }

// Annotations of the EntityTally: not part of the GraphQL API.
func (EntityTally) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// EntityRegisterTally is EntityTally without the evaluation's dimensions (tier and grade): how
// many market entities have one place, kind and status, as of the last compaction. The counts
// that ask nothing of the evaluation read it: about a third of EntityTally's rows at Jiangsu's
// size (tiers and grades multiply them), and a re-evaluation, which moves an entity between
// tiers, leaves it alone. The compactor writes it with EntityTally, in the same transaction.
type EntityRegisterTally struct{ ent.Schema }

// Fields of the EntityRegisterTally.
func (EntityRegisterTally) Fields() []ent.Field {
	var fs []ent.Field
	for _, f := range tallyKey() {
		if name := f.Descriptor().Name; name != "risk_tier" && name != "credit_grade" {
			fs = append(fs, f)
		}
	}
	return append(fs, field.Int64("n").Default(0))
}

// Indexes of the EntityRegisterTally.
func (EntityRegisterTally) Indexes() []ent.Index {
	return []ent.Index{index.Fields("city_code", "division_code", "entity_kind", "status").Unique()}
}

// Policy of the EntityRegisterTally: see EntityTally.
func (EntityRegisterTally) Policy() ent.Policy { return systemOnly() }

// Annotations of the EntityRegisterTally: not part of the GraphQL API.
func (EntityRegisterTally) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// EntityTallyDelta is one change of the tally: +1 for an entity that came to have the key,
// -1 for one that left it. Database triggers on market_entities append the rows in the
// writing transaction, so every writer (the ORM, the evaluator's bulk UPDATE, the loader)
// counts, and appends never wait on one another; the compactor folds them into EntityTally.
type EntityTallyDelta struct{ ent.Schema }

// Fields of the EntityTallyDelta.
func (EntityTallyDelta) Fields() []ent.Field {
	return append(tallyKey(), field.Int64("n"))
}

// Indexes of the EntityTallyDelta.
func (EntityTallyDelta) Indexes() []ent.Index {
	return []ent.Index{index.Fields("city_code", "risk_tier")}
}

// Policy of the EntityTallyDelta: see EntityTally.
func (EntityTallyDelta) Policy() ent.Policy { return systemOnly() }

// Annotations of the EntityTallyDelta: not part of the GraphQL API.
func (EntityTallyDelta) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll), entsql.Annotation{Table: "entity_tally_deltas"}}
}

// TallyInstall records that a tally trigger of storage/tally is in place and that the counts
// it feeds were rebuilt after it was created, in the rebuild's transaction. A trigger without
// its row was created by an Install that did not finish (stopped, or its rebuild clashed), and
// the next Install rebuilds: the trigger alone says nothing of the writes before it.
type TallyInstall struct{ ent.Schema }

// Fields of the TallyInstall.
func (TallyInstall) Fields() []ent.Field {
	return []ent.Field{
		field.String("trigger_name").MaxLen(64).Unique(),
		field.Time("installed_at").SchemaType(timeType),
	}
}

// Policy of the TallyInstall: see EntityTally.
func (TallyInstall) Policy() ent.Policy { return systemOnly() }

// Annotations of the TallyInstall: not part of the GraphQL API.
func (TallyInstall) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// ReferenceLoad records that seed.Reference brought the reference data to a build's
// expectations, and serialises those loads: each runs in one transaction that first writes
// its row, so a second load — another instance started with --migrate, on this server or
// another node of a cluster — waits for the first (or, on Galera, is aborted at certification
// and runs again) and finds its rows instead of adding them twice.
type ReferenceLoad struct{ ent.Schema }

// Fields of the ReferenceLoad.
func (ReferenceLoad) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(64).Unique(),
		field.Time("loaded_at").SchemaType(timeType),
	}
}

// Policy of the ReferenceLoad: see EntityTally.
func (ReferenceLoad) Policy() ent.Policy { return systemOnly() }

// Annotations of the ReferenceLoad: not part of the GraphQL API.
func (ReferenceLoad) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

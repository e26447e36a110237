package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// DataKeyCheck records the fingerprint of the personal-data key the database's ID numbers are
// sealed with (one row, named "personal-data"), written by the first start that checks a key
// (ledger.Engine.CheckKey). A start with another key is refused even while no person is
// stored yet: otherwise persons recorded then would be sealed, and hashed for lookup, under a
// key the rest of the data does not share, and reports issued under one key would not verify
// under the other. The fingerprint is a keyed hash (pii.Cipher.Fingerprint): it tells keys
// apart and gives nothing of the key.
type DataKeyCheck struct{ ent.Schema }

// Fields of the DataKeyCheck.
func (DataKeyCheck) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Immutable().Unique().MaxLen(32),
		field.String("fingerprint").Immutable().MaxLen(64).Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable().SchemaType(timeType),
	}
}

// Policy of the DataKeyCheck: the system's alone.
func (DataKeyCheck) Policy() ent.Policy { return systemOnly() }

// Annotations of the DataKeyCheck: not part of the GraphQL API.
func (DataKeyCheck) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/ent/privacy"
)

// CreditReportIssue is one credit report as issued (信用报告): who asked for which subject,
// edition and purpose, and the report's content frozen as canonical JSON with its SHA-256
// digest, so verifyCreditReport can tell a genuine, unchanged report from a forged or altered
// one. Written by sectors/report only; never updated or deleted.
type CreditReportIssue struct{ ent.Schema }

// Fields of the CreditReportIssue.
func (CreditReportIssue) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").Unique().Immutable().NotEmpty().MaxLen(32).Comment("Report number (报告编号)."),
		field.String("uscc").Immutable().MaxLen(18).Comment("The subject's unified social credit code."),
		field.String("edition").Immutable().MaxLen(16).Comment("PUBLIC or AUTHORITY."),
		field.String("purpose").Immutable().MaxLen(32).Comment("Purpose the report was issued for."),
		field.Time("issued_at").Immutable().SchemaType(timeType).Comment("When it was issued."),
		field.String("token_name").Immutable().MaxLen(64).Comment("Token it was issued to; public for none."),
		field.String("role").Immutable().MaxLen(32).Comment("Role of that token."),
		field.String("department").Immutable().MaxLen(32).Comment("Department code of that token."),
		field.Text("content").Immutable().Comment("The report as canonical JSON."),
		field.String("digest").Immutable().MaxLen(64).Comment("SHA-256 of content, hex."),
	}
}

// Indexes of the CreditReportIssue.
func (CreditReportIssue) Indexes() []ent.Index {
	return []ent.Index{index.Fields("uscc", "issued_at")}
}

// Policy of the CreditReportIssue: an internal register; reports are read through their
// number and verification code, never listed.
func (CreditReportIssue) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRegistry(func(*authz.Permissions) bool { return false })},
		Mutation: privacy.MutationPolicy{rule.AppendOnly(), rule.Write(rule.SystemOnly)},
	}
}

// Annotations of the CreditReportIssue: not part of the GraphQL API.
func (CreditReportIssue) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

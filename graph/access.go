package graph

import (
	"context"
	"errors"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/objection"
	"github.com/creditgraph/creditgraph/vocab"
)

// toRule reads a policy rule from its GraphQL input; authz validates it.
func toRule(in PolicyRuleInput) (authz.Rule, error) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch in.Kind {
	case PolicyKindPermission:
		if in.Resource == nil || in.Action == nil {
			return authz.Rule{}, derrors.Field("resource", "a permission needs a resource and an action")
		}
		return authz.Rule{PType: "p", V: [4]string{in.Role, in.Department, *in.Resource, *in.Action}}, nil
	case PolicyKindRoleBinding:
		if str(in.Subject) == "" {
			return authz.Rule{}, derrors.Field("subject", "a role binding needs the subject (a token name)")
		}
		return authz.Rule{PType: "g", V: [4]string{authz.TokenSubject(*in.Subject), in.Role, in.Department}}, nil
	}
	return authz.Rule{}, derrors.Field("kind", "unknown kind %q", in.Kind)
}

// fromRule shows a policy rule in GraphQL.
func fromRule(r authz.Rule) *PolicyRule {
	if r.PType == "g" {
		subject, _ := authz.TokenOf(r.V[0])
		return &PolicyRule{Kind: PolicyKindRoleBinding, Subject: &subject, Role: r.V[1], Department: r.V[2]}
	}
	res, act := r.V[2], r.V[3]
	return &PolicyRule{Kind: PolicyKindPermission, Role: r.V[0], Department: r.V[1], Resource: &res, Action: &act}
}

// personByIDNumber finds a person through the keyed hash of the number; the privacy rules
// decide whether the caller sees it.
func personByIDNumber(ctx context.Context, c *ent.Client, cipher *pii.Cipher, t vocab.IDType, number string) (*ent.NaturalPerson, error) {
	if cipher == nil {
		return nil, errors.New("no personal-data key is configured")
	}
	hash := cipher.Hash(string(t), ident.NormalizeIDNumber(number))
	p, err := c.NaturalPerson.Query().Where(naturalperson.IDTypeEQ(t), naturalperson.IDNumberHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil // Relay-style: no visible person is null, not an error
	}
	return p, err
}

// deref reads an optional string argument.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// filing reads a new objection from its GraphQL input.
func filing(in FileObjectionInput) objection.Filing {
	f := objection.Filing{Grounds: in.Grounds, Description: in.Description}
	if in.PenaltyID != nil {
		f.PenaltyID = *in.PenaltyID
	}
	if in.ListEntryID != nil {
		f.ListEntryID = *in.ListEntryID
	}
	if in.RatingID != nil {
		f.RatingID = *in.RatingID
	}
	return f
}

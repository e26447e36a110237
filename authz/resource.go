// Package authz decides who may see and change what. The Casbin model and built-in policy are
// files embedded here (model.conf, policy.csv); resources and actions are typed constants;
// Authorizer turns a caller's role bindings into Permissions once per request, and the rules
// in authz/rule apply those permissions in the data layer as SQL filters and write checks, so
// every path — GraphQL, CLI, jobs — is governed the same way. Policies live in the database
// (casbin_rule) and every instance reloads them within seconds of a change.
package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/creditgraph/creditgraph/vocab"
)

// Resource is what a permission is about.
type Resource string

// The resources. Records are per sector: RecordsOf(s).
const (
	Registry     Resource = "registry"      // entities, persons, roles, divisions, providers
	Departments  Resource = "departments"   // the department directory
	Lists        Resource = "lists"         // list entries of any sector (credit office)
	PersonalData Resource = "personal_data" // unmasked ID numbers
	AuditLog     Resource = "audit_log"
	Policy       Resource = "policy"
	Tokens       Resource = "tokens"
	// OwnFile is a credit subject's own file (主体自助): the whole credit record of the entity
	// or person a subject or person token is bound to — read; and write: sign commitments,
	// apply for repair, file objections about its own records.
	OwnFile Resource = "own_file"
)

// RecordsOf is the resource of one sector's records.
func RecordsOf(s vocab.Sector) Resource {
	return Resource("records:" + strings.ToLower(string(s)))
}

// Action is what a permission allows.
type Action string

// The actions.
const (
	Read       Action = "read"
	ReadPublic Action = "read_public"
	Write      Action = "write"
	Manage     Action = "manage"
	// Decide is taking a determining department's decisions on its sector's records: the
	// re-review (复审) of a repair application.
	Decide Action = "decide"
)

// Role names of the built-in policy.
const (
	RoleCreditOffice = "credit_office"
	RoleSupervisor   = "supervisor"
	RoleClerk        = "clerk"
	RoleAuditor      = "auditor"
	RolePublic       = "public"
	// RoleSubject is a market entity acting for itself, bound to its USCC at issue.
	RoleSubject = "subject"
	// RolePerson is a natural person acting for themself, bound to their person record.
	RolePerson = "person"
)

// Roles are the roles the built-in policy knows.
var Roles = []string{RoleCreditOffice, RoleSupervisor, RoleClerk, RoleAuditor, RolePublic, RoleSubject, RolePerson}

// PublicSubject is the subject of callers without a token: the public role itself.
const PublicSubject = "public"

// tokenNamespace starts every token's Casbin subject. Roles and departments never contain a
// colon and token names cannot, so nothing an issuer types as a name can be read as a role, a
// department or another token's subject.
const tokenNamespace = "token:"

// TokenSubject is the Casbin subject of the token named name.
func TokenSubject(name string) string { return tokenNamespace + name }

// TokenOf is the token name of a subject, and whether the subject is a token's.
func TokenOf(subject string) (string, bool) { return strings.CutPrefix(subject, tokenNamespace) }

// AllDomains is the binding domain that stands for every department.
const AllDomains = "*"

// Department codes are the lower-case sector names, used in tokens and policies.
func DepartmentCode(s vocab.Sector) string { return strings.ToLower(string(s)) }

// AllSectors are the departments' sectors in a fixed order.
var AllSectors = []vocab.Sector{vocab.Environment, vocab.Labour, vocab.Transport, vocab.Market, vocab.CreditOffice}

// SectorOf parses a department code.
func SectorOf(code string) (vocab.Sector, error) {
	for _, s := range AllSectors {
		if DepartmentCode(s) == code {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown department %q (one of environment, labour, transport, market, credit_office)", code)
}

var resourceNames = []Resource{Registry, Departments, Lists, PersonalData, AuditLog, Policy, Tokens, OwnFile}

// validResource accepts a resource name as it may appear in a policy line.
func validResource(obj string) bool {
	if slices.Contains(resourceNames, Resource(obj)) {
		return true
	}
	if rest, ok := strings.CutPrefix(obj, "records:"); ok {
		if rest == "*" || rest == "own" {
			return true
		}
		_, err := SectorOf(rest)
		return err == nil
	}
	return false
}

func validAction(act string) bool {
	return slices.Contains([]Action{Read, ReadPublic, Write, Manage, Decide}, Action(act))
}

// objMatch is the model's object matcher: "records:own" stands for the domain's own sector,
// "x:*" for every x.
func objMatch(reqObj, polObj, dom string) bool {
	if polObj == reqObj {
		return true
	}
	if polObj == "records:own" {
		return reqObj == "records:"+dom
	}
	if prefix, ok := strings.CutSuffix(polObj, "*"); ok {
		return strings.HasPrefix(reqObj, prefix)
	}
	return false
}

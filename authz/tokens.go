package authz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/apitoken"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/vocab"
)

// tokenPrefix marks creditgraph secrets so they are recognisable in logs and secret scanners.
const tokenPrefix = "cg_"

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var tokenName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// IssueRequest describes a token to issue.
type IssueRequest struct {
	Name       string
	Department string   // department code
	Role       string   // one of Roles, not public
	Scope      []string // auditors: departments (or "*"); default the token's department
	Unit       string   // clerks and supervisors: their own Department code in the sector; "" for all
	// SubjectUSCC binds a subject token to the market entity it acts for; PersonID binds a
	// person token to the natural person (the registry's ID).
	SubjectUSCC string
	PersonID    int
	Expires     time.Duration
}

// TokenService issues, lists and revokes bearer tokens. Users and tokens live in our own table;
// the role bindings they receive live in the Casbin policy.
type TokenService struct {
	Client     *ent.Client
	Authorizer *Authorizer
	Now        func() time.Time
}

// Issue stores a new token and binds its role, returning the secret, which is shown only once.
func (t TokenService) Issue(ctx context.Context, req IssueRequest) (string, error) {
	ctx = SystemContext(ctx)
	if err := t.validate(req); err != nil {
		return "", err
	}
	if err := t.validateUnit(ctx, req); err != nil {
		return "", err
	}
	own, err := t.validateOwn(ctx, req)
	if err != nil {
		return "", err
	}
	domains := bindingDomains(req)
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	create := t.Client.APIToken.Create().SetName(req.Name).SetSecretHash(hashSecret(secret)).
		SetRole(req.Role).SetDepartment(req.Department).SetScope(domains).SetUnit(req.Unit)
	if own.EntityID != 0 {
		create.SetSubjectEntityID(own.EntityID)
	}
	if own.PersonID != 0 {
		create.SetSubjectPersonID(own.PersonID)
	}
	if req.Expires > 0 {
		create.SetExpiresAt(t.now().Add(req.Expires))
	}
	if err := create.Exec(ctx); err != nil {
		if ent.IsConstraintError(err) {
			return "", derrors.Field("name", "a token named %q exists already", req.Name)
		}
		return "", err
	}
	for _, d := range domains {
		if err := t.Authorizer.AddRule(ctx, Rule{PType: "g", V: [4]string{TokenSubject(req.Name), req.Role, d}}); err != nil {
			return "", err
		}
	}
	return secret, nil
}

// validate checks an issue request; the domains of its bindings are checked as they are made.
func (t TokenService) validate(req IssueRequest) error {
	if !tokenName.MatchString(req.Name) {
		return derrors.Field("name", "%q: use 2-63 lower-case letters, digits, dots, dashes or underscores", req.Name)
	}
	if slices.Contains(Roles, req.Name) {
		return derrors.Field("name", "%q is the name of a role; choose another", req.Name)
	}
	if req.Expires < 0 {
		return derrors.Field("expires", "must be a positive duration, got %s", req.Expires)
	}
	if _, err := SectorOf(req.Department); err != nil {
		return derrors.Field("department", "%s", err)
	}
	if !slices.Contains(Roles, req.Role) || req.Role == RolePublic {
		return derrors.Field("role", "unknown role %q (credit_office, supervisor, clerk, auditor, subject, person)", req.Role)
	}
	if req.Role != RoleAuditor && len(req.Scope) > 0 {
		return derrors.Field("scope", "only auditor tokens take a scope")
	}
	for _, s := range req.Scope {
		if s == "all" || s == AllDomains {
			continue
		}
		if _, err := SectorOf(s); err != nil {
			return derrors.Field("scope", "%s", err)
		}
	}
	return nil
}

// validateUnit checks a token's unit: only clerks and supervisors take one, and it must be a
// department of the token's sector.
func (t TokenService) validateUnit(ctx context.Context, req IssueRequest) error {
	if req.Unit == "" {
		return nil
	}
	if req.Role != RoleClerk && req.Role != RoleSupervisor {
		return derrors.Field("unit", "only clerk and supervisor tokens belong to one department")
	}
	dep, err := t.Client.Department.Query().Where(department.Code(req.Unit)).Only(ctx)
	if ent.IsNotFound(err) {
		return derrors.Field("unit", "no department with code %q", req.Unit)
	}
	if err != nil {
		return err
	}
	if DepartmentCode(dep.Sector) != req.Department {
		return derrors.Field("unit", "department %s is not of the %s sector", req.Unit, req.Department)
	}
	return nil
}

// validateOwn checks a subject's or person's binding: a subject token names the USCC of a
// stored entity, a person token the ID of a stored person, and no other token names either.
func (t TokenService) validateOwn(ctx context.Context, req IssueRequest) (Own, error) {
	switch {
	case req.Role == RoleSubject:
		if req.PersonID != 0 {
			return Own{}, derrors.Field("personID", "a subject token acts for an entity; issue a person token for a person")
		}
		e, err := t.Client.MarketEntity.Query().Where(marketentity.Uscc(strings.ToUpper(strings.TrimSpace(req.SubjectUSCC)))).Only(ctx)
		if ent.IsNotFound(err) {
			return Own{}, derrors.Field("subject", "no entity with USCC %q: a subject token names the entity it acts for", req.SubjectUSCC)
		}
		if err != nil {
			return Own{}, err
		}
		return Own{EntityID: e.ID}, nil
	case req.Role == RolePerson:
		if req.SubjectUSCC != "" {
			return Own{}, derrors.Field("subject", "a person token acts for a person; issue a subject token for an entity")
		}
		if req.PersonID <= 0 {
			return Own{}, derrors.Field("personID", "a person token names the person it acts for")
		}
		if _, err := t.Client.NaturalPerson.Get(ctx, req.PersonID); ent.IsNotFound(err) {
			return Own{}, derrors.Field("personID", "no person with ID %d", req.PersonID)
		} else if err != nil {
			return Own{}, err
		}
		return Own{PersonID: req.PersonID}, nil
	case req.SubjectUSCC != "":
		return Own{}, derrors.Field("subject", "only subject tokens act for an entity")
	case req.PersonID != 0:
		return Own{}, derrors.Field("personID", "only person tokens act for a person")
	}
	return Own{}, nil
}

// bindingDomains are the departments a valid request's role is bound in.
func bindingDomains(req IssueRequest) []string {
	switch {
	case req.Role == RoleCreditOffice:
		return []string{AllDomains}
	case req.Role == RoleAuditor && len(req.Scope) > 0:
		var domains []string
		for _, s := range req.Scope {
			if s == "all" || s == AllDomains {
				return []string{AllDomains}
			}
			domains = append(domains, s)
		}
		return domains
	}
	return []string{req.Department}
}

// List returns every token, newest first; secrets are never shown again.
func (t TokenService) List(ctx context.Context) ([]*ent.APIToken, error) {
	return t.Client.APIToken.Query().Order(ent.Desc(apitoken.FieldID)).All(SystemContext(ctx))
}

// Revoke stops a token from working at once and removes every grant it had.
func (t TokenService) Revoke(ctx context.Context, name string) error {
	n, err := t.Client.APIToken.Update().Where(apitoken.Name(name), apitoken.RevokedAtIsNil()).
		SetRevokedAt(t.now()).Save(SystemContext(ctx))
	switch {
	case err != nil:
		return err
	case n == 0:
		return fmt.Errorf("%w: no active token named %q", derrors.NotFound, name)
	}
	return t.Authorizer.RemoveSubject(ctx, TokenSubject(name))
}

func (t TokenService) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return vocab.SystemClock()
}

// ErrBadToken is what every authentication failure says, whatever the reason, so a caller
// cannot probe which tokens exist.
var ErrBadToken = fmt.Errorf("%w: the bearer token is malformed, unknown, expired or revoked", derrors.Unauthenticated)

// Authenticate turns an Authorization header into a Viewer: none means the public; anything
// else must be a valid, unexpired, unrevoked bearer token. The viewer can authenticate the
// header again (Viewer.StillHolds).
func (t TokenService) Authenticate(ctx context.Context, header string) (*Viewer, error) {
	v, err := t.authenticate(ctx, header)
	if err != nil {
		return nil, err
	}
	v.again = func(ctx context.Context) (*Viewer, error) { return t.authenticate(ctx, header) }
	return v, nil
}

func (t TokenService) authenticate(ctx context.Context, header string) (*Viewer, error) {
	if header == "" {
		return PublicViewer(t.Authorizer), nil
	}
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 128 {
		return nil, ErrBadToken
	}
	tok, err := t.Client.APIToken.Query().Where(apitoken.SecretHash(hashSecret(strings.TrimSpace(secret)))).Only(SystemContext(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, ErrBadToken
	case err != nil:
		return nil, fmt.Errorf("%w: checking the token: %w", derrors.Unavailable, err)
	case tok.RevokedAt != nil, tok.ExpiresAt != nil && !tok.ExpiresAt.After(t.now()):
		return nil, ErrBadToken
	}
	sub := TokenSubject(tok.Name)
	if err := t.Authorizer.Known(ctx, sub); err != nil {
		return nil, fmt.Errorf("%w: loading the policy: %w", derrors.Unavailable, err)
	}
	perms := t.Authorizer.Permissions(sub)
	if own := (Own{EntityID: tok.SubjectEntityID, PersonID: tok.SubjectPersonID}); own.Bound() {
		if !perms.OwnFile {
			// A bound token whose role no longer reads an own file reads nothing of it.
			own = Own{}
		}
		perms = perms.WithOwn(own)
	}
	return &Viewer{TokenName: tok.Name, Role: tok.Role, Department: tok.Department, Unit: tok.Unit, Perms: perms}, nil
}

// Middleware authenticates every request and puts its Viewer in the context. It decides
// nothing else; a failed authentication is answered with HTTP 401 and a GraphQL error
// UNAUTHENTICATED, and no data.
// Optional onFail hooks count failures (metrics).
func (t TokenService) Middleware(next http.Handler, onFail ...func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := t.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			for _, f := range onFail {
				f()
			}
			if errors.Is(err, derrors.Unavailable) { // no infrastructure details
				derrors.WriteHTTP(w, http.StatusServiceUnavailable, derrors.CodeUnavailable, "the service is temporarily unavailable; try again shortly")
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="creditgraph"`)
			derrors.WriteHTTP(w, http.StatusUnauthorized, derrors.CodeUnauthenticated, strings.SplitN(err.Error(), ": ", 2)[1])
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), v)))
	})
}

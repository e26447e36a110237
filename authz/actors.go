package authz

import "github.com/creditgraph/creditgraph/vocab"

// Actor is who may make a step of a credit workflow (repair, objections); May says whether a
// viewer acts as one.
type Actor string

const (
	// Applicant is a writer of the record's sector acting for the subject, or the subject itself
	// (a subject or person token on its own record).
	Applicant Actor = "APPLICANT"
	// CreditOffice is the provincial credit office (the platform).
	CreditOffice Actor = "CREDIT_OFFICE"
	// Determining is the department that made the determination (谁认定、谁修复): a writer of
	// the record's sector.
	Determining Actor = "DETERMINING_DEPARTMENT"
	// InitialReviewer is who reviews first in the determining department (初审): a writer of
	// the record's sector without its decide permission — a clerk in the built-in policy.
	InitialReviewer Actor = "INITIAL_REVIEWER"
	// Decider re-reviews and decides for the determining department (复审): a writer of the
	// record's sector with its decide permission — a supervisor in the built-in policy, the
	// role above the initial reviewer.
	Decider Actor = "DECIDER"
	// Filer is anyone who may act for the credit office or the record's sector, or the subject
	// of the record itself.
	Filer Actor = "FILER"
)

// Owner is the department that made a record (谁认定): its sector and its Department code.
type Owner struct {
	Sector     vocab.Sector
	Department string
	// Entity and Person are the record's subject, when known: a subject or person token acts
	// for itself on its own records (applies for repair, files objections).
	Entity, Person int
}

// ownRecord reports whether the viewer is a subject or person token that may write its own file
// and the record is about the subject it acts for.
func ownRecord(v *Viewer, o Owner) bool {
	p := v.Perms
	return p.OwnFileWrite && (p.Own.EntityID != 0 && p.Own.EntityID == o.Entity || p.Own.PersonID != 0 && p.Own.PersonID == o.Person)
}

// Handles reports whether the viewer acts for department dep: a token of one unit for that
// unit only, a sector-wide token for every department of its sector.
func (v *Viewer) Handles(dep string) bool { return v != nil && (v.Unit == "" || v.Unit == dep) }

// May reports whether the viewer acts as actor for a record made by o.
func May(v *Viewer, actor Actor, o Owner) bool {
	if v == nil || v.Perms == nil {
		return false
	}
	p := v.Perms
	switch actor {
	case CreditOffice:
		return p.System || p.ManagePolicy
	case Applicant:
		return p.CanWrite(o.Sector) && v.Handles(o.Department) || ownRecord(v, o)
	case Determining:
		return p.CanWrite(o.Sector) && v.Handles(o.Department)
	case InitialReviewer:
		return p.CanWrite(o.Sector) && !p.CanDecide(o.Sector) && v.Handles(o.Department)
	case Decider:
		return p.CanWrite(o.Sector) && p.CanDecide(o.Sector) && v.Handles(o.Department)
	case Filer:
		return p.System || p.ManagePolicy || p.CanWrite(o.Sector) && v.Handles(o.Department) || ownRecord(v, o)
	}
	return false
}

// Package report issues credit reports (信用报告, domain.md §0 "before"): an entity's credit
// file as one frozen document — registration, composite evaluation with its explanation,
// records by sector, lists, commitments, restrictions for the purpose and repair history —
// numbered, stored with a digest so it can be verified later, and printable as a PDF.
//
// A report is built through the data layer in the context of whoever it is for, so the privacy
// rules decide its content exactly as they decide the caller's queries: the PUBLIC edition is
// built as the public (records in publicity only), the AUTHORITY edition as the caller (what its
// role reads, masks applied). Nothing here decides access.
package report

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativelicense"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/creditreportissue"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/ent/repairapplication"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/ent/spotcheck"
	"github.com/creditgraph/creditgraph/sectors/incentives"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/vocab"
)

// Edition is who a report is for.
type Edition string

const (
	// Public carries only what is in publicity: what a public credit website shows.
	Public Edition = "PUBLIC"
	// Authority carries what the issuing caller's role reads, masks applied.
	Authority Edition = "AUTHORITY"
)

// MaxPerSection bounds each list of a report (newest first); Omitted counts the rest.
const MaxPerSection = 200

// Report is one issued credit report. Its JSON form is what is stored and digested.
type Report struct {
	Number   string    `json:"number"`
	Edition  Edition   `json:"edition"`
	Purpose  string    `json:"purpose"`
	IssuedAt time.Time `json:"issuedAt"`
	// IssuedTo is the token the report was issued to (public for none), with its role.
	IssuedTo string `json:"issuedTo"`
	Role     string `json:"role"`
	// AsOf is the day the report speaks for: publicity and restrictions are as of that day.
	AsOf         time.Time     `json:"asOf"`
	Subject      Subject       `json:"subject"`
	Evaluation   *vocab.Result `json:"evaluation,omitempty"`
	EvaluatedAt  *time.Time    `json:"evaluatedAt,omitempty"`
	Records      []Record      `json:"records"`
	Listings     []Listing     `json:"listings"`
	Commitments  []Commitment  `json:"commitments"`
	Restrictions []Restriction `json:"restrictions"`
	Incentives   []Incentive   `json:"incentives"`
	// IncentivesWithheldBy names the listings in force that withhold every incentive.
	IncentivesWithheldBy []string       `json:"incentivesWithheldBy,omitempty"`
	Repairs              []Repair       `json:"repairs"`
	Omitted              map[string]int `json:"omitted,omitempty"`

	// VerificationCode and Digest are not part of the content: the digest is of the content,
	// and the code is the keyed MAC of number and digest.
	VerificationCode string `json:"-"`
	Digest           string `json:"-"`
}

// Subject is the registration part of a report (登记信息).
type Subject struct {
	USCC                string              `json:"uscc"`
	Name                string              `json:"name"`
	Kind                vocab.EntityKind    `json:"kind"`
	Status              marketentity.Status `json:"status"`
	EstablishedOn       *time.Time          `json:"establishedOn,omitempty"`
	RegisteredAddress   string              `json:"registeredAddress,omitempty"`
	RegisteredCapital   *decimal.Decimal    `json:"registeredCapital,omitempty"`
	IndustryCode        string              `json:"industryCode,omitempty"`
	DivisionCode        string              `json:"divisionCode"`
	Division            string              `json:"division,omitempty"`
	LegalRepresentative string              `json:"legalRepresentative,omitempty"`
	RiskTier            *vocab.Tier         `json:"riskTier,omitempty"`
	CreditScore         *int                `json:"creditScore,omitempty"`
	CreditGrade         *vocab.Grade        `json:"creditGrade,omitempty"`
}

// Record kinds.
const (
	KindPenalty   = "PENALTY"
	KindLicence   = "LICENCE"
	KindRating    = "RATING"
	KindSpotCheck = "SPOT_CHECK"
)

// Record is a penalty, licence, rating or spot check on the report.
type Record struct {
	Sector     vocab.Sector `json:"sector"`
	Kind       string       `json:"kind"`
	Department string       `json:"department"`
	DecisionNo string       `json:"decisionNo,omitempty"`
	Date       time.Time    `json:"date"`
	Title      string       `json:"title"`
	Detail     string       `json:"detail"`
	Status     string       `json:"status"`
	// Until is the last day of its publicity (penalties) or validity (licences, ratings).
	Until *time.Time `json:"until,omitempty"`
}

// Listing is a list entry on the report.
type Listing struct {
	Sector       vocab.Sector       `json:"sector"`
	ListType     listentry.ListType `json:"listType"`
	Department   string             `json:"department"`
	DecisionNo   string             `json:"decisionNo"`
	ListedOn     time.Time          `json:"listedOn"`
	PlannedEndOn *time.Time         `json:"plannedEndOn,omitempty"`
	RemovedOn    *time.Time         `json:"removedOn,omitempty"`
	Reason       string             `json:"reason"`
	Status       vocab.RecordStatus `json:"status"`
}

// Commitment is a credit commitment and its keeping.
type Commitment struct {
	Sector        vocab.Sector                `json:"sector"`
	Kind          creditcommitment.Kind       `json:"kind"`
	Department    string                      `json:"department"`
	SignedOn      time.Time                   `json:"signedOn"`
	RelatedMatter string                      `json:"relatedMatter"`
	Text          string                      `json:"text"`
	Fulfilment    creditcommitment.Fulfilment `json:"fulfilment"`
}

// Restriction is a joint-punishment measure that applies for the report's purpose.
type Restriction struct {
	MeasureCode string             `json:"measureCode"`
	Measure     string             `json:"measure"`
	ListType    listentry.ListType `json:"listType"`
	DecisionNo  string             `json:"decisionNo"`
	Department  string             `json:"department"`
	ListedOn    time.Time          `json:"listedOn"`
	Until       *time.Time         `json:"until,omitempty"`
	Basis       string             `json:"basis"`
}

// Incentive is a joint incentive the subject earns for the report's purpose.
type Incentive struct {
	MeasureCode  string                `json:"measureCode"`
	Measure      string                `json:"measure"`
	ListType     redlistentry.ListType `json:"listType"`
	DecisionNo   string                `json:"decisionNo"`
	Source       string                `json:"source"`
	RecognisedOn time.Time             `json:"recognisedOn"`
	Until        *time.Time            `json:"until,omitempty"`
	Basis        string                `json:"basis"`
}

// Repair is a credit-repair application about one of the subject's records.
type Repair struct {
	State       repairapplication.State `json:"state"`
	Department  string                  `json:"department"`
	Record      string                  `json:"record"` // decision number of the penalty or listing
	SubmittedOn *time.Time              `json:"submittedOn,omitempty"`
	CompletedOn *time.Time              `json:"completedOn,omitempty"`
}

// Service issues and verifies reports.
type Service struct {
	Client     *ent.Client
	Authorizer *authz.Authorizer
	Clock      vocab.Clock
	// Sign keys the verification codes (an HMAC of number and digest): a code cannot be made
	// without the server's key, so a forged or altered report fails verification even when
	// its digest is recomputed.
	Sign func(msg []byte) []byte
	// Font is a TrueType font with CJK glyphs for the PDF; without one, PDFs are unavailable.
	Font []byte

	printedOnce sync.Once
	printed     *lru.Cache[string, []byte] // the PDFs printed last, by number and digest
}

// Issue builds the report on uscc for edition and purpose as the caller of ctx may, stores it
// with its digest and returns it with its digest and verification code.
func (s *Service) Issue(ctx context.Context, uscc string, edition Edition, purpose string) (*Report, error) {
	v := authz.FromContext(ctx)
	if v == nil || v.Perms == nil {
		return nil, fmt.Errorf("%w: no caller", derrors.Forbidden)
	}
	if err := jointpunishment.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	build := ctx
	switch edition {
	case Public:
		build = authz.NewContext(ctx, authz.PublicViewer(s.Authorizer))
	case Authority:
		if v.TokenName == authz.PublicSubject {
			return nil, fmt.Errorf("%w: the AUTHORITY edition is for authenticated departments; the public receives the PUBLIC edition", derrors.Forbidden)
		}
	default:
		return nil, derrors.Field("edition", "unknown edition %q (PUBLIC, AUTHORITY)", edition)
	}
	code, err := jointpunishment.SubjectCode(uscc)
	if err != nil {
		return nil, err
	}
	if v.Perms.ReadsOwnFileOnly() {
		// A subject's token reads only its own file, in either edition.
		ok, err := s.client(ctx).MarketEntity.Query().Where(marketentity.Uscc(code)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: no entity with USCC %s", derrors.NotFound, code)
		}
	}
	now := s.Clock.Now().UTC().Truncate(time.Second)
	r, err := s.build(build, code, purpose, vocab.DateOf(now))
	if err != nil {
		return nil, err
	}
	r.Edition, r.IssuedTo, r.Role = edition, v.TokenName, v.Role
	if v.TokenName == authz.PublicSubject {
		// The public needs no token, so what it asks for must not grow the register with every
		// request: the same report on the same day is the issue already stored.
		if same, err := s.sameIssue(ctx, r, edition, purpose); err != nil || same != nil {
			return same, err
		}
	}
	number, err := newNumber(now)
	if err != nil {
		return nil, err
	}
	r.Number, r.IssuedAt = number, now
	content, digest, err := Digest(r)
	if err != nil {
		return nil, err
	}
	err = s.client(ctx).CreditReportIssue.Create().SetNumber(number).SetUscc(r.Subject.USCC).
		SetEdition(string(edition)).SetPurpose(purpose).SetIssuedAt(now).SetTokenName(v.TokenName).
		SetRole(v.Role).SetDepartment(v.Department).SetContent(string(content)).SetDigest(digest).
		Exec(authz.SystemContext(ctx))
	if err != nil {
		return nil, err
	}
	r.Digest, r.VerificationCode = digest, s.code(number, digest)
	return r, nil
}

// sameIssue returns the stored public issue of r's subject, edition and purpose whose report
// is r — same day, same content — with its number, time and code; nil when there is none.
func (s *Service) sameIssue(ctx context.Context, r *Report, edition Edition, purpose string) (*Report, error) {
	prev, err := s.client(ctx).CreditReportIssue.Query().
		Where(creditreportissue.Uscc(r.Subject.USCC), creditreportissue.IssuedAtGTE(r.AsOf.Add(-24*time.Hour)),
			creditreportissue.Edition(string(edition)), creditreportissue.Purpose(purpose), creditreportissue.TokenName(authz.PublicSubject)).
		Order(ent.Desc(creditreportissue.FieldIssuedAt), ent.Desc(creditreportissue.FieldID)).
		First(authz.SystemContext(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var stored Report
	if err := json.Unmarshal([]byte(prev.Content), &stored); err != nil || !stored.AsOf.Equal(r.AsOf) {
		return nil, nil // another day's report, or content this version cannot read: issue anew
	}
	same := *r
	same.Number, same.IssuedAt = stored.Number, stored.IssuedAt
	if _, digest, err := Digest(&same); err != nil || digest != prev.Digest {
		return nil, err // the file changed since: a new report
	}
	same.Digest, same.VerificationCode = prev.Digest, s.code(prev.Number, prev.Digest)
	return &same, nil
}

// Digest is the report's canonical JSON and its SHA-256, hex.
func Digest(r *Report) ([]byte, string, error) {
	content, err := json.Marshal(r)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(content)
	return content, hex.EncodeToString(sum[:]), nil
}

// code is the verification code of a report: 16 base32 characters of the keyed MAC of its
// number and digest, grouped in fours.
func (s *Service) code(number, digest string) string {
	mac := s.Sign([]byte("creditgraph credit report\x00" + number + "\x00" + digest))
	c := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(mac)[:16]
	return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
}

// newNumber is a report number: the issue day and ten random base32 characters, so numbers
// cannot be enumerated.
func newNumber(now time.Time) (string, error) {
	raw := make([]byte, 7)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return "JSXY" + vocab.DateOf(now).Format("20060102") + base32.StdEncoding.EncodeToString(raw)[:10], nil
}

// Verification is what verifying a report tells.
type Verification struct {
	// Genuine: the number exists, the code is the one issued with it, and the stored content
	// still has the digest it was issued with.
	Genuine  bool
	Problem  string // why not, when not genuine
	Number   string
	Edition  *Edition
	Purpose  string
	IssuedAt *time.Time
	USCC     string
	Name     string
	Digest   string
}

// Verify tells whether number and code belong to a report this service issued and whether the
// report is unchanged. Anyone may verify: the answer names only the subject and the issue, not
// the content.
func (s *Service) Verify(ctx context.Context, number, code string) (*Verification, error) {
	number, code = strings.TrimSpace(number), strings.ToUpper(strings.TrimSpace(code))
	if number == "" {
		return nil, derrors.Field("number", "give the report number printed on the report")
	}
	if code == "" {
		return nil, derrors.Field("code", "give the verification code printed on the report")
	}
	out := &Verification{Number: number}
	is, err := s.Client.CreditReportIssue.Query().Where(creditreportissue.Number(number)).Only(authz.SystemContext(ctx))
	if ent.IsNotFound(err) {
		out.Problem = "no report with this number was issued"
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(s.code(is.Number, is.Digest)), []byte(code)) {
		out.Problem = "the verification code does not match this report"
		return out, nil
	}
	sum := sha256.Sum256([]byte(is.Content))
	if hex.EncodeToString(sum[:]) != is.Digest {
		out.Problem = "the stored report no longer matches the digest it was issued with"
		return out, nil
	}
	var r Report
	if err := json.Unmarshal([]byte(is.Content), &r); err != nil {
		out.Problem = "the stored report cannot be read"
		return out, nil
	}
	at := is.IssuedAt
	ed := Edition(is.Edition)
	out.Genuine, out.Edition, out.Purpose, out.IssuedAt = true, &ed, is.Purpose, &at
	out.USCC, out.Name, out.Digest = is.Uscc, r.Subject.Name, is.Digest
	return out, nil
}

// Stored returns an issued report by number and code, for downloading it again (its PDF);
// the code is the proof of having received it.
func (s *Service) Stored(ctx context.Context, number, code string) (*Report, error) {
	v, err := s.Verify(ctx, number, code)
	if err != nil {
		return nil, err
	}
	if !v.Genuine {
		return nil, fmt.Errorf("%w: %s", derrors.NotFound, v.Problem)
	}
	is, err := s.Client.CreditReportIssue.Query().Where(creditreportissue.Number(v.Number)).Only(authz.SystemContext(ctx))
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal([]byte(is.Content), &r); err != nil {
		return nil, err
	}
	r.Digest, r.VerificationCode = is.Digest, s.code(is.Number, is.Digest)
	return &r, nil
}

// client is the transaction's client inside a mutation (so the report reads and is stored in
// one snapshot), else the service's.
func (s *Service) client(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.Client
}

// build reads the subject's file through the data layer as the viewer of ctx may.
func (s *Service) build(ctx context.Context, uscc, purpose string, day time.Time) (*Report, error) {
	db := s.client(ctx)
	code, err := jointpunishment.SubjectCode(uscc)
	if err != nil {
		return nil, err
	}
	e, err := db.MarketEntity.Query().Where(marketentity.Uscc(code)).
		WithDivision().WithLegalRepresentative().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: no entity with USCC %s", derrors.NotFound, code)
	}
	if err != nil {
		return nil, err
	}
	r := &Report{Purpose: purpose, AsOf: day, Subject: subjectOf(ctx, e), Evaluation: e.Evaluation, EvaluatedAt: e.EvaluatedAt,
		Records: []Record{}, Listings: []Listing{}, Commitments: []Commitment{}, Restrictions: []Restriction{}, Incentives: []Incentive{}, Repairs: []Repair{}}
	omit := func(section string, n int) {
		if n > MaxPerSection {
			if r.Omitted == nil {
				r.Omitted = map[string]int{}
			}
			r.Omitted[section] = n - MaxPerSection
		}
	}

	penalties, err := e.QueryPenalties().WithDepartment().
		Order(ent.Desc(administrativepenalty.FieldDecisionDate), ent.Desc(administrativepenalty.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range penalties[:min(len(penalties), MaxPerSection)] {
		r.Records = append(r.Records, Record{Sector: p.Sector, Kind: KindPenalty, Department: departmentName(p.Edges.Department),
			DecisionNo: p.DecisionNo, Date: p.DecisionDate, Title: p.ViolationType, Detail: p.PenaltyContent,
			Status: string(p.Status), Until: p.PublicityDeadline})
	}
	omit(KindPenalty, len(penalties))

	licences, err := e.QueryLicenses().WithDepartment().
		Order(ent.Desc(administrativelicense.FieldDecisionDate), ent.Desc(administrativelicense.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range licences[:min(len(licences), MaxPerSection)] {
		title := l.DecisionDocName
		if l.CertificateName != "" {
			title += "（" + l.CertificateName + "）"
		}
		r.Records = append(r.Records, Record{Sector: l.Sector, Kind: KindLicence, Department: departmentName(l.Edges.Department),
			DecisionNo: l.DecisionNo, Date: l.DecisionDate, Title: title, Detail: l.Content,
			Status: string(l.State), Until: l.ValidTo})
	}
	omit(KindLicence, len(licences))

	ratings, err := e.QueryRatings().WithDepartment().
		Order(ent.Desc(sectorrating.FieldValidFrom), ent.Desc(sectorrating.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range ratings[:min(len(ratings), MaxPerSection)] {
		detail := "等级 " + g.Grade
		if g.Score != nil {
			detail += fmt.Sprintf("，得分 %g", *g.Score)
		}
		title := vocab.SchemeLabels[string(g.Scheme)]
		if title == "" {
			title = string(g.Scheme)
		}
		r.Records = append(r.Records, Record{Sector: g.Sector, Kind: KindRating, Department: departmentName(g.Edges.Department),
			Date: g.ValidFrom, Title: title, Detail: detail, Status: string(g.Status), Until: g.ValidUntil})
	}
	omit(KindRating, len(ratings))

	checks, err := e.QuerySpotChecks().WithDepartment().
		Order(ent.Desc(spotcheck.FieldInspectedOn), ent.Desc(spotcheck.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range checks[:min(len(checks), MaxPerSection)] {
		r.Records = append(r.Records, Record{Sector: c.Sector, Kind: KindSpotCheck, Department: departmentName(c.Edges.Department),
			DecisionNo: c.TaskID, Date: c.InspectedOn, Title: c.CheckItems, Detail: spotCheckResults[string(c.Result)],
			Status: string(c.Status)})
	}
	omit(KindSpotCheck, len(checks))
	slices.SortStableFunc(r.Records, func(a, b Record) int {
		if a.Sector != b.Sector {
			return strings.Compare(string(a.Sector), string(b.Sector))
		}
		return 0
	})

	lists, err := e.QueryListEntries().WithDepartment().
		Order(ent.Desc(listentry.FieldListedOn), ent.Desc(listentry.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range lists[:min(len(lists), MaxPerSection)] {
		r.Listings = append(r.Listings, Listing{Sector: l.Sector, ListType: l.ListType, Department: departmentName(l.Edges.Department),
			DecisionNo: l.DecisionNo, ListedOn: l.ListedOn, PlannedEndOn: l.PlannedEndOn, RemovedOn: l.RemovedOn,
			Reason: l.Reason, Status: l.Status})
	}
	omit("LISTING", len(lists))

	commitments, err := e.QueryCommitments().WithDepartment().
		Order(ent.Desc(creditcommitment.FieldSignedOn), ent.Desc(creditcommitment.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range commitments[:min(len(commitments), MaxPerSection)] {
		r.Commitments = append(r.Commitments, Commitment{Sector: c.Sector, Kind: c.Kind, Department: departmentName(c.Edges.Department),
			SignedOn: c.SignedOn, RelatedMatter: c.RelatedMatter, Text: c.Text, Fulfilment: c.Fulfilment})
	}
	omit("COMMITMENT", len(commitments))

	// Restrictions follow from listings in force, which are all in publicity; the check reads
	// them whoever asks (jointpunishment.ForEntity), as the restrictions query does.
	rs, err := jointpunishment.ForEntity(ctx, db, code, purpose, day)
	if err != nil {
		return nil, err
	}
	for _, x := range rs {
		r.Restrictions = append(r.Restrictions, Restriction{MeasureCode: x.Measure.Code, Measure: x.Measure.Name, ListType: listentry.ListType(x.ListType),
			DecisionNo: x.DecisionNo, Department: x.Department, ListedOn: x.ListedOn, Until: x.Until, Basis: x.Basis})
	}

	// Incentives from red lists in force, withheld while any listing is in force; both are
	// public, like the restrictions.
	inc, err := incentives.ForEntity(ctx, db, code, purpose, day)
	if err != nil {
		return nil, err
	}
	for _, x := range inc.Granted {
		r.Incentives = append(r.Incentives, Incentive{MeasureCode: x.Measure.Code, Measure: x.Measure.Name, ListType: x.ListType,
			DecisionNo: x.DecisionNo, Source: x.Source, RecognisedOn: x.RecognisedOn, Until: x.Until, Basis: x.Basis})
	}
	r.IncentivesWithheldBy = inc.WithheldBy

	repairs, err := db.RepairApplication.Query().
		Where(repairapplication.Or(
			repairapplication.HasPenaltyWith(administrativepenalty.EntityID(e.ID)),
			repairapplication.HasListEntryWith(listentry.EntityID(e.ID)))).
		WithPenalty().WithListEntry().WithDepartment().
		Order(ent.Desc(repairapplication.FieldID)).Limit(MaxPerSection + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range repairs[:min(len(repairs), MaxPerSection)] {
		rec := ""
		switch {
		case a.Edges.Penalty != nil:
			rec = a.Edges.Penalty.DecisionNo
		case a.Edges.ListEntry != nil:
			rec = a.Edges.ListEntry.DecisionNo
		}
		r.Repairs = append(r.Repairs, Repair{State: a.State, Department: departmentName(a.Edges.Department), Record: rec,
			SubmittedOn: a.SubmittedOn, CompletedOn: a.CompletedOn})
	}
	omit("REPAIR", len(repairs))
	return r, nil
}

// subjectOf is the registration part, with the legal representative's name as the viewer may
// see it (persons are not for the public: the edge is then empty).
func subjectOf(ctx context.Context, e *ent.MarketEntity) Subject {
	s := Subject{USCC: e.Uscc, Name: e.Name, Kind: e.EntityKind, Status: e.Status, RiskTier: e.RiskTier, CreditGrade: e.CreditGrade,
		EstablishedOn: e.EstablishedOn, RegisteredAddress: e.RegisteredAddress, RegisteredCapital: e.RegisteredCapital,
		IndustryCode: e.IndustryCode, DivisionCode: e.DivisionCode, CreditScore: e.CreditScore}
	if d := e.Edges.Division; d != nil {
		s.Division = d.Name
	}
	if p := e.Edges.LegalRepresentative; p != nil {
		s.LegalRepresentative = authz.PersonName(ctx, p.Name, true)
	}
	return s
}

func departmentName(d *ent.Department) string {
	if d == nil {
		return ""
	}
	return d.Name
}

// spotCheckResults are the national wording of spot-check results.
var spotCheckResults = map[string]string{
	"NO_PROBLEM":           "未发现问题",
	"PROBLEM_CORRECTED":    "发现问题已责令改正",
	"PROBLEM_FOUND":        "发现问题待处理",
	"NO_RELEVANT_ACTIVITY": "未发现开展本次抽查涉及的经营活动",
	"UNREACHABLE":          "通过登记的住所或者经营场所无法联系",
}

// Values are the editions, for GraphQL.
func (Edition) Values() []string { return []string{string(Public), string(Authority)} }

// MarshalGQL writes the edition as a GraphQL enum.
func (e Edition) MarshalGQL(w io.Writer) { vocab.MarshalEnum(w, string(e)) }

// UnmarshalGQL reads a GraphQL enum.
func (e *Edition) UnmarshalGQL(v any) error { return vocab.UnmarshalEnum(v, e, "report edition") }

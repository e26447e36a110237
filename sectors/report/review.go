package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/vocab"
)

// Conclusion is the outcome of a credit review (信用审查).
type Conclusion string

// Conclusions, from mildest to strictest.
const (
	// Pass: nothing in the subject's credit stands against the application.
	Pass Conclusion = "PASS"
	// NoNotifyAndCommit: the application may proceed, but not by notify-and-commit (告知承诺);
	// the subject is a key review object (重点审查).
	NoNotifyAndCommit Conclusion = "NO_NOTIFY_AND_COMMIT"
	// Refuse: the subject may not be granted what it applies for.
	Refuse Conclusion = "REFUSE"
)

var conclusionRank = map[Conclusion]int{Pass: 0, NoNotifyAndCommit: 1, Refuse: 2}

// Ground is one reason for a review's conclusion.
type Ground struct {
	Conclusion Conclusion
	Reason     string
	Basis      string
}

// Review is a credit review of an application.
type Review struct {
	USCC       string
	Name       string
	Purpose    string
	AsOf       time.Time
	Conclusion Conclusion
	Grounds    []Ground
}

// inactive are the registration states in which nothing is granted to an entity.
var inactive = map[marketentity.Status]string{
	marketentity.StatusREVOKED:   "营业执照已被吊销",
	marketentity.StatusCANCELLED: "已注销登记",
	marketentity.StatusMOVED_OUT: "已迁出本省登记机关",
}

// Review reviews an application of the entity with uscc for purpose (only LICENSING today):
//
//   - REFUSE when the entity is not in business (revoked, cancelled, moved out), or a
//     joint-punishment measure in force restricts the purpose itself — a catalogue measure that
//     names LICENSING but not NOTIFY_AND_COMMIT limits the licence, not only the procedure;
//   - NO_NOTIFY_AND_COMMIT when a measure in force takes notify-and-commit away (the catalogue's
//     measures naming NOTIFY_AND_COMMIT, e.g. JP-NCC-01 of 国办发〔2019〕35号: 不适用告知承诺制,
//     列为重点审查对象);
//   - PASS otherwise.
//
// The strictest ground decides; every ground is listed with its basis. The catalogue decides
// which listings weigh how, so a change of the measures is data, not code. A review is an
// official act: the public cannot ask for one.
func (s *Service) Review(ctx context.Context, uscc, purpose string) (*Review, error) {
	v := authz.FromContext(ctx)
	if v == nil || v.Perms == nil || v.TokenName == authz.PublicSubject || v.Perms.ReadsOwnFileOnly() {
		return nil, fmt.Errorf("%w: a credit review is for the reviewing department; the public may issue a PUBLIC credit report", derrors.Forbidden)
	}
	if purpose != "LICENSING" {
		return nil, derrors.Field("purpose", "credit reviews are defined for LICENSING; got %q", purpose)
	}
	code, err := jointpunishment.SubjectCode(uscc)
	if err != nil {
		return nil, err
	}
	e, err := s.client(ctx).MarketEntity.Query().Where(marketentity.Uscc(code)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: no entity with USCC %s", derrors.NotFound, code)
	}
	if err != nil {
		return nil, err
	}
	day := s.Clock.Today()
	out := &Review{USCC: e.Uscc, Name: e.Name, Purpose: purpose, AsOf: day, Conclusion: Pass, Grounds: []Ground{}}
	add := func(g Ground) {
		out.Grounds = append(out.Grounds, g)
		if conclusionRank[g.Conclusion] > conclusionRank[out.Conclusion] {
			out.Conclusion = g.Conclusion
		}
	}
	if why, ok := inactive[e.Status]; ok {
		add(Ground{Conclusion: Refuse, Reason: "登记状态：" + why, Basis: "《市场主体登记管理条例》"})
	}
	seen := map[string]bool{}
	for _, p := range []string{purpose, "NOTIFY_AND_COMMIT"} {
		rs, err := jointpunishment.ForEntity(ctx, s.client(ctx), code, p, day)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			key := r.Measure.Code + "\x00" + r.DecisionNo
			if seen[key] {
				continue
			}
			seen[key] = true
			c := NoNotifyAndCommit
			if !slices.Contains(r.Measure.Purposes, "NOTIFY_AND_COMMIT") {
				c = Refuse
			}
			add(Ground{Conclusion: c,
				Reason: fmt.Sprintf("%s（%s，%s 列入，决定书 %s）", r.Measure.Name, r.ListType, r.ListedOn.Format(time.DateOnly), r.DecisionNo),
				Basis:  r.Basis})
		}
	}
	if len(out.Grounds) == 0 {
		out.Grounds = append(out.Grounds, Ground{Conclusion: Pass, Reason: "未发现在效的失信联合惩戒措施，登记状态正常", Basis: "国办发〔2019〕35号"})
	}
	return out, nil
}

// Values are the conclusions, for GraphQL.
func (Conclusion) Values() []string {
	return []string{string(Pass), string(NoNotifyAndCommit), string(Refuse)}
}

// MarshalGQL writes the conclusion as a GraphQL enum.
func (c Conclusion) MarshalGQL(w io.Writer) { vocab.MarshalEnum(w, string(c)) }

// UnmarshalGQL reads a GraphQL enum.
func (c *Conclusion) UnmarshalGQL(v any) error { return vocab.UnmarshalEnum(v, c, "review conclusion") }

// Package seed loads the deterministic demo data set: Jiangsu's divisions, its sector
// departments, and a province in miniature — entities across the 13 cities with valid USCCs,
// persons with valid resident IDs, their roles, and records from all four sectors in plausible
// proportions (most entities clean, a few percent penalised, well under 1% on serious lists).
// Everything goes through the ent client, so the schema's hooks validate it like any input.
package seed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/division"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/referenceload"
	"github.com/creditgraph/creditgraph/ent/serviceprovider"
	"github.com/creditgraph/creditgraph/ent/spotcheck"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/environment"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/transport"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/vocab"
)

// Options say how much to load.
type Options struct {
	Entities int // market entities; persons are 1.5× as many
	Seed     uint64
	// AsOf is the day the data describes; records are dated before it. Fixed by default so
	// the same seed always gives the same data.
	AsOf time.Time
	// Clock says what day evaluations are computed on; the system clock when nil.
	Clock vocab.Clock
	// Progress, when set, receives a line per step.
	Progress io.Writer
}

// DefaultOptions is the demo data set the server loads on first start.
func DefaultOptions() Options {
	return Options{Entities: 2000, Seed: 20200318, AsOf: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}
}

// batch is how many rows go into one INSERT (SQLite allows 32,766 bound variables).
const batch = 250

// Reference loads the divisions, departments, publicity and scale rules, the calendar and the
// joint-punishment catalogue when they are missing; it is
// idempotent. It runs as an internal job, whoever calls it.
//
// A load runs in one transaction that first writes its ReferenceLoad row, so loads that start
// together (instances started with --migrate) run one after the other, the later one finding
// the first one's rows rather than adding them again; a load that clashed runs again.
func Reference(ctx context.Context, c *ent.Client) error {
	ctx = authz.SystemContext(ctx)
	for n := 1; ; n++ {
		err := referenceOnce(ctx, c)
		if err == nil || !derrors.WriteClash(err) || n == maxReferenceLoads || !derrors.AfterClash(ctx, n) {
			return err
		}
	}
}

// maxReferenceLoads is how many times Reference runs a load that clashed.
const maxReferenceLoads = 5

// referenceOnce is one attempt of Reference, in its own transaction.
func referenceOnce(ctx context.Context, root *ent.Client) error {
	tx, err := root.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	c := tx.Client()
	// The row first: a concurrent load waits here until this one commits.
	if err := c.ReferenceLoad.Create().SetName("reference").SetLoadedAt(time.Now().UTC().Truncate(time.Microsecond)).
		OnConflictColumns(referenceload.FieldName).UpdateLoadedAt().Exec(ctx); err != nil {
		return fmt.Errorf("recording the reference load: %w", err)
	}
	if err := reference(ctx, c); err != nil {
		return err
	}
	return tx.Commit()
}

// reference adds what is missing of the reference data, using c (a transaction's client).
func reference(ctx context.Context, c *ent.Client) error {
	if err := publicityRules(ctx, c); err != nil {
		return err
	}
	if err := measures(ctx, c); err != nil {
		return err
	}
	if err := incentiveMeasures(ctx, c); err != nil {
		return err
	}
	if err := calendar(ctx, c); err != nil {
		return err
	}
	if err := scaleRules(ctx, c); err != nil {
		return err
	}
	// Penalties stored before publishBy existed get it where their rule counts from publication.
	cal, err := workflow.Calendar(ctx, c)
	if err != nil {
		return err
	}
	if _, err := publicity.RecountPublishBy(ctx, c, cal, time.Time{}, true); err != nil {
		return fmt.Errorf("the days to publish penalties stored before: %w", err)
	}
	n, err := c.Division.Query().Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		divs := ident.JiangsuDivisions()
		for i := 0; i < len(divs); i += batch {
			end := min(i+batch, len(divs))
			bulk := make([]*ent.DivisionCreate, 0, end-i)
			for _, d := range divs[i:end] {
				b := c.Division.Create().SetCode(d.Code).SetName(d.Name).SetNamedSince(d.Since).
					SetLevel(division.Level(d.Level)).SetFormerNames(d.FormerNames)
				if d.CityCode != "" {
					b.SetCityCode(d.CityCode)
				}
				bulk = append(bulk, b)
			}
			if err := c.Division.CreateBulk(bulk...).Exec(ctx); err != nil {
				return fmt.Errorf("loading divisions: %w", err)
			}
		}
	}
	if n, err = c.Department.Query().Count(ctx); err != nil || n > 0 {
		return err
	}
	var bulk []*ent.DepartmentCreate
	add := func(s vocab.Sector, code, name string, level department.Level, seq int) {
		inspectors := make([]string, 6)
		for i := range inspectors {
			inspectors[i] = fmt.Sprintf("%s执法%02d", strings.TrimSuffix(name, "局"), i+1)
		}
		bulk = append(bulk, c.Department.Create().
			SetCode(strings.ToLower(string(s))+"-"+code).SetName(name).SetSector(s).
			SetDivisionCode(code).SetLevel(level).SetUscc(authorityUSCC(code, seq)).SetInspectors(inspectors))
	}
	provinceNames := map[vocab.Sector]string{
		vocab.Environment: "江苏省生态环境厅", vocab.Labour: "江苏省人力资源和社会保障厅",
		vocab.Transport: "江苏省交通运输厅", vocab.Market: "江苏省市场监督管理局",
		vocab.CreditOffice: "江苏省发展和改革委员会（省信用办）",
	}
	cityNames := map[vocab.Sector]string{
		vocab.Environment: "生态环境局", vocab.Labour: "人力资源和社会保障局",
		vocab.Transport: "交通运输局", vocab.Market: "市场监督管理局",
	}
	for i, s := range []vocab.Sector{vocab.Environment, vocab.Labour, vocab.Transport, vocab.Market, vocab.CreditOffice} {
		add(s, "320000", provinceNames[s], department.LevelPROVINCE, i)
	}
	for ci, city := range ident.JiangsuCities() {
		for i, s := range []vocab.Sector{vocab.Environment, vocab.Labour, vocab.Transport, vocab.Market} {
			add(s, city.Code, city.Name+cityNames[s], department.LevelCITY, 10+ci*4+i)
		}
	}
	if err := c.Department.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading departments: %w", err)
	}
	return nil
}

// authorityUSCC makes a valid 11-prefixed (机关) code for a department.
func authorityUSCC(divisionCode string, seq int) string {
	body := fmt.Sprintf("%08d", 1400000+seq*37)
	oc, _ := ident.OrgCodeCheckChar(body)
	first := "11" + divisionCode + body + string(oc)
	cc, _ := ident.USCCCheckChar(first)
	return first + string(cc)
}

// Demo loads Reference and then the demo entities, persons and records, unless entities
// exist already. It reports whether it loaded anything.
func Demo(ctx context.Context, c *ent.Client, o Options) (bool, error) {
	ctx = authz.SystemContext(ctx)
	if err := Reference(ctx, c); err != nil {
		return false, err
	}
	n, err := c.MarketEntity.Query().Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	g := newGenerator(c, o)
	return true, g.run(ctx)
}

type generator struct {
	c        *ent.Client
	o        Options
	r        *rand.Rand
	depts    map[string]*ent.Department  // by code
	counties map[string][]ident.Division // by city code
	cities   []ident.Division
	used     map[string]bool // USCCs and IDs already drawn
	seq      int
}

func newGenerator(c *ent.Client, o Options) *generator {
	if o.AsOf.IsZero() {
		o.AsOf = DefaultOptions().AsOf
	}
	if o.Clock == nil {
		o.Clock = vocab.SystemClock
	}
	g := &generator{c: c, o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		depts: map[string]*ent.Department{}, used: map[string]bool{}}
	g.cities, g.counties = ident.JiangsuCities(), countiesByCity()
	return g
}

func (g *generator) progress(format string, args ...any) {
	if g.o.Progress != nil {
		fmt.Fprintf(g.o.Progress, format+"\n", args...)
	}
}

func (g *generator) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// daysAgo is a date between lo and hi days before AsOf.
func (g *generator) daysAgo(lo, hi int) time.Time {
	return g.o.AsOf.AddDate(0, 0, -(lo + g.r.IntN(hi-lo+1)))
}

func (g *generator) personName() string {
	n := g.pick(surnames) + g.pick(givenChars)
	if g.r.IntN(3) > 0 {
		n += g.pick(givenChars)
	}
	return n
}

// residentID draws an unused valid resident ID of a person born in a Jiangsu county.
func (g *generator) residentID(city ident.Division) string {
	for {
		county := g.counties[city.Code][g.r.IntN(len(g.counties[city.Code]))]
		birth := time.Date(1950+g.r.IntN(50), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC)
		first := fmt.Sprintf("%s%s%03d", county.Code, birth.Format("20060102"), g.r.IntN(1000))
		cc, _ := ident.ResidentIDCheckChar(first)
		id := first + string(cc)
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}

const orgChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// uscc draws an unused valid code for kind prefix registered in a county of city.
func (g *generator) uscc(prefix string, county ident.Division) string {
	for {
		var b strings.Builder
		for i := 0; i < 8; i++ {
			b.WriteByte(orgChars[g.r.IntN(len(orgChars))])
		}
		body := b.String()
		oc, _ := ident.OrgCodeCheckChar(body)
		first := prefix + county.Code + body + string(oc)
		cc, _ := ident.USCCCheckChar(first)
		code := first + string(cc)
		if !g.used[code] {
			g.used[code] = true
			return code
		}
	}
}

// city draws a city weighted roughly by its number of market entities.
func (g *generator) city() ident.Division { return g.cities[weightedCity(g.r)] }

func (g *generator) run(ctx context.Context) error {
	deps, err := g.c.Department.Query().All(ctx)
	if err != nil {
		return err
	}
	for _, d := range deps {
		g.depts[d.Code] = d
	}
	tx, err := g.c.Tx(ctx)
	if err != nil {
		return err
	}
	// A bulk load on an empty database: evaluate every entity once at the end, not on every
	// record, and skip the source-key lookups of keys that cannot exist yet.
	if err := g.load(ledger.FreshKeys(evaluator.Deferred(ctx)), tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	n, err := evaluator.RecomputeAll(ctx, g.c, g.o.Clock, false, 500, nil)
	g.progress("seed: %d evaluations", n)
	return err
}

type entitySpec struct {
	e    *ent.MarketEntity
	city ident.Division
}

func (g *generator) load(ctx context.Context, c *ent.Client) error {
	nEntities := g.o.Entities
	nPersons := nEntities * 3 / 2
	// Persons.
	personCity := make([]ident.Division, nPersons)
	var persons []*ent.NaturalPerson
	for i := 0; i < nPersons; i += batch {
		end := min(i+batch, nPersons)
		bulk := make([]*ent.NaturalPersonCreate, 0, end-i)
		for j := i; j < end; j++ {
			personCity[j] = g.city()
			bulk = append(bulk, c.NaturalPerson.Create().SetIDType(vocab.IDResidentCard).
				SetIDNumber(g.residentID(personCity[j])).SetName(g.personName()))
		}
		ps, err := c.NaturalPerson.CreateBulk(bulk...).Save(ctx)
		if err != nil {
			return fmt.Errorf("loading persons: %w", err)
		}
		persons = append(persons, ps...)
	}
	g.progress("seed: %d persons", len(persons))

	// Entities, each with a legal representative; a few persons head two entities.
	var entities []entitySpec
	legalRep := make([]int, 0, nEntities)
	for i := 0; i < nEntities; i += batch {
		end := min(i+batch, nEntities)
		bulk := make([]*ent.MarketEntityCreate, 0, end-i)
		cities := make([]ident.Division, 0, end-i)
		for j := i; j < end; j++ {
			city := g.city()
			county := g.counties[city.Code][g.r.IntN(len(g.counties[city.Code]))]
			prefix := kindPrefix(g.r)
			ind := industries[g.r.IntN(len(industries))]
			name := entityName(g.r, city, prefix, ind.name)
			capital := decimal.NewFromInt(int64(10 + g.r.IntN(5000)))
			b := c.MarketEntity.Create().SetUscc(g.uscc(prefix, county)).SetName(name).
				SetStatus(marketentity.StatusOPERATING).
				SetEstablishedOn(g.daysAgo(200, 9000)).
				SetRegisteredAddress(fmt.Sprintf("%s%s%s%d号", "江苏省", city.Name, g.pick(roads), 1+g.r.IntN(999))).
				SetBusinessScope(ind.name + "产品的研发、生产、销售；技术咨询服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）").
				SetRegisteredCapital(capital).SetIndustryCode(ind.code)
			if g.r.IntN(50) == 0 {
				b.SetStatus(marketentity.StatusREVOKED)
			}
			rep := g.r.IntN(len(persons))
			if j > 0 && g.r.IntN(25) == 0 {
				rep = legalRep[g.r.IntN(len(legalRep))] // heads several entities
			}
			legalRep = append(legalRep, rep)
			bulk = append(bulk, b)
			cities = append(cities, city)
		}
		es, err := c.MarketEntity.CreateBulk(bulk...).Save(ctx)
		if err != nil {
			return fmt.Errorf("loading entities: %w", err)
		}
		for k, e := range es {
			entities = append(entities, entitySpec{e: e, city: cities[k]})
		}
	}
	g.progress("seed: %d entities", len(entities))

	// Roles: the legal representative of each, a principal for some. The role hook sets
	// MarketEntity.legalRepresentative.
	var roles []*ent.EntityRoleCreate
	for i, es := range entities {
		started := es.e.EstablishedOn
		roles = append(roles, c.EntityRole.Create().SetEntityID(es.e.ID).SetPersonID(persons[legalRep[i]].ID).
			SetRole("LEGAL_REPRESENTATIVE").SetNillableStartedOn(started))
		if g.r.IntN(4) == 0 {
			roles = append(roles, c.EntityRole.Create().SetEntityID(es.e.ID).SetPersonID(persons[g.r.IntN(len(persons))].ID).
				SetRole("PRINCIPAL").SetNillableStartedOn(started))
		}
	}
	for i := 0; i < len(roles); i += batch {
		if err := c.EntityRole.CreateBulk(roles[i:min(i+batch, len(roles))]...).Exec(ctx); err != nil {
			return fmt.Errorf("loading roles: %w", err)
		}
	}
	g.progress("seed: %d roles", len(roles))

	if err := g.records(ctx, c, entities, persons); err != nil {
		return err
	}
	return g.providers(ctx, c, entities, persons)
}

// entityName draws a name for an entity of the kind prefix and industry in city.
func entityName(r *rand.Rand, city ident.Division, prefix, industry string) string {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	brand := pick(brandWords) + pick(brandWords)
	place := strings.TrimSuffix(city.Name, "市")
	switch prefix {
	case "92":
		return place + pick(surnames) + "记" + industry + "经营部"
	case "93":
		return place + brand + "农民专业合作社"
	case "12":
		return place + "市" + industry + "研究所"
	case "52":
		return place + brand + industry + "服务中心"
	}
	return place + brand + industry + pick(companyForms)
}

// kindPrefix draws the registration authority and kind of a new entity (the USCC's first two
// characters): mostly enterprises, 15 % individual businesses, a few cooperatives, public
// institutions and social organisations.
func kindPrefix(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 15:
		return "92"
	case x < 18:
		return "93"
	case x < 19:
		return "12"
	case x < 20:
		return "52"
	}
	return "91"
}

// weightedCity draws the index of a city in ident.JiangsuCities, weighted roughly by its number
// of market entities (Suzhou and Nanjing largest, Suqian and Lianyungang smallest).
func weightedCity(r *rand.Rand) int {
	weights := [13]int{14, 10, 8, 8, 18, 9, 4, 5, 6, 5, 4, 5, 4}
	x := r.IntN(100)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return 0
}

// listedGrades are the sector grades a listed entity can have (domain.md §3.2, §3.4): on the
// SAMR serious list it is high risk (D); on the abnormal-operations list at best higher risk
// (C); on the wage-arrears list its labour grade is 不守法诚信 (C).
var listedGrades = map[string]struct {
	scheme string
	grades []string
}{
	"MS_SERIOUS_ILLEGAL_DISHONEST": {"MARKET_RISK_CLASS", []string{"D"}},
	"MS_ABNORMAL_OPERATION":        {"MARKET_RISK_CLASS", []string{"C", "D"}},
	"HR_WAGE_ARREARS":              {"LABOUR_INTEGRITY", []string{"C"}},
}

// gradeWhenListed is an entity's grade of scheme when it is on listType ("" for none), given
// the grade drawn: the drawn one if the list allows it, else the best the list allows.
func gradeWhenListed(listType, scheme, drawn string) string {
	g, ok := listedGrades[listType]
	if !ok || g.scheme != scheme || slices.Contains(g.grades, drawn) {
		return drawn
	}
	return g.grades[0]
}

// countiesByCity lists today's county-level divisions of each of the 13 cities: new entities
// are registered in divisions that exist now, not in ones abolished since (domain.md §1.3).
func countiesByCity() map[string][]ident.Division {
	out := map[string][]ident.Division{}
	for _, d := range ident.JiangsuDivisions() {
		if d.Level == ident.LevelCounty && d.Current && d.CityCode != "" && d.CityCode[2:4] <= "13" {
			out[d.CityCode] = append(out[d.CityCode], d)
		}
	}
	return out
}

// dept returns the city department of a sector, or the provincial one for one in ten records.
func (g *generator) dept(s vocab.Sector, city ident.Division) *ent.Department {
	code := city.Code
	if g.r.IntN(10) == 0 {
		code = "320000"
	}
	return g.depts[strings.ToLower(string(s))+"-"+code]
}

func (g *generator) sourceID(prefix string) string {
	g.seq++
	return fmt.Sprintf("%s-%07d", prefix, g.seq)
}

// records draws each sector's records for the entities.
func (g *generator) records(ctx context.Context, c *ent.Client, entities []entitySpec, persons []*ent.NaturalPerson) error {
	var (
		penalties []*ent.AdministrativePenaltyCreate
		licences  []*ent.AdministrativeLicenseCreate
		lists     []*ent.ListEntryCreate
		ratings   []*ent.SectorRatingCreate
		checks    []*ent.SpotCheckCreate
		commits   []*ent.CreditCommitmentCreate
	)
	riskGrades := []string{"A", "A", "A", "A", "A", "A", "B", "B", "B", "C"}
	for _, es := range entities {
		e := es.e
		// Market supervision: a risk class for every enterprise, this year.
		grade := g.pick(riskGrades)
		if g.r.IntN(50) == 0 {
			grade = "D"
		}
		d := g.dept(vocab.Market, es.city)
		market := c.SectorRating.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
			SetSourceSystem("js-samr-risk").SetSourceRecordID(g.sourceID("RISK")).
			SetScheme("MARKET_RISK_CLASS").SetGrade(grade).SetPeriod("2026-06").SetValidFrom(g.o.AsOf.AddDate(0, 0, -29))
		ratings = append(ratings, market)
		var labour *ent.SectorRatingCreate
		// Environment: the 12-point colour for industrial firms (one in five).
		if g.r.IntN(5) == 0 {
			score := 9 + g.r.IntN(4) - g.r.IntN(8)
			colour := string(environment.ColourOf(envCreditScale, score))
			d := g.dept(vocab.Environment, es.city)
			ratings = append(ratings, c.SectorRating.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-env-credit").SetSourceRecordID(g.sourceID("ENV")).
				SetScheme("ENV_CREDIT_JS").SetGrade(colour).SetScore(float64(score)).SetPeriod("ROLLING").
				SetValidFrom(g.daysAgo(1, 180)))
		}
		// Labour: the annual A/B/C grade for a third.
		labourRating := func(grade string) *ent.SectorRatingCreate {
			d := g.dept(vocab.Labour, es.city)
			return c.SectorRating.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-hrss-grade").SetSourceRecordID(g.sourceID("LAB")).
				SetScheme("LABOUR_INTEGRITY").SetGrade(grade).SetPeriod("2025").
				SetValidFrom(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		}
		if g.r.IntN(3) == 0 {
			labour = labourRating(g.pick([]string{"A", "A", "A", "B", "B", "C"}))
			ratings = append(ratings, labour)
		}
		// Transport: operators (one in twenty).
		if g.r.IntN(20) == 0 {
			score := 35 + g.r.IntN(66)
			points := transportPoints(score)
			d := g.dept(vocab.Transport, es.city)
			ratings = append(ratings, c.SectorRating.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-jt-credit").SetSourceRecordID(g.sourceID("TR")).
				SetScheme("TRANSPORT_OPERATOR_JS").SetGrade(transport.OperatorGrade(float64(score), points)).
				SetScore(float64(score)).SetPoints(points).SetPeriod("2025").
				SetValidFrom(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)))
		}
		// Licences for about one in seven.
		if g.r.IntN(7) == 0 {
			d := g.dept(vocab.Market, es.city)
			on := g.daysAgo(30, 2000)
			licences = append(licences, c.AdministrativeLicense.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-samr-xk").SetSourceRecordID(g.sourceID("XK")).
				SetDecisionDocName("食品经营许可决定书").SetDecisionNo(fmt.Sprintf("JY%s%08d", es.city.Code[:4], g.seq)).
				SetLicenseCategory("ORDINARY").SetCertificateName("食品经营许可证").SetLicenseNo(fmt.Sprintf("JY1%s%07d", es.city.Code, g.seq)).
				SetContent("预包装食品销售（含冷藏冷冻食品）").SetDecisionDate(on).SetValidFrom(on).SetValidTo(on.AddDate(5, 0, 0)).
				SetAuthorityName(d.Name).SetAuthorityUscc(d.Uscc))
		}
		// Penalties for a few percent, in any sector.
		if g.r.IntN(100) < 4 {
			for k := 0; k <= g.r.IntN(2); k++ {
				penalties = append(penalties, g.penalty(c, es, nil))
			}
		}
		// Lists: abnormal operations ~2%, serious illegal & dishonest ~0.4%, wage arrears ~0.3%;
		// the entity's grades then agree with its list (listedGrades).
		listType := ""
		switch x := g.r.IntN(1000); {
		case x < 20:
			listType = "MS_ABNORMAL_OPERATION"
			lists = append(lists, g.listEntry(c, es, listType, vocab.Market, vocab.General,
				"通过登记的住所或者经营场所无法联系", "《市场监督管理严重违法失信名单管理办法》《企业经营异常名录管理暂行办法》第四条"))
		case x < 24:
			listType = "MS_SERIOUS_ILLEGAL_DISHONEST"
			lists = append(lists, g.listEntry(c, es, listType, vocab.Market, vocab.Serious,
				"列入经营异常名录届满3年仍未履行相关义务", "《市场监督管理严重违法失信名单管理办法》第十三条"))
		case x < 27:
			listType = "HR_WAGE_ARREARS"
			lists = append(lists, g.listEntry(c, es, listType, vocab.Labour, vocab.Serious,
				"克扣、无故拖欠农民工工资达到认定拒不支付劳动报酬罪数额标准", "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条"))
		}
		market.SetGrade(gradeWhenListed(listType, "MARKET_RISK_CLASS", grade))
		switch {
		case labour != nil:
			drawn, _ := labour.Mutation().Grade()
			labour.SetGrade(gradeWhenListed(listType, "LABOUR_INTEGRITY", drawn))
		case listType == "HR_WAGE_ARREARS":
			ratings = append(ratings, labourRating("C"))
		}
		// Spot checks for one in twenty; commitments for one in ten.
		if g.r.IntN(20) == 0 {
			d := g.dept(vocab.Market, es.city)
			result := g.pick([]string{"NO_PROBLEM", "NO_PROBLEM", "NO_PROBLEM", "PROBLEM_CORRECTED", "UNREACHABLE"})
			checks = append(checks, c.SpotCheck.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-samr-sslm").SetSourceRecordID(g.sourceID("CHK")).
				SetTaskID(fmt.Sprintf("SSLM-%s-2026-%03d", es.city.Code[:4], 1+g.r.IntN(40))).
				SetCheckItems("营业执照公示信息；年度报告公示信息；经营场所").SetInspectedOn(g.daysAgo(1, 365)).
				SetResult(spotcheck.Result(result)))
		}
		if g.r.IntN(10) == 0 {
			d := g.dept(vocab.Market, es.city)
			commits = append(commits, c.CreditCommitment.Create().SetDepartmentID(d.ID).SetEntityID(e.ID).
				SetSourceSystem("js-credit-commit").SetSourceRecordID(g.sourceID("CN")).
				SetKind("APPLICATION_NOTIFY_COMMIT").SetText("本单位承诺所提交材料真实有效，如有虚假愿承担相应法律责任。").
				SetSignedOn(g.daysAgo(10, 700)).SetRelatedMatter("食品经营许可告知承诺").SetFulfilment("FULFILLED"))
		}
	}
	// A few natural persons penalised directly (e.g. unlicensed street vending).
	for k := 0; k < len(persons)/500+1; k++ {
		p := persons[g.r.IntN(len(persons))]
		es := entities[g.r.IntN(len(entities))]
		penalties = append(penalties, g.penalty(c, es, p))
	}
	steps := []struct {
		name string
		n    int
		save func(from, to int) error
	}{
		{"ratings", len(ratings), func(a, b int) error { return c.SectorRating.CreateBulk(ratings[a:b]...).Exec(ctx) }},
		{"licences", len(licences), func(a, b int) error { return c.AdministrativeLicense.CreateBulk(licences[a:b]...).Exec(ctx) }},
		{"penalties", len(penalties), func(a, b int) error { return c.AdministrativePenalty.CreateBulk(penalties[a:b]...).Exec(ctx) }},
		{"list entries", len(lists), func(a, b int) error { return c.ListEntry.CreateBulk(lists[a:b]...).Exec(ctx) }},
		{"spot checks", len(checks), func(a, b int) error { return c.SpotCheck.CreateBulk(checks[a:b]...).Exec(ctx) }},
		{"commitments", len(commits), func(a, b int) error { return c.CreditCommitment.CreateBulk(commits[a:b]...).Exec(ctx) }},
	}
	for _, s := range steps {
		for i := 0; i < s.n; i += batch {
			if err := s.save(i, min(i+batch, s.n)); err != nil {
				return fmt.Errorf("loading %s: %w", s.name, err)
			}
		}
		g.progress("seed: %d %s", s.n, s.name)
	}
	return nil
}

var violations = []struct {
	sector   vocab.Sector
	typ      string
	facts    string
	basis    string
	severity vocab.Severity
}{
	{vocab.Market, "未按规定公示年度报告", "当事人未按规定期限公示年度报告", "《中华人民共和国市场主体登记管理条例》第四十六条", vocab.Minor},
	{vocab.Market, "销售不符合食品安全标准的食品", "当事人销售的预包装食品经抽检不合格", "《中华人民共和国食品安全法》第一百二十四条", vocab.General},
	{vocab.Market, "虚假广告", "当事人在网店发布虚假宣传内容", "《中华人民共和国广告法》第五十五条", vocab.General},
	{vocab.Environment, "超标排放大气污染物", "在线监测数据显示颗粒物排放浓度超过排放标准", "《中华人民共和国大气污染防治法》第九十九条", vocab.General},
	{vocab.Environment, "未批先建", "建设项目环境影响报告表未经批准擅自开工建设", "《中华人民共和国环境影响评价法》第三十一条", vocab.Serious},
	{vocab.Labour, "未依法缴纳社会保险费", "当事人未按时足额为职工缴纳社会保险费", "《中华人民共和国社会保险法》第八十六条", vocab.General},
	{vocab.Labour, "违反工作时间规定", "安排劳动者延长工作时间超过法定上限", "《劳动保障监察条例》第二十五条", vocab.Minor},
	{vocab.Transport, "道路运输车辆超限运输", "货运车辆超限超载运输", "《公路安全保护条例》第六十四条", vocab.General},
	{vocab.Transport, "未取得道路运输经营许可从事经营", "未取得道路运输经营许可擅自从事道路货物运输经营", "《中华人民共和国道路运输条例》第六十三条", vocab.Serious},
}

// penalty draws a penalty on the entity, or on person (in the entity's city) when given.
func (g *generator) penalty(c *ent.Client, es entitySpec, person *ent.NaturalPerson) *ent.AdministrativePenaltyCreate {
	v := violations[g.r.IntN(len(violations))]
	d := g.dept(v.sector, es.city)
	on := g.daysAgo(10, 1500)
	fine := decimal.NewFromInt(int64(1 + g.r.IntN(200))).Div(decimal.NewFromInt(10)) // 0.1 – 20 万元
	src := g.sourceID("CF")
	category := "LEGAL_PERSON"
	if es.e.EntityKind == vocab.KindIndividualBusiness {
		category = "INDIVIDUAL_BUSINESS"
	}
	b := c.AdministrativePenalty.Create().SetDepartmentID(d.ID)
	if person != nil {
		b.SetPersonID(person.ID).SetCounterpartyName(person.Name).
			SetCounterpartyCategory(administrativepenalty.CounterpartyCategoryNATURAL_PERSON)
	} else {
		b.SetEntityID(es.e.ID).SetCounterpartyName(es.e.Name).
			SetCounterpartyCategory(administrativepenalty.CounterpartyCategory(category)).
			SetCounterpartyUscc(es.e.Uscc).SetOrgCode(es.e.OrgCode)
	}
	return b.SetSourceSystem("js-sgs").SetSourceRecordID(src).SetSeverity(v.severity).
		SetDecisionNo(fmt.Sprintf("%s罚字〔%d〕%d号", strings.TrimSuffix(d.Name, "局"), on.Year(), g.seq)).
		SetViolationType(v.typ).SetViolationFacts(v.facts).SetLegalBasis(v.basis).
		SetPenaltyCategories([]vocab.PenaltyCategory{vocab.Warning, vocab.Fine}).
		SetPenaltyContent(fmt.Sprintf("警告，罚款人民币%s万元", fine)).SetFineAmount(fine).
		SetDecisionDate(on).SetValidUntil(on.AddDate(1, 0, 0)).
		SetAuthorityName(d.Name).SetAuthorityUscc(d.Uscc).SetDataSourceUnit(d.Name).SetDataSourceUnitUscc(d.Uscc)
}

func (g *generator) listEntry(c *ent.Client, es entitySpec, listType string, s vocab.Sector, sev vocab.Severity, reason, basis string) *ent.ListEntryCreate {
	d := g.dept(s, es.city)
	on := g.daysAgo(10, 1000)
	create := c.ListEntry.Create().SetDepartmentID(d.ID).SetEntityID(es.e.ID).
		SetSourceSystem("js-lists").SetSourceRecordID(g.sourceID("LIST")).SetSeverity(sev).
		SetListType(listentry.ListType(listType)).SetListedOn(on). // the list's rule sets the planned end
		SetReason(reason).SetBasis(basis).SetDecisionNo(fmt.Sprintf("%s列字〔%d〕%d号", d.Name, on.Year(), g.seq))
	if slices.Contains(orderFirstLists, listType) {
		create.SetOrderDeadline(on.AddDate(0, 0, -15)) // the order to pay came first, with 15 days
	}
	return create
}

// providers registers some EIA compilers and monitoring agencies with practitioners.
func (g *generator) providers(ctx context.Context, c *ent.Client, entities []entitySpec, persons []*ent.NaturalPerson) error {
	n := max(len(entities)/100, 2)
	seen := map[int]bool{}
	count := 0
	for i := 0; i < n; i++ {
		es := entities[g.r.IntN(len(entities))]
		if seen[es.e.ID] || es.e.EntityKind != vocab.KindEnterprise {
			continue
		}
		seen[es.e.ID] = true
		kind := serviceprovider.KindEIA_REPORT_COMPILER
		if i%3 == 0 {
			kind = serviceprovider.KindENV_MONITORING_AGENCY
		}
		sp, err := c.ServiceProvider.Create().SetEntityID(es.e.ID).SetKind(kind).
			SetCreditFileNo(fmt.Sprintf("HP%s%05d", es.city.Code, i)).SetFileOpenedOn(g.daysAgo(100, 1500)).Save(ctx)
		if err != nil {
			return fmt.Errorf("loading service providers: %w", err)
		}
		var bulk []*ent.PractitionerCreate
		picked := map[int]bool{}
		for k := 0; k < 2+g.r.IntN(3); k++ {
			p := persons[g.r.IntN(len(persons))]
			if picked[p.ID] {
				continue
			}
			picked[p.ID] = true
			bulk = append(bulk, c.Practitioner.Create().SetProviderID(sp.ID).SetPersonID(p.ID).
				SetQualifications([]string{"环境影响评价工程师"}).SetCertificateNo(fmt.Sprintf("HP%08d", g.r.IntN(1e8))).
				SetStartedOn(g.daysAgo(30, 1500)))
		}
		if err := c.Practitioner.CreateBulk(bulk...).Exec(ctx); err != nil {
			return fmt.Errorf("loading practitioners: %w", err)
		}
		count++
	}
	g.progress("seed: %d service providers", count)
	return nil
}

// transportPoints are the bad-behaviour points the demo gives a transport operator with a
// score: the weaker the score, the more points (none above 90).
func transportPoints(score int) int { return max(100-score, 0) / 2 }

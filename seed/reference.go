package seed

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/division"
	"github.com/creditgraph/creditgraph/ent/evaluationruleset"
	"github.com/creditgraph/creditgraph/ent/exemptionperiod"
	"github.com/creditgraph/creditgraph/ent/holiday"
	"github.com/creditgraph/creditgraph/ent/incentivemeasure"
	"github.com/creditgraph/creditgraph/ent/jointpunishmentmeasure"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/ent/referenceload"
	"github.com/creditgraph/creditgraph/ent/scalerule"
	"github.com/creditgraph/creditgraph/ent/timelimit"
	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/vocab"
	"github.com/shopspring/decimal"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// publicityRuleRows are the publicity-period regimes of domain.md §4, chosen by decision date.
// They are data: a change in the law is a new row with its dates, not a code change.
var publicityRuleRows = []struct {
	set, from, to, severity string
	min, max                int
	repairable              bool
	basis                   string
}{
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "MINOR", 3, 12, true, "发改办财金〔2019〕527号（一般失信行政处罚）"},
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "GENERAL", 3, 12, true, "发改办财金〔2019〕527号（一般失信行政处罚）"},
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "SERIOUS", 6, 36, true, "发改办财金〔2019〕527号（严重失信行政处罚）"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "MINOR", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "GENERAL", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "SERIOUS", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-36", "2026-04-01", "", "MINOR", 0, 3, true, "国办发〔2025〕22号；国家发展改革委令第36号（轻微）"},
	{"NDRC-ORDER-36", "2026-04-01", "", "GENERAL", 3, 12, true, "国办发〔2025〕22号；国家发展改革委令第36号（一般）"},
	{"NDRC-ORDER-36", "2026-04-01", "", "SERIOUS", 12, 36, true, "国办发〔2025〕22号；国家发展改革委令第36号（严重）"},
}

// classRuleRows are the publicity rules that follow a penalty's categories and field rather than
// its stated severity (domain.md §4): 527号's specified serious dishonesty — orders to suspend
// production or business and revocations of permits or licences in food and drugs, ecology and
// environment, construction quality, work safety, fire safety and compulsory certification —
// never repairable and published for the full maximum; Order 58's one-year minimum in food,
// drugs, special equipment, work safety and fire.
var classRuleRows = []struct {
	set, from, to, severity string
	categories, domains     []string
	min, max                int
	repairable              bool
	basis                   string
}{
	{"NDRC-527-2019-SPECIFIED", "2019-07-01", "", "SERIOUS", []string{"ORDER_SUSPEND", "ORDER_CLOSE", "REVOKE_LICENCE"},
		[]string{"FOOD_DRUG", "ECOLOGY_ENVIRONMENT", "CONSTRUCTION_QUALITY", "WORK_SAFETY", "FIRE_SAFETY", "COMPULSORY_CERTIFICATION"},
		36, 36, false, "发改办财金〔2019〕527号（特定严重失信行为，不可修复）；国家发展改革委令第36号第二条"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "ANY", nil,
		[]string{"FOOD_DRUG", "SPECIAL_EQUIPMENT", "WORK_SAFETY", "FIRE_SAFETY"},
		12, 36, true, "国家发展改革委令第58号（食品药品、特种设备、安全生产、消防领域：最短公示一年）"},
}

// samrRows are market supervision's own regime, SAMR Order 45 (《市场监督管理行政处罚信息公示
// 规定》, from 2021-09-01), which replaces the national rules for the market sector's penalties
// (domain.md §4): warning-only and summary-procedure penalties are not published; 通报批评 and
// low fines are published for 3 months and then stop by themselves; other penalties 3 years,
// early stop after 6 months (a year in food, drugs and special equipment); never an early stop
// for suspension, restriction, downgrading or revocation; a restriction longer than 3 years is
// published for its period. The low-fine limit is the province's: 1 (10,000 CNY) here is a
// configurable default [R], not a verified Jiangsu figure.
// samrRuleSet names SAMR Order 45's publicity rules.
const samrRuleSet = "SAMR-ORDER-45"

var samrRows = []struct {
	severity            string
	categories, domains []string
	only                bool
	fineAtMost          string
	procedures          []string
	published           bool
	min, max            int
	repairable, extends bool
	basis               string
}{
	{severity: "ANY", categories: []string{"WARNING"}, only: true, basis: "《市场监督管理行政处罚信息公示规定》（总局令第45号）第二条：仅受警告的不公示"},
	{severity: "ANY", procedures: []string{"SUMMARY"}, basis: "总局令第45号第二条：简易程序作出的行政处罚不公示"},
	{severity: "ANY", categories: []string{"WARNING", "CIRCULATED_CRITICISM", "FINE"}, only: true, fineAtMost: "1", published: true, min: 3, max: 3,
		basis: "总局令第45号第十三条：通报批评或较低数额罚款公示三个月，期满自动停止（较低数额默认一万元以下 [R]）"},
	{severity: "MINOR", published: true, min: 6, max: 36, repairable: true, basis: "总局令第45号第十三条、第十四条：公示三年，满六个月可申请提前停止"},
	{severity: "GENERAL", published: true, min: 6, max: 36, repairable: true, basis: "总局令第45号第十三条、第十四条：公示三年，满六个月可申请提前停止"},
	{severity: "SERIOUS", published: true, min: 6, max: 36, repairable: true, basis: "总局令第45号第十三条、第十四条：公示三年，满六个月可申请提前停止"},
	{severity: "ANY", domains: []string{"FOOD_DRUG", "SPECIAL_EQUIPMENT"}, published: true, min: 12, max: 36, repairable: true,
		basis: "总局令第45号第十四条：食品、药品、特种设备领域满一年可申请提前停止"},
	{severity: "ANY", categories: []string{"ORDER_SUSPEND", "RESTRICT_BUSINESS", "RESTRICT_EMPLOYMENT", "LOWER_QUALIFICATION", "REVOKE_LICENCE"},
		published: true, min: 36, max: 36, extends: true,
		basis: "总局令第45号第十三条、第十四条第三款：停产停业、限制经营、限制从业、降级、吊销的不得提前停止；限制期长于三年的按实际期限公示"},
}

// orderFirstLists are the lists entered only after an order to comply by a deadline has passed:
// the wage-arrears list (人社部令第45号 art. 5: the department orders payment by a deadline, and
// lists once it has passed).
var orderFirstLists = []string{"HR_WAGE_ARREARS"}

// listRuleRows are the publicity rules of the lists (domain.md §4, §3.5): how long an entry
// stays at least before early removal can be applied for, and at most.
var listRuleRows = []struct {
	listType   string
	min, max   int
	repairable bool
	basis      string
}{
	{"MS_ABNORMAL_OPERATION", 0, 36, true, "《企业经营异常名录管理暂行办法》: removal once the cause is corrected; 3 years leads to the serious list"},
	{"MS_SERIOUS_ILLEGAL_DISHONEST", 12, 36, true, "《市场监督管理严重违法失信名单管理办法》(总局令第44号): early removal after 1 year"},
	{"HR_WAGE_ARREARS", 6, 36, true, "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》(人社部令第45号): 6 months after the arrears are paid; 3 years"},
	{"HR_SOCIAL_INSURANCE_SERIOUS", 12, 36, true, "社会保险领域严重失信人名单管理 (2019) [R]"},
	{"HR_MAJOR_VIOLATION_PUBLICATION", 6, 36, true, "《重大劳动保障违法行为社会公布办法》(人社部令第29号) [R]"},
	{"EE_EIA_RECTIFICATION", 6, 60, true, "环评失信记分: six-month rectification; public for 5 years"},
	{"EE_EIA_BLACKLIST", 60, 60, false, "环评失信黑名单: public for 5 years, not repairable"},
	{"TR_SERIOUS_DISHONEST", 12, 36, true, "交通运输严重失信名单 [R]"},
	{"TR_KEY_SUPERVISION", 6, 12, true, "交通运输重点关注名单 [R]"},
	{"COURT_DISHONEST_JUDGMENT_DEBTOR", 0, 36, false, "失信被执行人 (external feed; removed by the court)"},
	{"COMMITMENT_BREACH", 6, 12, true, "国办发〔2019〕35号: breaches of credit commitments enter the credit record [R: periods ours]"},
}

// listMinFrom is where a list's minimum counts from when it is not the listing date: the
// wage-arrears list's early removal counts from the day the arrears were paid (domain.md §4).
var listMinFrom = map[string]publicityrule.MinFrom{"HR_WAGE_ARREARS": publicityrule.MinFromOBLIGATIONS_MET}

// commitmentRuleRows publish credit commitments and their keeping (信用承诺公示): 国办发〔2019〕35号
// §二(一) puts commitments and their fulfilment into the credit record and makes them public;
// the periods are ours [R] until the province sets them — they are data, changed without code.
var commitmentRuleRows = []struct {
	kind  string
	max   int
	basis string
}{
	{"APPLICATION_NOTIFY_COMMIT", 36, "国办发〔2019〕35号: 审批告知承诺及履约情况向社会公开 [R: 3 years ours]"},
	{"REPAIR", 36, "国办发〔2019〕35号; 信用修复承诺随修复结果公开 [R: 3 years ours]"},
	{"VOLUNTARY", 36, "国办发〔2019〕35号: 主动型承诺向社会公开 [R: 3 years ours]"},
	{"INDUSTRY_SELF_DISCIPLINE", 36, "国办发〔2019〕35号: 行业自律承诺向社会公开 [R: 3 years ours]"},
}

// commitmentRules loads the commitment rules when there are none, so a database made before
// they existed gains them.
func commitmentRules(ctx context.Context, c *ent.Client) error {
	n, err := c.PublicityRule.Query().Where(publicityrule.CommitmentKindNotNil()).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	bulk := make([]*ent.PublicityRuleCreate, 0, len(commitmentRuleRows))
	for _, r := range commitmentRuleRows {
		bulk = append(bulk, c.PublicityRule.Create().SetRuleSet("COMMITMENTS-2019").SetEffectiveFrom(day("2019-07-09")).
			SetSeverity(publicityrule.SeverityANY).SetCommitmentKind(publicityrule.CommitmentKind(r.kind)).
			SetMinMonths(r.max).SetMaxMonths(r.max).SetRepairable(false).SetBasis(r.basis))
	}
	if err := c.PublicityRule.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading commitment publicity rules: %w", err)
	}
	return nil
}

// publicityRules loads the penalty and list rules when there are none, and the commitment
// rules when those are missing.
func publicityRules(ctx context.Context, c *ent.Client) error {
	n, err := c.PublicityRule.Query().Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		// A database loaded before anchors were data has SAMR Order 45's rows without theirs:
		// Order 45 counts from publication (art. 13, 自公示之日起). Rows given an anchor are
		// left as they are.
		if err := c.PublicityRule.Update().Where(publicityrule.RuleSet(samrRuleSet), publicityrule.StartAnchorIsNil()).
			SetStartAnchor(publicityrule.StartAnchorPUBLICATION_DATE).Exec(ctx); err != nil {
			return fmt.Errorf("anchoring SAMR Order 45's publicity rules: %w", err)
		}
		// Likewise the lists entered only after an order to comply by a deadline.
		if err := c.PublicityRule.Update().Where(publicityrule.ListTypeIn(orderFirstLists...), publicityrule.OrderFirstIsNil()).
			SetOrderFirst(true).Exec(ctx); err != nil {
			return fmt.Errorf("marking the lists entered after an order: %w", err)
		}
		return commitmentRules(ctx, c)
	}
	bulk := make([]*ent.PublicityRuleCreate, 0, len(publicityRuleRows))
	for _, r := range publicityRuleRows {
		b := c.PublicityRule.Create().SetRuleSet(r.set).SetEffectiveFrom(day(r.from)).SetSeverity(publicityrule.Severity(r.severity)).
			SetMinMonths(r.min).SetMaxMonths(r.max).SetRepairable(r.repairable).SetBasis(r.basis).
			SetStartAnchor(publicityrule.StartAnchorDECISION_DATE)
		if r.to != "" {
			b.SetEffectiveTo(day(r.to))
		}
		bulk = append(bulk, b)
	}
	for _, r := range classRuleRows {
		b := c.PublicityRule.Create().SetRuleSet(r.set).SetEffectiveFrom(day(r.from)).SetSeverity(publicityrule.Severity(r.severity)).
			SetPenaltyCategories(r.categories).SetDomains(r.domains).SetMinMonths(r.min).SetMaxMonths(r.max).
			SetRepairable(r.repairable).SetBasis(r.basis).SetStartAnchor(publicityrule.StartAnchorDECISION_DATE)
		if r.to != "" {
			b.SetEffectiveTo(day(r.to))
		}
		bulk = append(bulk, b)
	}
	for _, r := range samrRows {
		b := c.PublicityRule.Create().SetRuleSet(samrRuleSet).SetEffectiveFrom(day("2021-09-01")).SetSector(vocab.Market).
			SetStartAnchor(publicityrule.StartAnchorPUBLICATION_DATE).
			SetSeverity(publicityrule.Severity(r.severity)).SetPenaltyCategories(r.categories).SetDomains(r.domains).SetCategoriesOnly(r.only).
			SetProcedures(r.procedures).SetPublished(r.published).SetMinMonths(r.min).SetMaxMonths(r.max).
			SetRepairable(r.repairable).SetExtendsToValidUntil(r.extends).SetBasis(r.basis)
		if r.fineAtMost != "" {
			b.SetFineAtMost(decimal.RequireFromString(r.fineAtMost))
		}
		bulk = append(bulk, b)
	}
	for _, r := range listRuleRows {
		bulk = append(bulk, c.PublicityRule.Create().SetRuleSet("LISTS-2021").SetEffectiveFrom(day("2019-07-01")).
			SetSeverity(publicityrule.SeverityANY).SetListType(r.listType).SetMinMonths(r.min).SetMaxMonths(r.max).
			SetRepairable(r.repairable).SetBasis(r.basis).SetNillableMinFrom(minFromOf(r.listType)).
			SetOrderFirst(slices.Contains(orderFirstLists, r.listType)))
	}
	if err := c.PublicityRule.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading publicity rules: %w", err)
	}
	return commitmentRules(ctx, c)
}

// measureRows are the joint-punishment catalogue of domain.md §8, as data.
var measureRows = []struct {
	code, name, dept, basis string
	lists, roles, purposes  []string
}{
	{"JP-BID-01", "限制参与政府投资项目招标投标", "省发展改革委、住房城乡建设厅、交通运输厅",
		"《关于对失信被执行人实施联合惩戒的合作备忘录》; 《市场监督管理严重违法失信名单管理办法》第十八条",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST", "HR_WAGE_ARREARS", "TR_SERIOUS_DISHONEST", "EE_EIA_BLACKLIST", "COURT_DISHONEST_JUDGMENT_DEBTOR"},
		[]string{"LEGAL_REPRESENTATIVE", "PRINCIPAL"}, []string{"BIDDING", "PROCUREMENT"}},
	{"JP-SUB-01", "限制申请政府资金、财政补贴和社会保障资金支持", "省财政厅及各资金主管部门",
		"《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第十二条",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST", "HR_WAGE_ARREARS", "HR_SOCIAL_INSURANCE_SERIOUS", "COURT_DISHONEST_JUDGMENT_DEBTOR"},
		nil, []string{"SUBSIDY"}},
	{"JP-NCC-01", "不适用告知承诺制审批，列为行政许可重点审查对象", "各行政许可机关",
		"国办发〔2019〕35号; 《上海市社会信用条例》第三十条（参照）",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST", "MS_ABNORMAL_OPERATION", "HR_WAGE_ARREARS", "TR_SERIOUS_DISHONEST", "EE_EIA_RECTIFICATION", "EE_EIA_BLACKLIST", "COMMITMENT_BREACH"},
		nil, []string{"NOTIFY_AND_COMMIT", "LICENSING"}},
	{"JP-OFF-01", "限制担任其他企业的法定代表人、负责人", "市场监管部门",
		"《企业信息公示暂行条例》第十七条; 原工商总局令第83号（参照）",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST"}, []string{"LEGAL_REPRESENTATIVE", "PRINCIPAL"}, []string{"OFFICE_HOLDING"}},
	{"JP-HON-01", "取消评优评先资格，限制授予荣誉称号", "各级评比表彰主管部门",
		"《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第十二条",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST", "HR_WAGE_ARREARS", "HR_SOCIAL_INSURANCE_SERIOUS", "HR_MAJOR_VIOLATION_PUBLICATION"},
		[]string{"LEGAL_REPRESENTATIVE", "PRINCIPAL", "DIRECTLY_RESPONSIBLE_MANAGER", "OTHER_DIRECT_RESPONSIBLE"}, []string{"HONOURS"}},
	{"JP-FIN-01", "作为融资授信的重要参考，从严审核", "人民银行南京分行、金融监管部门",
		"《关于对失信被执行人实施联合惩戒的合作备忘录》",
		[]string{"MS_SERIOUS_ILLEGAL_DISHONEST", "HR_WAGE_ARREARS", "COURT_DISHONEST_JUDGMENT_DEBTOR"},
		[]string{"LEGAL_REPRESENTATIVE"}, []string{"FINANCING"}},
}

// holidayRows is the 2026 official calendar's exceptions (国务院办公厅关于2026年部分节假日安排的通知
// [R]: verify against the published notice; it is data, corrected without code).
var holidayRows = []struct {
	day     string
	working bool
	name    string
}{
	{"2026-01-01", false, "元旦"}, {"2026-01-02", false, "元旦"}, {"2026-01-04", true, "元旦调休"},
	{"2026-02-16", false, "春节"}, {"2026-02-17", false, "春节"}, {"2026-02-18", false, "春节"}, {"2026-02-19", false, "春节"},
	{"2026-02-20", false, "春节"}, {"2026-02-23", false, "春节"}, {"2026-02-14", true, "春节调休"}, {"2026-02-28", true, "春节调休"},
	{"2026-04-06", false, "清明节"},
	{"2026-05-01", false, "劳动节"}, {"2026-05-04", false, "劳动节"}, {"2026-05-05", false, "劳动节"}, {"2026-05-09", true, "劳动节调休"},
	{"2026-06-19", false, "端午节"},
	{"2026-09-25", false, "中秋节"},
	{"2026-10-01", false, "国庆节"}, {"2026-10-02", false, "国庆节"}, {"2026-10-05", false, "国庆节"}, {"2026-10-06", false, "国庆节"},
	{"2026-10-07", false, "国庆节"}, {"2026-09-20", true, "国庆节调休"}, {"2026-10-10", true, "国庆节调休"},
}

// provisionalHolidayRows are 2027's statutory holidays (全国年节及纪念日放假办法, 2024 revision) and
// the weekdays that replace those falling on a weekend, loaded before the State Council's notice
// for 2027 so working-day deadlines stay right across the new year. They are marked provisional:
// make-up working days (调休) are not known until the notice, which replaces these rows.
var provisionalHolidayRows = []struct {
	day     string
	working bool
	name    string
}{
	{"2027-01-01", false, "元旦"},
	{"2027-02-05", false, "春节"}, {"2027-02-08", false, "春节"}, {"2027-02-09", false, "春节"}, {"2027-02-10", false, "春节"},
	{"2027-04-05", false, "清明节"},
	{"2027-05-03", false, "劳动节"}, {"2027-05-04", false, "劳动节"},
	{"2027-06-09", false, "端午节"},
	{"2027-09-15", false, "中秋节"},
	{"2027-10-01", false, "国庆节"}, {"2027-10-04", false, "国庆节"}, {"2027-10-05", false, "国庆节"},
}

// timeLimitRows are the procedural time limits in working days (domain.md §5.2, §6).
var timeLimitRows = []struct {
	procedure, step string
	days            int
	basis           string
}{
	{"REPAIR", "ACCEPT", 2, "SAMR practice [R]: acceptance in about 2 working days"},
	{"REPAIR", "DECIDE", 15, "SAMR practice [R]: decision within about 15 working days"},
	{"REPAIR", "SYNC", 3, "Credit China: stop publication within 3 working days of the decision"},
	{"OBJECTION", "MARK", 1, "《上海市社会信用条例》第三十六条: mark within 1 working day"},
	{"OBJECTION", "PLATFORM_CHECK", 5, "同上: platform decides within 5 working days"},
	{"OBJECTION", "FORWARD", 2, "同上: forward within 2 working days"},
	{"OBJECTION", "PROVIDER_CHECK", 5, "同上: provider decides within 5 working days"},
	{"PENALTY", "WITHDRAW", 3, "总局令第45号第十一条; 《上海市社会信用条例》第三十七条: 决定被撤销、确认违法或无效的, 三个工作日内撤下"},
	{"PENALTY", "PUBLISH", 20, "总局令第45号第九条: 自作出行政处罚决定之日起二十个工作日内公示 (跨省区 10 + 10 not modelled)"},
}

// calendar loads the calendar's days that are missing (a database made last year gets the new
// year's days; days already stored, confirmed or corrected, are kept) and the time limits when
// absent.
func calendar(ctx context.Context, c *ent.Client) error {
	have := map[string]bool{}
	days, err := c.Holiday.Query().All(ctx)
	if err != nil {
		return err
	}
	for _, d := range days {
		have[d.Day.Format(time.DateOnly)] = true
	}
	var hs []*ent.HolidayCreate
	for _, h := range holidayRows {
		if !have[h.day] {
			hs = append(hs, c.Holiday.Create().SetDay(day(h.day)).SetWorking(h.working).SetName(h.name))
		}
	}
	for _, h := range provisionalHolidayRows {
		if !have[h.day] {
			hs = append(hs, c.Holiday.Create().SetDay(day(h.day)).SetWorking(h.working).SetName(h.name).SetProvisional(true))
		}
	}
	if err := c.Holiday.CreateBulk(hs...).Exec(ctx); err != nil {
		return fmt.Errorf("loading the calendar: %w", err)
	}
	// The time limits of each step that has none: a database made before a step existed gets
	// its limit, and limits the credit office entered or changed are kept.
	stored, err := c.TimeLimit.Query().All(ctx)
	if err != nil {
		return err
	}
	limited := map[[2]string]bool{}
	for _, l := range stored {
		limited[[2]string{string(l.Procedure), string(l.Step)}] = true
	}
	var ls []*ent.TimeLimitCreate
	for _, l := range timeLimitRows {
		if !limited[[2]string{l.procedure, l.step}] {
			ls = append(ls, c.TimeLimit.Create().SetProcedure(timelimit.Procedure(l.procedure)).SetStep(timelimit.Step(l.step)).SetWorkingDays(l.days).
				SetEffectiveFrom(day("2020-01-01")).SetBasis(l.basis))
		}
	}
	if len(ls) == 0 {
		return nil
	}
	if err := c.TimeLimit.CreateBulk(ls...).Exec(ctx); err != nil {
		return err
	}
	if len(stored) > 0 {
		return nil // the exemption period came with the first limits
	}
	return c.ExemptionPeriod.Create().SetName("COVID-19-SME").SetStartsOn(day("2020-01-24")).SetEndsOn(day("2020-12-31")).
		SetBasis("江苏省 2020 疫情防控期间: 中小企业因疫情导致的失信行为予以免责 (source §0) [R: period dates to confirm]").Exec(ctx)
}

// scaleRuleRows are the versions of the scales whose thresholds law sets (domain.md §3.1,
// §3.5, §5.1), with their dates.
var scaleRuleRows = []struct {
	scale  vocab.Scale
	from   string
	params vocab.ScaleParams
	basis  string
}{
	{vocab.ScaleEnvCredit, "2019-01-01", envCreditScale, "《江苏省企事业环保信用评价办法》: 12-point dynamic score from 9; GREEN 11–12, BLUE 6–10, YELLOW 3–5, RED 1–2, BLACK ≤ 0"},
	{vocab.ScaleEIAPoints, "2019-11-01", vocab.ScaleParams{WarningPoints: 10, RestrictionPoints: 20, RectifyMonths: 6},
		"《建设项目环境影响报告书（表）编制单位和编制人员失信行为记分办法（试行）》: 10 points warning, 20 points six-month rectification list"},
	{vocab.ScaleRepairWaivers, "2020-01-01", vocab.ScaleParams{Waivers: [][]string{{"EPIDEMIC"}, {"BANKRUPTCY_RESTRUCTURING"}, {"FIRST_OFFENCE", "NO_SUBJECTIVE_INTENT"}}},
		"Our reading of the 2020 repair guidance: an SME hit by the epidemic, a court-approved restructuring, or a first offence without intent need not wait out the minimum period [R]"},
	{vocab.ScaleRepairBars, "2021-09-01", repairBars, "总局令第45号第十四条（处罚信息修复）；总局令第44号第二十条（严重违法失信名单提前移出）"},
}

// repairBars are SAMR's further conditions of repair, both in force from 2021-09-01: Order 45
// art. 14 for its penalties, and Order 44 art. 20 for early removal from its serious list — no
// heavier penalty (较重行政处罚) from market supervision since the listing. Which categories are
// heavier is Order 44 art. 2 as we read it [R]: lowering a qualification, revoking a licence or
// business licence, restricting business, ordering a suspension or closure, restricting
// employment — and its first item, a fine set by the aggravated principle of the discretion
// benchmark (依照行政处罚裁量基准按照从重处罚原则处以罚款), recorded as a penalty's aggravatedFine.
var repairBars = vocab.ScaleParams{Bars: []vocab.RepairBar{order45Bar, order44Bar(true)}}

// order45Bar is Order 45 art. 14's bar, unchanged since first loaded.
var order45Bar = vocab.RepairBar{RuleSets: []string{"SAMR-ORDER-45"}, Lists: []string{"MS_ABNORMAL_OPERATION", "MS_SERIOUS_ILLEGAL_DISHONEST"}, SameViolationAgain: true,
	Basis: "《市场监督管理行政处罚信息公示规定》（总局令第45号）第十四条：未因同一类违法行为再次受到市场监督管理部门行政处罚，未在经营异常名录和严重违法失信名单中"}

// order44Bar is Order 44 art. 20's bar, with the aggravated fine (now) or without (as first
// loaded, before a penalty recorded it).
func order44Bar(aggravatedFine bool) vocab.RepairBar {
	return vocab.RepairBar{ListTypes: []string{"MS_SERIOUS_ILLEGAL_DISHONEST"}, HeavierPenaltyAgain: []vocab.PenaltyCategory{vocab.LowerQualification, vocab.RevokeLicence,
		vocab.RestrictBusiness, vocab.OrderSuspend, vocab.OrderClose, vocab.RestrictEmployment}, AggravatedFineAgain: aggravatedFine,
		Basis: "《市场监督管理严重违法失信名单管理办法》（总局令第44号）第二十条：未再受到市场监督管理部门较重行政处罚；较重行政处罚见第二条 [R]"}
}

// scaleVersionsBefore are versions as earlier reference data loaded them, by scale and first
// day: a database still holding one unchanged gets the version as the reference data have it
// now on the next start (REPAIR_BARS before Order 44's bar, and before the aggravated fine). A
// version the office changed or entered itself is never touched.
var scaleVersionsBefore = []struct {
	scale  vocab.Scale
	from   string
	params vocab.ScaleParams
}{
	{vocab.ScaleRepairBars, "2021-09-01", vocab.ScaleParams{Bars: []vocab.RepairBar{{RuleSets: []string{"SAMR-ORDER-45"},
		Lists: []string{"MS_ABNORMAL_OPERATION", "MS_SERIOUS_ILLEGAL_DISHONEST"}, SameViolationAgain: true}}}},
	{vocab.ScaleRepairBars, "2021-09-01", vocab.ScaleParams{Bars: []vocab.RepairBar{order45Bar, order44Bar(false)}}},
}

// envCreditScale is the environmental credit scale in force; the demo draws colours with it.
var envCreditScale = vocab.ScaleParams{InitialScore: 9, MaxScore: 12, Bands: []vocab.GradeBand{
	{Grade: "GREEN", MinScore: 11}, {Grade: "BLUE", MinScore: 6}, {Grade: "YELLOW", MinScore: 3}, {Grade: "RED", MinScore: 1}, {Grade: "BLACK", MinScore: 0}}}

// scaleRules loads the rules of each scale that has none: a database made before a scale
// existed gets it, and versions the credit office entered are never touched.
func scaleRules(ctx context.Context, c *ent.Client) error {
	have, err := c.ScaleRule.Query().GroupBy(scalerule.FieldScale).Strings(ctx)
	if err != nil {
		return err
	}
	var bulk []*ent.ScaleRuleCreate
	for _, r := range scaleRuleRows {
		if !slices.Contains(have, string(r.scale)) {
			bulk = append(bulk, c.ScaleRule.Create().SetScale(r.scale).SetEffectiveFrom(day(r.from)).SetParams(r.params).SetBasis(r.basis))
			continue
		}
		for _, b := range scaleVersionsBefore {
			if b.scale != r.scale || b.from != r.from {
				continue
			}
			old, err := c.ScaleRule.Query().Where(scalerule.ScaleEQ(r.scale), scalerule.EffectiveFrom(day(r.from))).All(ctx)
			if err != nil {
				return err
			}
			for _, o := range old {
				if reflect.DeepEqual(o.Params, b.params) {
					if err := o.Update().SetParams(r.params).SetBasis(r.basis).Exec(ctx); err != nil {
						return fmt.Errorf("bringing the %s version of %s up to date: %w", r.scale, r.from, err)
					}
				}
			}
		}
	}
	if len(bulk) == 0 {
		return nil
	}
	if err := c.ScaleRule.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading the scale rules: %w", err)
	}
	return nil
}

// measureSubjects are the kinds of subject a measure is for, where not both: an office-holding
// ban reaches persons, not the company (domain.md §8).
var measureSubjects = map[string][]string{"JP-OFF-01": {"PERSON"}}

// redLists are every red list, for the incentives every red list earns.
var redLists = []string{"TAX_A_GRADE", "LABOUR_A_GRADE", "ENV_GREEN", "SAMR_CONTRACT_HONOUR", "TRANSPORT_AA_GRADE"}

// incentiveRows are the joint-incentive catalogue (守信联合激励措施), dated from 国发〔2016〕33号
// (2016-05-30) §三; the inspection factor halves random inspections (our share [R]: the
// province sets it; it is data).
var incentiveRows = []struct {
	code, name, dept, basis string
	lists, purposes         []string
	factor                  float64
}{
	{"JI-LIC-01", "行政许可容缺受理：非核心材料暂缺时先行受理、限期补正", "各行政许可机关",
		"国发〔2016〕33号 第三条第（七）项: 对诚信典型和连续三年无不良信用记录的行政相对人, 可根据实际情况实施“绿色通道”和“容缺受理”等便利服务措施",
		redLists, []string{"LICENSING"}, 0},
	{"JI-LIC-02", "行政审批“绿色通道”：优先办理、简化程序", "各行政许可机关", "国发〔2016〕33号 第三条第（七）项",
		redLists, []string{"LICENSING", "NOTIFY_AND_COMMIT"}, 0},
	{"JI-INS-01", "减少随机抽查频次：日常检查、专项检查中优化检查频次", "各监管部门", "国发〔2016〕33号 第三条第（九）项 [R: factor 0.5 ours]",
		redLists, []string{"INSPECTION"}, 0.5},
	{"JI-SUB-01", "财政性资金和项目支持中同等条件下优先安排", "省财政厅及各资金主管部门", "国发〔2016〕33号 第三条第（八）项",
		redLists, []string{"SUBSIDY", "PROCUREMENT", "BIDDING"}, 0},
	{"JI-FIN-01", "信易贷：融资授信中给予优惠利率和信用贷款支持", "人民银行南京分行、金融监管部门", "国发〔2016〕33号 第三条第（十）项",
		[]string{"TAX_A_GRADE", "SAMR_CONTRACT_HONOUR"}, []string{"FINANCING"}, 0},
	{"JI-HON-01", "评优评先中同等条件下优先推荐", "各级评比表彰主管部门", "国发〔2016〕33号 第三条第（十一）项",
		redLists, []string{"HONOURS"}, 0},
}

// incentiveMeasures loads the joint-incentive catalogue when absent.
func incentiveMeasures(ctx context.Context, c *ent.Client) error {
	n, err := c.IncentiveMeasure.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	bulk := make([]*ent.IncentiveMeasureCreate, 0, len(incentiveRows))
	for _, m := range incentiveRows {
		b := c.IncentiveMeasure.Create().SetCode(m.code).SetName(m.name).SetImplementingDepartment(m.dept).
			SetLegalBasis(m.basis).SetRedListTypes(m.lists).SetPurposes(m.purposes).SetEffectiveFrom(day("2016-05-30"))
		if m.factor > 0 {
			b.SetInspectionFactor(m.factor)
		}
		bulk = append(bulk, b)
	}
	if err := c.IncentiveMeasure.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading the joint-incentive catalogue: %w", err)
	}
	return nil
}

// measures loads the joint-punishment catalogue and the first evaluation rule set when absent.
func measures(ctx context.Context, c *ent.Client) error {
	n, err := c.JointPunishmentMeasure.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	bulk := make([]*ent.JointPunishmentMeasureCreate, 0, len(measureRows))
	for _, m := range measureRows {
		bulk = append(bulk, c.JointPunishmentMeasure.Create().SetCode(m.code).SetName(m.name).
			SetImplementingDepartment(m.dept).SetLegalBasis(m.basis).SetListTypes(m.lists).
			SetExtendsToRoles(m.roles).SetPurposes(m.purposes).SetSubjectKinds(measureSubjects[m.code]))
	}
	if err := c.JointPunishmentMeasure.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading the joint-punishment catalogue: %w", err)
	}
	rs := evaluation.DefaultRuleSet()
	return c.EvaluationRuleSet.Create().SetName(rs.Name).SetEffectiveFrom(day("2020-01-01")).SetRules(rs).Exec(ctx)
}

// DemoToken is one entry of creditgraph-demo-tokens.json.
type DemoToken struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Department string `json:"department"`
	Unit       string `json:"unit,omitempty"`
	Subject    string `json:"subject,omitempty"`  // a subject token's entity (USCC)
	PersonID   int    `json:"personID,omitempty"` // a person token's person (registry ID)
	Token      string `json:"token"`
}

// DemoTokens issues one token per demo role: the credit office, a supervisor and two clerks of
// each sector, three of two cities' market bureaus (Suzhou, Nanjing), an auditor scoped to market
// supervision and one scoped to all.
func DemoTokens(ctx context.Context, svc authz.TokenService) ([]DemoToken, error) {
	reqs := []authz.IssueRequest{{Name: "demo-credit-office", Role: authz.RoleCreditOffice, Department: "credit_office"}}
	for _, d := range []string{"environment", "labour", "transport", "market"} {
		reqs = append(reqs,
			authz.IssueRequest{Name: "demo-" + d + "-supervisor", Role: authz.RoleSupervisor, Department: d},
			authz.IssueRequest{Name: "demo-" + d + "-clerk", Role: authz.RoleClerk, Department: d},
			// a second clerk: a repair's initial review is taken by someone other than its applicant
			authz.IssueRequest{Name: "demo-" + d + "-reviewer", Role: authz.RoleClerk, Department: d})
	}
	// Tokens of one city's market-supervision bureau: each handles only its own bureau's records,
	// repairs and objections (谁认定、谁修复).
	reqs = append(reqs,
		authz.IssueRequest{Name: "demo-market-suzhou-supervisor", Role: authz.RoleSupervisor, Department: "market", Unit: "market-320500"},
		authz.IssueRequest{Name: "demo-market-nanjing-supervisor", Role: authz.RoleSupervisor, Department: "market", Unit: "market-320100"},
		authz.IssueRequest{Name: "demo-market-nanjing-clerk", Role: authz.RoleClerk, Department: "market", Unit: "market-320100"})
	reqs = append(reqs,
		authz.IssueRequest{Name: "demo-auditor-market", Role: authz.RoleAuditor, Department: "market", Scope: []string{"market"}},
		authz.IssueRequest{Name: "demo-auditor-all", Role: authz.RoleAuditor, Department: "credit_office", Scope: []string{"all"}})
	out := make([]DemoToken, 0, len(reqs))
	for _, r := range reqs {
		secret, err := svc.Issue(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("issuing %s: %w", r.Name, err)
		}
		out = append(out, DemoToken{Name: r.Name, Role: r.Role, Department: r.Department, Unit: r.Unit, Token: secret})
	}
	return out, nil
}

// DemoSelfTokens issues the tokens of the enterprise's own window (主体自助) over the demo data: a
// subject token for the first entity by USCC with penalties and commitments, and a person token
// for its legal representative.
func DemoSelfTokens(ctx context.Context, svc authz.TokenService, c *ent.Client) ([]DemoToken, error) {
	ctx = authz.SystemContext(ctx)
	e, err := c.MarketEntity.Query().Where(marketentity.LegalRepresentativeIDNotNil(), marketentity.HasPenalties(), marketentity.HasCommitments()).
		Order(ent.Asc(marketentity.FieldUscc)).First(ctx)
	if err != nil {
		return nil, fmt.Errorf("choosing the demo subject: %w", err)
	}
	reqs := []authz.IssueRequest{
		{Name: "demo-subject", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: e.Uscc},
		{Name: "demo-person", Role: authz.RolePerson, Department: "credit_office", PersonID: e.LegalRepresentativeID},
	}
	out := make([]DemoToken, 0, len(reqs))
	for _, r := range reqs {
		secret, err := svc.Issue(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("issuing %s: %w", r.Name, err)
		}
		out = append(out, DemoToken{Name: r.Name, Role: r.Role, Department: r.Department, Subject: r.SubjectUSCC, PersonID: r.PersonID, Token: secret})
	}
	return out, nil
}

func minFromOf(listType string) *publicityrule.MinFrom {
	if f, ok := listMinFrom[listType]; ok {
		return &f
	}
	return nil // the default, START
}

// requiredReference is the reference data without which answers are wrong rather than refused:
// with no publicity rules every penalty is unpublished, with no calendar or time limits no
// deadline is counted, with no departments or divisions records and tokens name nothing. By
// table, with what it holds as an operator reads it. Reference fills each; ReferenceMissing
// says which are empty.
var requiredReference = []struct{ table, what string }{
	{publicityrule.Table, "publicity rules"},
	{evaluationruleset.Table, "evaluation rule set"},
	{scalerule.Table, "rating scales"},
	{timelimit.Table, "time limits"},
	{holiday.Table, "official calendar"},
	{jointpunishmentmeasure.Table, "joint-punishment catalogue"},
	{incentivemeasure.Table, "incentive catalogue"},
	{division.Table, "administrative divisions"},
	{department.Table, "departments"},
}

// optionalReference are the tables Reference fills that may rightly be empty, with why.
var optionalReference = map[string]string{
	exemptionperiod.Table: "the credit office may end or delete the exemption period; without one nothing is exempt, which is the rule",
	referenceload.Table:   "the record that a load ran, which serialises loads; no rule reads it, and a database loaded before it existed has none",
}

// ReferenceMissing names the reference data the database lacks (nil when none): a database
// whose schema was applied by `migrate` of a build that did not load the reference, or by
// hand. Commands that answer or write refuse such a database rather than answer wrongly.
func ReferenceMissing(ctx context.Context, c *ent.Client) ([]string, error) {
	var missing []string
	for _, r := range requiredReference {
		rows, err := c.QueryContext(ctx, "SELECT 1 FROM "+r.table+" LIMIT 1")
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.table, err)
		}
		found := rows.Next()
		err = errors.Join(rows.Err(), rows.Close())
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.table, err)
		}
		if !found {
			missing = append(missing, r.what)
		}
	}
	return missing, nil
}

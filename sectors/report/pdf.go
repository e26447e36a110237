package report

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/vocab"
	lru "github.com/hashicorp/golang-lru/v2"
)

// FontPaths are where Debian's packages put TrueType fonts with Chinese glyphs: AR PL SungtiL GB
// (fonts-arphic-gbsn00lp, a 宋体 as official documents use, with Latin letters and digits)
// first, then Droid Sans Fallback (fonts-droid-fallback: Chinese only, so Latin text would print
// as empty boxes). fpdf embeds TrueType outlines, not the CFF outlines of Noto CJK's files.
var FontPaths = []string{
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// FindFont reads the first CJK TrueType font of paths that exists; nil when none does.
func FindFont(paths ...string) ([]byte, string, error) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, p, err
		}
		return b, p, nil
	}
	return nil, "", nil
}

// ErrNoFont is what asking for a PDF answers on a server without a CJK font.
var ErrNoFont = fmt.Errorf("%w: printing reports needs a TrueType font with Chinese glyphs (apt-get install fonts-arphic-gbsn00lp, or set CREDITGRAPH_REPORT_FONT)", derrors.Unavailable)

var editionLabels = map[Edition]string{Public: "公开版", Authority: "授权查询版"}

var purposeLabels = map[string]string{
	"BIDDING": "招标投标", "SUBSIDY": "财政补贴", "LICENSING": "行政许可", "OFFICE_HOLDING": "任职资格",
	"NOTIFY_AND_COMMIT": "告知承诺", "PROCUREMENT": "政府采购", "HONOURS": "评优评先", "FINANCING": "融资信贷",
}

var kindLabels = map[string]string{KindPenalty: "行政处罚", KindLicence: "行政许可", KindRating: "信用评价", KindSpotCheck: "抽查检查"}

var listLabels = map[string]string{
	"MS_ABNORMAL_OPERATION": "经营异常名录", "MS_SERIOUS_ILLEGAL_DISHONEST": "严重违法失信名单",
	"HR_WAGE_ARREARS": "拖欠农民工工资失信联合惩戒对象名单", "HR_SOCIAL_INSURANCE_SERIOUS": "社会保险领域严重失信人名单",
	"HR_MAJOR_VIOLATION_PUBLICATION": "重大劳动保障违法行为社会公布", "EE_EIA_RECTIFICATION": "环评限期整改名单",
	"EE_EIA_BLACKLIST": "环评失信黑名单", "TR_SERIOUS_DISHONEST": "交通运输严重失信名单", "TR_KEY_SUPERVISION": "交通运输重点关注名单",
	"COURT_DISHONEST_JUDGMENT_DEBTOR": "失信被执行人名单", "COMMITMENT_BREACH": "违背信用承诺名单",
}

var redListLabels = map[string]string{
	"TAX_A_GRADE": "A级纳税人", "LABOUR_A_GRADE": "劳动保障守法诚信A级", "ENV_GREEN": "环保信用绿色等级",
	"SAMR_CONTRACT_HONOUR": "守合同重信用企业", "TRANSPORT_AA_GRADE": "交通运输信用AA级",
}

var commitmentLabels = map[string]string{
	"APPLICATION_NOTIFY_COMMIT": "审批告知承诺", "REPAIR": "信用修复承诺", "VOLUNTARY": "主动型承诺", "INDUSTRY_SELF_DISCIPLINE": "行业自律承诺",
	"PENDING": "履行中", "FULFILLED": "已履行", "BREACHED": "未履行（失信）",
}

var statusLabels = map[string]string{"EXISTING": "存续", "OPERATING": "在业", "REVOKED": "吊销", "CANCELLED": "注销", "MOVED_OUT": "迁出"}

var gradeLabels = map[string]string{"EXCELLENT": "优", "GOOD": "良", "MEDIUM": "中", "POOR": "差"}

func label(m map[string]string, k string) string {
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

func date(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.Format(time.DateOnly)
}

// PDF prints r with its verification code on A4 pages: a header with number, issue time and
// code on every page, the edition as a watermark, and a bar chart of the evaluation's
// components. The font is embedded as a subset of the glyphs used. The same report and code
// print the same bytes.
func (s *Service) PDF(r *Report) ([]byte, error) {
	if len(s.Font) == 0 {
		return nil, ErrNoFont
	}
	// The same report prints the same bytes: an issue printed again (or asked for under
	// several aliases) is not printed anew.
	s.printedOnce.Do(func() { s.printed, _ = lru.New[string, []byte](64) })
	key := r.Number + "\x00" + r.Digest
	if b, ok := s.printed.Get(key); ok && r.Digest != "" {
		return b, nil
	}
	b, err := s.print(r)
	if err == nil && r.Digest != "" {
		s.printed.Add(key, b)
	}
	return b, err
}

// print lays the report out as an A4 PDF.
func (s *Service) print(r *Report) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(r.IssuedAt)
	p.SetModificationDate(r.IssuedAt)
	p.SetCatalogSort(true)
	p.SetTitle("公共信用报告 "+r.Number, true)
	p.SetAuthor("creditgraph", true)
	p.AddUTF8FontFromBytes("cjk", "", s.Font)
	p.SetMargins(18, 28, 18)
	p.SetAutoPageBreak(true, 20)
	issued := r.IssuedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	p.SetHeaderFunc(func() {
		// The watermark first, so the text prints over it.
		p.TransformBegin()
		p.SetAlpha(0.12, "Normal")
		p.SetFont("cjk", "", 64)
		p.SetTextColor(200, 0, 0)
		p.TransformRotate(35, 105, 160)
		p.Text(48, 170, editionLabels[r.Edition])
		p.TransformEnd()
		p.SetAlpha(1, "Normal")
		p.SetTextColor(90, 90, 90)
		p.SetFont("cjk", "", 8)
		p.SetXY(18, 10)
		p.CellFormat(0, 4, "报告编号 "+r.Number+"    出具时间 "+issued+"（北京时间）", "", 1, "L", false, 0, "")
		p.SetX(18)
		p.CellFormat(0, 4, "验证码 "+r.VerificationCode+"    以报告编号和验证码调用 verifyCreditReport 可核验本报告真伪及是否被篡改", "B", 1, "L", false, 0, "")
		p.SetTextColor(0, 0, 0)
	})
	p.SetFooterFunc(func() {
		p.SetY(-14)
		p.SetFont("cjk", "", 8)
		p.SetTextColor(90, 90, 90)
		p.CellFormat(0, 6, fmt.Sprintf("第 %d 页，共 {nb} 页", p.PageNo()), "", 0, "C", false, 0, "")
		p.SetTextColor(0, 0, 0)
	})
	p.AliasNbPages("{nb}")
	p.AddPage()

	p.SetFont("cjk", "", 20)
	p.CellFormat(0, 12, "江苏省公共信用报告（"+editionLabels[r.Edition]+"）", "", 1, "C", false, 0, "")
	p.SetFont("cjk", "", 10)
	p.CellFormat(0, 6, "用途："+label(purposeLabels, r.Purpose)+"    信息截至："+r.AsOf.Format(time.DateOnly), "", 1, "C", false, 0, "")
	p.Ln(3)

	heading := func(t string) {
		p.Ln(2)
		p.SetFont("cjk", "", 13)
		p.SetFillColor(230, 236, 245)
		p.CellFormat(0, 8, t, "", 1, "L", true, 0, "")
		p.SetFont("cjk", "", 9.5)
		p.Ln(1)
	}
	row := func(k, v string) {
		p.CellFormat(38, 6, k, "1", 0, "L", false, 0, "")
		p.MultiCell(0, 6, v, "1", "L", false)
	}
	none := func() { p.CellFormat(0, 6, "无", "", 1, "L", false, 0, "") }

	sub := r.Subject
	heading("一、登记信息")
	row("名称", sub.Name)
	row("统一社会信用代码", sub.USCC)
	row("登记状态", label(statusLabels, string(sub.Status)))
	row("成立日期", date(sub.EstablishedOn))
	if sub.LegalRepresentative != "" {
		row("法定代表人", sub.LegalRepresentative)
	}
	if sub.RegisteredCapital != nil {
		row("注册资本（万元）", sub.RegisteredCapital.String())
	}
	if sub.RegisteredAddress != "" {
		row("注册地址", sub.RegisteredAddress)
	}
	row("登记机关区划", sub.DivisionCode+" "+sub.Division)

	heading("二、公共信用综合评价")
	if r.Evaluation == nil {
		none()
	} else {
		ev := r.Evaluation
		row("风险等级", string(ev.Tier)+" 类")
		row("综合得分", fmt.Sprintf("%d（满分1000）", ev.Score))
		row("评价等级", label(gradeLabels, string(ev.Grade)))
		row("规则版本", ev.RuleSet)
		if labels := ev.GateLabels(); len(labels) > 0 {
			for _, g := range labels {
				row("触发规则", g)
			}
		}
		s.chart(p, ev.Components)
	}

	heading("三、行政管理信息")
	if len(r.Records) == 0 {
		none()
	}
	var sector vocab.Sector = "-"
	for _, rec := range r.Records {
		if rec.Sector != sector {
			sector = rec.Sector
			p.SetFont("cjk", "", 11)
			p.CellFormat(0, 7, vocab.SectorLabels[sector], "", 1, "L", false, 0, "")
			p.SetFont("cjk", "", 9.5)
		}
		line := fmt.Sprintf("[%s] %s  %s  %s", label(kindLabels, rec.Kind), rec.Date.Format(time.DateOnly), rec.Department, rec.DecisionNo)
		p.MultiCell(0, 5.5, line, "T", "L", false)
		p.MultiCell(0, 5.5, rec.Title+"："+rec.Detail, "", "L", false)
		if rec.Until != nil {
			p.MultiCell(0, 5.5, "公示（有效）期至 "+date(rec.Until), "", "L", false)
		}
	}

	heading("四、名单信息")
	if len(r.Listings) == 0 {
		none()
	}
	for _, l := range r.Listings {
		p.MultiCell(0, 5.5, fmt.Sprintf("%s  %s 列入  %s  %s", label(listLabels, string(l.ListType)), l.ListedOn.Format(time.DateOnly), l.Department, l.DecisionNo), "T", "L", false)
		p.MultiCell(0, 5.5, "事由："+l.Reason+"    计划移出："+date(l.PlannedEndOn)+"    已移出："+date(l.RemovedOn), "", "L", false)
	}

	heading("五、信用承诺及履行情况")
	if len(r.Commitments) == 0 {
		none()
	}
	for _, c := range r.Commitments {
		p.MultiCell(0, 5.5, fmt.Sprintf("%s  %s  %s  %s（%s）", label(commitmentLabels, string(c.Kind)), c.SignedOn.Format(time.DateOnly),
			c.Department, c.RelatedMatter, label(commitmentLabels, string(c.Fulfilment))), "T", "L", false)
		p.MultiCell(0, 5.5, c.Text, "", "L", false)
	}

	heading("六、联合惩戒措施（" + label(purposeLabels, r.Purpose) + "）")
	if len(r.Restrictions) == 0 {
		none()
	}
	for _, x := range r.Restrictions {
		p.MultiCell(0, 5.5, x.MeasureCode+" "+x.Measure, "T", "L", false)
		p.MultiCell(0, 5.5, fmt.Sprintf("依据名单：%s（%s，%s 列入），至 %s", label(listLabels, string(x.ListType)), x.Department, x.ListedOn.Format(time.DateOnly), date(x.Until)), "", "L", false)
	}

	heading("七、守信激励措施（" + label(purposeLabels, r.Purpose) + "）")
	if len(r.IncentivesWithheldBy) > 0 {
		p.MultiCell(0, 5.5, "存在在效的失信名单（"+strings.Join(r.IncentivesWithheldBy, "；")+"），失信惩戒优先，不享受守信激励。", "", "L", false)
	} else if len(r.Incentives) == 0 {
		none()
	}
	for _, x := range r.Incentives {
		p.MultiCell(0, 5.5, x.MeasureCode+" "+x.Measure, "T", "L", false)
		p.MultiCell(0, 5.5, fmt.Sprintf("依据红名单：%s（%s，%s 认定，%s），至 %s", label(redListLabels, string(x.ListType)), x.Source,
			x.RecognisedOn.Format(time.DateOnly), x.DecisionNo, date(x.Until)), "", "L", false)
	}

	heading("八、信用修复记录")
	if len(r.Repairs) == 0 {
		none()
	}
	for _, a := range r.Repairs {
		p.MultiCell(0, 5.5, fmt.Sprintf("%s  %s  申请 %s  完成 %s  状态 %s", a.Record, a.Department, date(a.SubmittedOn), date(a.CompletedOn), string(a.State)), "T", "L", false)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Omitted)) {
		p.MultiCell(0, 5.5, fmt.Sprintf("另有 %s %d 条未列出（每类列出最新 %d 条）", k, r.Omitted[k], MaxPerSection), "", "L", false)
	}

	p.Ln(6)
	p.SetFont("cjk", "", 9)
	p.MultiCell(0, 5, "说明：本报告依据各部门归集至江苏省公共信用信息平台的信息出具，"+
		map[Edition]string{Public: "仅包含处于公示期内的信息。", Authority: "包含查询单位依其权限可查阅的信息，个人信息已按规定脱敏，仅供所述用途使用。"}[r.Edition]+
		"如对信息有异议，可向认定单位或省信用办提出异议申请。", "", "L", false)

	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chart draws the evaluation's components as horizontal bars of their normalised scores
// (0–100), each labelled with its scheme, grade and weight.
func (s *Service) chart(p *fpdf.Fpdf, cs []vocab.Component) {
	if len(cs) == 0 {
		p.CellFormat(0, 6, "无行业信用评价，按无评价基准分计算", "", 1, "L", false, 0, "")
		return
	}
	p.Ln(2)
	p.SetFont("cjk", "", 9)
	p.CellFormat(0, 6, "各行业评价分项（标准化得分，满分100；括号内为权重）", "", 1, "L", false, 0, "")
	const labelW, barW, h = 62.0, 90.0, 6.0
	for _, c := range cs {
		x, y := p.GetX(), p.GetY()
		p.CellFormat(labelW, h, fmt.Sprintf("%s %s", c.SchemeLabel(), c.SourceGrade), "", 0, "L", false, 0, "")
		p.SetFillColor(235, 235, 235)
		p.Rect(x+labelW, y+1, barW, h-2, "F")
		p.SetFillColor(46, 94, 170)
		p.Rect(x+labelW, y+1, barW*min(max(c.NormalisedScore, 0), 100)/100, h-2, "F")
		p.SetXY(x+labelW+barW+2, y)
		p.CellFormat(0, h, fmt.Sprintf("%.0f（%.0f%%）", c.NormalisedScore, c.Weight*100), "", 1, "L", false, 0, "")
	}
}

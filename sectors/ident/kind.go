package ident

import (
	"io"

	"github.com/creditgraph/creditgraph/sectors"
)

// EntityKind is the kind of organisation encoded in positions 1-2 of a USCC: the registration
// authority (position 1) and the organisation type it registers (position 2).
type EntityKind string

// The kinds of GB 32100 appendix A. Names follow the Chinese terms in their comments.
const (
	KindGovernmentOrgan           EntityKind = "GOVERNMENT_ORGAN"            // 11 机关
	KindPublicInstitution         EntityKind = "PUBLIC_INSTITUTION"          // 12 事业单位
	KindMassOrganisation          EntityKind = "MASS_ORGANISATION"           // 13 中央编办管理的群众团体
	KindForeignNewsAgency         EntityKind = "FOREIGN_NEWS_AGENCY"         // 21 外国常驻新闻机构
	KindLawFirm                   EntityKind = "LAW_FIRM"                    // 31 律师执业机构
	KindNotaryOffice              EntityKind = "NOTARY_OFFICE"               // 32 公证处
	KindGrassrootsLegalService    EntityKind = "GRASSROOTS_LEGAL_SERVICE"    // 33 基层法律服务所
	KindJudicialExpertise         EntityKind = "JUDICIAL_EXPERTISE"          // 34 司法鉴定机构
	KindArbitrationCommission     EntityKind = "ARBITRATION_COMMISSION"      // 35 仲裁委员会
	KindForeignCultureCentre      EntityKind = "FOREIGN_CULTURE_CENTRE"      // 41 外国在华文化中心
	KindSocialOrganisation        EntityKind = "SOCIAL_ORGANISATION"         // 51 社会团体
	KindPrivateNonEnterprise      EntityKind = "PRIVATE_NON_ENTERPRISE"      // 52 民办非企业单位
	KindFoundation                EntityKind = "FOUNDATION"                  // 53 基金会
	KindForeignTourismOffice      EntityKind = "FOREIGN_TOURISM_OFFICE"      // 61 外国旅游部门常驻代表机构
	KindHMTTourismOffice          EntityKind = "HMT_TOURISM_OFFICE"          // 62 港澳台旅游部门常驻代表机构
	KindReligiousVenue            EntityKind = "RELIGIOUS_VENUE"             // 71 宗教活动场所
	KindReligiousSchool           EntityKind = "RELIGIOUS_SCHOOL"            // 72 宗教院校
	KindTradeUnion                EntityKind = "TRADE_UNION"                 // 81 基层工会
	KindEnterprise                EntityKind = "ENTERPRISE"                  // 91 企业
	KindIndividualBusiness        EntityKind = "INDIVIDUAL_BUSINESS"         // 92 个体工商户
	KindFarmersCooperative        EntityKind = "FARMERS_COOPERATIVE"         // 93 农民专业合作社
	KindMilitaryInstitution       EntityKind = "MILITARY_INSTITUTION"        // A1 军队事业单位
	KindCollectiveEconomicGroup   EntityKind = "COLLECTIVE_ECONOMIC_GROUP"   // N1 组级集体经济组织
	KindCollectiveEconomicVillage EntityKind = "COLLECTIVE_ECONOMIC_VILLAGE" // N2 村级集体经济组织
	KindCollectiveEconomicTown    EntityKind = "COLLECTIVE_ECONOMIC_TOWN"    // N3 乡镇级集体经济组织
	KindOther                     EntityKind = "OTHER"                       // x9 其他, Y1
)

var kindByCode = map[string]EntityKind{
	"11": KindGovernmentOrgan, "12": KindPublicInstitution, "13": KindMassOrganisation, "19": KindOther,
	"21": KindForeignNewsAgency, "29": KindOther,
	"31": KindLawFirm, "32": KindNotaryOffice, "33": KindGrassrootsLegalService, "34": KindJudicialExpertise,
	"35": KindArbitrationCommission, "39": KindOther,
	"41": KindForeignCultureCentre, "49": KindOther,
	"51": KindSocialOrganisation, "52": KindPrivateNonEnterprise, "53": KindFoundation, "59": KindOther,
	"61": KindForeignTourismOffice, "62": KindHMTTourismOffice, "69": KindOther,
	"71": KindReligiousVenue, "72": KindReligiousSchool, "79": KindOther,
	"81": KindTradeUnion, "89": KindOther,
	"91": KindEnterprise, "92": KindIndividualBusiness, "93": KindFarmersCooperative, "99": KindOther,
	"A1": KindMilitaryInstitution, "A9": KindOther,
	"N1": KindCollectiveEconomicGroup, "N2": KindCollectiveEconomicVillage, "N3": KindCollectiveEconomicTown, "N9": KindOther,
	"Y1": KindOther,
}

// EntityKindOf derives the entity kind from positions 1-2 of a code; ok is false when the pair
// is not in the standard.
func EntityKindOf(uscc string) (EntityKind, bool) {
	if len(uscc) < 2 {
		return "", false
	}
	k, ok := kindByCode[uscc[:2]]
	return k, ok
}

// Values lists every kind; ent uses it to declare the enum column.
func (EntityKind) Values() []string {
	seen := map[EntityKind]bool{}
	var out []string
	for _, code := range []string{"11", "12", "13", "21", "31", "32", "33", "34", "35", "41", "51", "52", "53",
		"61", "62", "71", "72", "81", "91", "92", "93", "A1", "N1", "N2", "N3", "Y1"} {
		k := kindByCode[code]
		if !seen[k] {
			seen[k] = true
			out = append(out, string(k))
		}
	}
	return out
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k EntityKind) MarshalGQL(w io.Writer) { sectors.MarshalEnum(w, string(k)) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *EntityKind) UnmarshalGQL(v any) error { return sectors.UnmarshalEnum(v, k, "entity kind") }

package vocab

import "io"

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

// Values lists every kind in the order of GB 32100's codes; ent uses it to declare the enum
// column.
func (EntityKind) Values() []string {
	return []string{"GOVERNMENT_ORGAN", "PUBLIC_INSTITUTION", "MASS_ORGANISATION", "FOREIGN_NEWS_AGENCY", "LAW_FIRM", "NOTARY_OFFICE", "GRASSROOTS_LEGAL_SERVICE", "JUDICIAL_EXPERTISE", "ARBITRATION_COMMISSION", "FOREIGN_CULTURE_CENTRE", "SOCIAL_ORGANISATION", "PRIVATE_NON_ENTERPRISE", "FOUNDATION", "FOREIGN_TOURISM_OFFICE", "HMT_TOURISM_OFFICE", "RELIGIOUS_VENUE", "RELIGIOUS_SCHOOL", "TRADE_UNION", "ENTERPRISE", "INDIVIDUAL_BUSINESS", "FARMERS_COOPERATIVE", "MILITARY_INSTITUTION", "COLLECTIVE_ECONOMIC_GROUP", "COLLECTIVE_ECONOMIC_VILLAGE", "COLLECTIVE_ECONOMIC_TOWN", "OTHER"}
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k EntityKind) MarshalGQL(w io.Writer) { MarshalEnum(w, string(k)) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *EntityKind) UnmarshalGQL(v any) error { return UnmarshalEnum(v, k, "entity kind") }

// IDType is the kind of identity document (证件类型) a natural person is recorded with. Only
// resident identity numbers and residence permits carry a checksum.
type IDType string

const (
	IDResidentCard         IDType = "RESIDENT_ID"                 // 居民身份证
	IDHMTResidencePermit   IDType = "HMT_RESIDENCE_PERMIT"        // 港澳台居民居住证 (81/82/83 prefix, same checksum)
	IDPassport             IDType = "PASSPORT"                    // 护照
	IDHKMacaoPermit        IDType = "HK_MACAO_TRAVEL_PERMIT"      // 港澳居民来往内地通行证
	IDTaiwanPermit         IDType = "TAIWAN_TRAVEL_PERMIT"        // 台湾居民来往大陆通行证
	IDForeignPermanentCard IDType = "FOREIGN_PERMANENT_RESIDENCE" // 外国人永久居留身份证
	IDOther                IDType = "OTHER"                       // 其他
)

// Values lists every ID type; ent uses it to declare the enum column.
func (IDType) Values() []string {
	return []string{string(IDResidentCard), string(IDHMTResidencePermit), string(IDPassport),
		string(IDHKMacaoPermit), string(IDTaiwanPermit), string(IDForeignPermanentCard), string(IDOther)}
}

// MarshalGQL writes the type as a GraphQL enum value.
func (t IDType) MarshalGQL(w io.Writer) { MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum value.
func (t *IDType) UnmarshalGQL(v any) error { return UnmarshalEnum(v, t, "ID type") }

// Gender as encoded in the sequence digits of a resident identity number.
type Gender string

const (
	GenderMale   Gender = "MALE"
	GenderFemale Gender = "FEMALE"
)

// Values lists the genders; ent uses it to declare the enum column.
func (Gender) Values() []string { return []string{string(GenderMale), string(GenderFemale)} }

// MarshalGQL writes the gender as a GraphQL enum value.
func (g Gender) MarshalGQL(w io.Writer) { MarshalEnum(w, string(g)) }

// UnmarshalGQL reads a GraphQL enum value.
func (g *Gender) UnmarshalGQL(v any) error { return UnmarshalEnum(v, g, "gender") }

package ident

import (
	"github.com/creditgraph/creditgraph/vocab"
)

var kindByCode = map[string]vocab.EntityKind{
	"11": vocab.KindGovernmentOrgan, "12": vocab.KindPublicInstitution, "13": vocab.KindMassOrganisation, "19": vocab.KindOther,
	"21": vocab.KindForeignNewsAgency, "29": vocab.KindOther,
	"31": vocab.KindLawFirm, "32": vocab.KindNotaryOffice, "33": vocab.KindGrassrootsLegalService, "34": vocab.KindJudicialExpertise,
	"35": vocab.KindArbitrationCommission, "39": vocab.KindOther,
	"41": vocab.KindForeignCultureCentre, "49": vocab.KindOther,
	"51": vocab.KindSocialOrganisation, "52": vocab.KindPrivateNonEnterprise, "53": vocab.KindFoundation, "59": vocab.KindOther,
	"61": vocab.KindForeignTourismOffice, "62": vocab.KindHMTTourismOffice, "69": vocab.KindOther,
	"71": vocab.KindReligiousVenue, "72": vocab.KindReligiousSchool, "79": vocab.KindOther,
	"81": vocab.KindTradeUnion, "89": vocab.KindOther,
	"91": vocab.KindEnterprise, "92": vocab.KindIndividualBusiness, "93": vocab.KindFarmersCooperative, "99": vocab.KindOther,
	"A1": vocab.KindMilitaryInstitution, "A9": vocab.KindOther,
	"N1": vocab.KindCollectiveEconomicGroup, "N2": vocab.KindCollectiveEconomicVillage, "N3": vocab.KindCollectiveEconomicTown, "N9": vocab.KindOther,
	"Y1": vocab.KindOther,
}

// EntityKindOf derives the entity kind from positions 1-2 of a code; ok is false when the pair
// is not in the standard.
func EntityKindOf(uscc string) (vocab.EntityKind, bool) {
	if len(uscc) < 2 {
		return "", false
	}
	k, ok := kindByCode[uscc[:2]]
	return k, ok
}

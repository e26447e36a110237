package graph

import (
	"encoding/base64"
	"maps"
	"slices"

	"github.com/creditgraph/creditgraph/sectors/report"
)

// reportOmissions lists a report's cut sections in a stable order.
func reportOmissions(r *report.Report) []*CreditReportOmission {
	out := []*CreditReportOmission{}
	for _, k := range slices.Sorted(maps.Keys(r.Omitted)) {
		out = append(out, &CreditReportOmission{Section: CreditReportSection(k), Count: r.Omitted[k]})
	}
	return out
}

// reportPDF prints a report and encodes it for JSON.
func reportPDF(s *report.Service, r *report.Report) (string, error) {
	b, err := s.PDF(r)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

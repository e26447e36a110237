package ledger

import "testing"

// The foreign-key columns the records share point where the schema says, and their tables
// read as words in a message.
func TestReferencesFromTheSchema(t *testing.T) {
	for col, want := range map[string]string{"entity_id": "market_entities", "person_id": "natural_persons", "department_id": "departments"} {
		if got := references[col]; got != want {
			t.Errorf("%s points at %q, want %q", col, got, want)
		}
	}
	for table, want := range map[string]string{"market_entities": "market entity", "natural_persons": "natural person",
		"departments": "department", "list_entries": "list entry", "service_providers": "service provider"} {
		if got := noun(table); got != want {
			t.Errorf("noun(%s) = %q, want %q", table, got, want)
		}
	}
}

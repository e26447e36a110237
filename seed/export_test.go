package seed

// RequiredReference and OptionalReference let the tests check the lists against what
// Reference fills: the required tables in order, with what each holds.
func RequiredReference() (tables, what []string) {
	for _, r := range requiredReference {
		tables, what = append(tables, r.table), append(what, r.what)
	}
	return tables, what
}

var OptionalReference = optionalReference

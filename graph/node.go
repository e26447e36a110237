package graph

import "github.com/creditgraph/creditgraph/ent"

// nullIfNotFound gives Relay's answer for node(id) of a row that does not exist, or that the
// caller may not see: null, with no error that would confirm or deny the row.
func nullIfNotFound(n ent.Noder, err error) (ent.Noder, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return n, err
}

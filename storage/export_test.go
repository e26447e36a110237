package storage

import "context"

// Repair runs the transaction guard's repair of a damaged table definition on d's database.
func (d *DB) Repair(ctx context.Context, err error, warn func(string, ...any)) error {
	return guarded{db: d.SQL, warn: warn}.repair(ctx, err)
}

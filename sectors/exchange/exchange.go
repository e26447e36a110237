// Package exchange imports the files departments export (归集): spreadsheets (XLSX) and CSV
// (UTF-8 or GB18030) in the national column layouts, one row at a time through the write engine,
// so every row passes the validation, publicity and evaluation the API applies. The result is a
// per-row report (row, column, problem), also as an XLSX file. Rows are keyed by their source
// (the department's exchange and the decision number), so importing a file again writes nothing
// new, and an interrupted import is finished by running it again (or from a row on).
package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/vocab"
)

// Mode says what a file with bad rows does.
type Mode string

const (
	// GoodRows imports the good rows and reports the others.
	GoodRows Mode = "GOOD_ROWS"
	// AllOrNothing imports every row or, when any is bad, none (and reports them all).
	AllOrNothing Mode = "ALL_OR_NOTHING"
)

// Values are the modes, for GraphQL.
func (Mode) Values() []string { return []string{string(GoodRows), string(AllOrNothing)} }

// MarshalGQL writes the mode as a GraphQL enum.
func (m Mode) MarshalGQL(w io.Writer) { vocab.MarshalEnum(w, string(m)) }

// UnmarshalGQL reads a GraphQL enum.
func (m *Mode) UnmarshalGQL(v any) error { return vocab.UnmarshalEnum(v, m, "import mode") }

// Problem is one bad row: its line in the file (the header is row 1), the column and what is
// wrong.
type Problem struct {
	Row     int
	Column  string
	Problem string
}

// Report is the result of an import.
type Report struct {
	Kind       string
	Department string
	Mode       Mode
	// Rows read (after From, blank rows left out) = Imported (written now) + Existing (stored
	// before under the same source key: written nothing) + Rejected (bad).
	Rows, Imported, Existing, Rejected int
	// Committed: the good rows were written (false for an all-or-nothing file with bad rows).
	Committed bool
	Problems  []Problem
}

// Importer imports files through the write engine.
type Importer struct {
	Client *ent.Client
	Ledger *ledger.Engine
	// Batch is how many rows go into one transaction (default 500, at most ledger.MaxBatch).
	Batch int
	// Progress, when set, is told after each batch how many rows are done and the file line of
	// the last of them: every row up to that line is written or reported, so an import resumed
	// from the line after it (From) misses none.
	Progress func(rows, line int)
	// Workers is how many batches of a GOOD_ROWS import are written at once, each in its own
	// transaction (default 1). The file is still read in order and the report and progress
	// are the same; a database that runs writers side by side (MariaDB) imports faster with
	// 2, one that runs one writer at a time (SQLite) gains nothing (storage.Target.Writers).
	Workers int
	// Severity is the severity of penalties in files without a 严重程度 column; empty refuses
	// such rows.
	Severity vocab.Severity
	// From skips the rows before this line (resuming a long import); 0 or 2 reads all.
	From int
}

// Kinds are what can be imported.
var Kinds = []string{"penalties", "licences", "list_entries", "ratings"}

// Import reads a file of kind for the department with code dep (e.g. market-320500) and imports
// it in mode. ctx's viewer must be allowed to write the department's records (the data layer
// checks each row as for the API).
func (im *Importer) Import(ctx context.Context, kind, dep string, r io.Reader, format Format, mode Mode) (*Report, error) {
	sp, ok := specs[kind]
	if !ok {
		return nil, derrors.Field("kind", "import reads %v, not %q", Kinds, kind)
	}
	if mode != GoodRows && mode != AllOrNothing {
		return nil, derrors.Field("mode", "unknown mode %q (GOOD_ROWS, ALL_OR_NOTHING)", mode)
	}
	d, err := im.Client.Department.Query().Where(department.Code(dep)).Only(authz.AsSystem(ctx))
	if ent.IsNotFound(err) {
		return nil, derrors.Field("department", "no department with code %q", dep)
	}
	if err != nil {
		return nil, err
	}
	if !authz.May(authz.FromContext(ctx), authz.Determining, authz.Owner{Sector: d.Sector, Department: d.Code}) {
		return nil, fmt.Errorf("%w: importing records of %s needs the right to record them", derrors.Forbidden, d.Code)
	}
	if mode == AllOrNothing {
		// A dry run finds every bad row, writing nothing; a clean file is then written in one
		// transaction, so it stands or falls whole.
		rep, err := im.run(ctx, kind, sp, d, r, format, mode, true)
		if err != nil || len(rep.Problems) > 0 {
			return rep, err
		}
		seeker, ok := r.(io.Seeker)
		if !ok {
			return nil, errors.New("an all-or-nothing import reads the file twice: give a seekable file")
		}
		// The one transaction holds every entity the file names until it commits, so another
		// writer can clash with it — a deadlock, or a source key the other committed first.
		// The attempt wrote nothing: the file is written again whole, a bounded number of times.
		for clashes := 0; ; {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			rep, err := im.run(ctx, kind, sp, d, r, format, mode, false)
			if err == nil || !again(ctx, err, &clashes) {
				return rep, err
			}
		}
	}
	return im.run(ctx, kind, sp, d, r, format, mode, false)
}

// header maps a file's columns to the API fields, by Chinese header or field code.
func header(cols []string, layout []Column) (map[string]int, error) {
	byName := map[string]string{}
	for _, c := range layout {
		byName[c.Header], byName[c.Code] = c.Field, c.Field
	}
	idx := map[string]int{}
	for i, h := range cols {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		h = strings.NewReplacer("(", "（", ")", "）").Replace(h)
		if f, ok := byName[h]; ok {
			idx[f] = i
		} else if f, ok := byName[strings.ToUpper(h)]; ok {
			idx[f] = i
		}
	}
	var missing []string
	for _, c := range layout {
		if _, ok := idx[c.Field]; c.Required && !ok {
			missing = append(missing, c.Header+" ("+c.Code+")")
		}
	}
	if len(missing) > 0 {
		return nil, derrors.Field("file", "the header row lacks the required columns %s", strings.Join(missing, ", "))
	}
	return idx, nil
}

// columnName is how a report names a field's column.
func columnName(layout []Column, field string) string {
	for _, c := range layout {
		if c.Field == field {
			return c.Header + " (" + c.Code + ")"
		}
	}
	return field
}

type pending struct {
	line int
	key  string // the source record ID
	uscc string // the legal person's USCC to resolve to its entity; "" for none
	in   any    // the create input
}

func (im *Importer) run(ctx context.Context, kind string, sp spec, d *ent.Department, r io.Reader, format Format, mode Mode, dry bool) (*Report, error) {
	rep := &Report{Kind: kind, Department: d.Code, Mode: mode, Problems: []Problem{}}
	rs, err := openRows(r, format)
	if err != nil {
		return nil, derrors.Field("file", "%s", err)
	}
	defer rs.Close()
	cols, err := rs.Next()
	if err == io.EOF {
		return nil, derrors.Field("file", "the file is empty")
	}
	if err != nil {
		return nil, derrors.Field("file", "%s", err)
	}
	idx, err := header(cols, sp.columns)
	if err != nil {
		return nil, err
	}
	batch := im.Batch
	if batch <= 0 || batch > ledger.MaxBatch {
		batch = 500
	}
	system := "exchange:" + d.Code
	var one *ent.Tx // the all-or-nothing write's one transaction
	if mode == AllOrNothing && !dry {
		if one, err = im.Client.Tx(ctx); err != nil {
			return nil, err
		}
		defer func() {
			if one != nil {
				_ = one.Rollback()
			}
		}()
	}
	var chunk []pending
	read := 1 // the file line last read; 1 is the header
	// first holds the line of each source key's first row. A file's later row with the same
	// key is reported against it here, as it is read, so what happens to a row never depends
	// on how the file is cut into batches or spread over writers: a repeat in another batch
	// would otherwise be found stored and counted as such, its differing content dropped.
	first := map[string]int{}
	write := im.writer(ctx, sp, d.ID, system, rep, one, dry, mode)
	defer write.stop()
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := write.batch(chunk, rep.Rows, read); err != nil {
			return err
		}
		chunk = nil // a worker may still be writing it
		return nil
	}
	for line := 2; ; line++ {
		row, err := rs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, derrors.Field("file", "row %d: %s", line, err)
		}
		read = line
		if blank(row) {
			continue
		}
		get := func(field string) string {
			if i, ok := idx[field]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		in, key, uscc, bad := sp.build(get, d, system, im)
		if line < im.From {
			// Skipped when resuming, but its key is still the first: a later row repeating
			// it is reported as a repeat, as the whole import reported it.
			if _, ok := first[key]; bad == nil && !ok {
				first[strings.Clone(key)] = line
			}
			continue
		}
		rep.Rows++
		if bad != nil {
			rep.Problems = append(rep.Problems, problem(line, columnName(sp.columns, bad.column), bad.problem))
			rep.Rejected++
			continue
		}
		if at, ok := first[key]; ok {
			rep.Problems = append(rep.Problems, problem(line, columnName(sp.columns, "decisionNo"), fmt.Sprintf("repeats row %d: %s", at, sp.key)))
			rep.Rejected++
			continue
		}
		first[strings.Clone(key)] = line // not the whole row the key is cut from
		chunk = append(chunk, pending{line: line, key: key, uscc: uscc, in: in})
		if len(chunk) >= batch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if err := write.stop(); err != nil {
		return nil, err
	}
	if one != nil {
		if err := authz.FromContext(ctx).StillHolds(ctx); err != nil { // as before each batch
			return nil, err
		}
		if err := one.Commit(); err != nil {
			return nil, err
		}
		one = nil
	}
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return a.Row - b.Row })
	rep.Committed = !dry && (mode == GoodRows || len(rep.Problems) == 0)
	if dry {
		rep.Imported, rep.Existing = 0, 0
	}
	return rep, nil
}

// writer writes an import's batches: in the reading goroutine, or with Workers > 1 on that
// many goroutines while the file is read on. Each batch's outcome goes into the report in the
// order the batches were read, and Progress hears a count only once every batch before it is
// written, so a resumed import never skips a row that was not written.
type writer struct {
	im *Importer
	// rep is the import's report; with workers, their outcomes gather in written, added to
	// rep when they stop (the reading goroutine keeps counting rows in rep meanwhile).
	rep, written *Report
	do           func(ctx context.Context, chunk []pending, rep *Report) error
	ctx          context.Context
	stop         func() error // waits for the batches sent; their first error
	jobs         chan writeJob
	// What the workers share: outcomes waiting for the batches before them, the next batch to
	// report, the first error.
	mu      sync.Mutex
	waiting map[int]writeJob
	next    int
	err     error
	sent    int
}

// writeJob is one batch and, once written, its part of the report.
type writeJob struct {
	seq   int
	chunk []pending
	rows  int // the report's row count when the batch was cut
	line  int // and the file line it had reached
	rep   *Report
}

func (im *Importer) writer(ctx context.Context, sp spec, dep int, system string, rep *Report, one *ent.Tx, dry bool, mode Mode) *writer {
	w := &writer{im: im, rep: rep, ctx: ctx}
	w.do = func(ctx context.Context, chunk []pending, r *Report) error {
		// The caller's token must still hold the rights the import started with, as each
		// batch is written: a long file does not go on writing after a revocation or a policy
		// change. The batches committed before stay; the file sent again with the token's
		// rights now skips them by their source keys.
		if err := authz.FromContext(ctx).StillHolds(ctx); err != nil {
			return err
		}
		return im.write(ctx, sp, dep, system, chunk, r, one, dry)
	}
	if im.Workers <= 1 || one != nil || dry || mode != GoodRows {
		w.stop = func() error { return nil }
		return w
	}
	ctx, cancel := context.WithCancel(ctx)
	w.ctx, w.jobs, w.waiting, w.written = ctx, make(chan writeJob), map[int]writeJob{}, &Report{}
	var wg sync.WaitGroup
	for range im.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range w.jobs {
				j.rep = &Report{Problems: []Problem{}}
				err := w.do(ctx, j.chunk, j.rep)
				w.done(j, err)
				if err != nil {
					cancel()
				}
			}
		}()
	}
	stopped := false
	w.stop = func() error {
		if !stopped {
			stopped = true
			close(w.jobs)
			wg.Wait()
			cancel()
			rep.Imported += w.written.Imported
			rep.Existing += w.written.Existing
			rep.Rejected += w.written.Rejected
			rep.Problems = append(rep.Problems, w.written.Problems...)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.err
	}
	return w
}

// batch writes chunk, cut when the report's row count was rows and the file's line line.
func (w *writer) batch(chunk []pending, rows, line int) error {
	if w.jobs == nil {
		if err := w.do(w.ctx, chunk, w.rep); err != nil {
			return err
		}
		if w.im.Progress != nil {
			w.im.Progress(rows, line)
		}
		return nil
	}
	j := writeJob{seq: w.sent, chunk: chunk, rows: rows, line: line}
	w.sent++
	select {
	case w.jobs <- j:
		return nil
	case <-w.ctx.Done():
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.err != nil {
			return w.err
		}
		return w.ctx.Err()
	}
}

// done takes a written batch's outcome and reports, in order, every batch now complete.
func (w *writer) done(j writeJob, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.waiting[j.seq] = j
	for {
		j, ok := w.waiting[w.next]
		if !ok || w.err != nil {
			return
		}
		delete(w.waiting, w.next)
		w.next++
		w.written.Imported += j.rep.Imported
		w.written.Existing += j.rep.Existing
		w.written.Rejected += j.rep.Rejected
		w.written.Problems = append(w.written.Problems, j.rep.Problems...)
		if w.im.Progress != nil {
			w.im.Progress(j.rows, j.line)
		}
	}
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// byRegistration prefixes a pending row's registration number where its subject is found by
// it (an individual business filed with the placeholder code), not by its USCC.
const byRegistration = "reg:"

var rowField = regexp.MustCompile(`input\[(\d+)\](?:\.([A-Za-z]+))?`)

// write records a batch: entities resolved by USCC, then the kind's batch create in a
// transaction; a row the engine refuses is reported and dropped, and the rest retried.
func (im *Importer) write(ctx context.Context, sp spec, dep int, system string, chunk []pending, rep *Report, one *ent.Tx, dry bool) error {
	// Resolve the legal persons' USCCs — or, for an individual business filed with the
	// placeholder, its registration number — to registry entities, one query each.
	var codes, regs []string
	for _, p := range chunk {
		if reg, ok := strings.CutPrefix(p.uscc, byRegistration); ok {
			regs = append(regs, reg)
		} else if p.uscc != "" {
			codes = append(codes, p.uscc)
		}
	}
	ids := map[string]int{}
	for _, by := range []struct {
		prefix string
		values []string
		where  func(...string) predicate.MarketEntity
	}{{"", codes, marketentity.UsccIn}, {byRegistration, regs, marketentity.RegistrationNoIn}} {
		if len(by.values) == 0 {
			continue
		}
		var found []struct {
			ID             int    `json:"id"`
			Uscc           string `json:"uscc"`
			RegistrationNo string `json:"registration_no"`
		}
		err := im.Client.MarketEntity.Query().Where(by.where(by.values...)).
			Select(marketentity.FieldID, marketentity.FieldUscc, marketentity.FieldRegistrationNo).Scan(authz.AsSystem(ctx), &found)
		if err != nil {
			return err
		}
		for _, f := range found {
			key := by.prefix + f.Uscc
			if by.prefix != "" {
				key = by.prefix + f.RegistrationNo
			}
			if _, twice := ids[key]; twice {
				ids[key] = -1 // two entities share the registration number: neither is meant
				continue
			}
			ids[key] = f.ID
		}
	}
	live := make([]pending, 0, len(chunk))
	for _, p := range chunk {
		if p.uscc != "" {
			id, ok := ids[p.uscc]
			if !ok || id < 0 {
				column, msg := "counterpartyUscc", fmt.Sprintf("no entity with USCC %q in the registry", p.uscc)
				if reg, byReg := strings.CutPrefix(p.uscc, byRegistration); byReg {
					column, msg = "registrationNo", fmt.Sprintf("no entity with registration number %q in the registry, for the placeholder %s", reg, ident.PlaceholderUSCC)
					if ok {
						msg = fmt.Sprintf("several entities have registration number %q", reg)
					}
				}
				rep.Problems = append(rep.Problems, problem(p.line, columnName(sp.columns, column), msg))
				rep.Rejected++
				continue
			}
			sp.entity(p.in, id)
		}
		live = append(live, p)
	}
	clashes := 0
	for len(live) > 0 {
		inputs, keys := make([]any, len(live)), make([]string, len(live))
		for i, p := range live {
			inputs[i], keys[i] = p.in, p.key
		}
		tx := one
		if tx == nil {
			var err error
			if tx, err = im.Client.Tx(ctx); err != nil {
				return err
			}
		}
		existing, err := sp.create(ctx, im, tx.Client(), dep, system, keys, inputs)
		if err == nil {
			if one == nil {
				if dry {
					err = tx.Rollback()
				} else {
					err = tx.Commit()
				}
				if err != nil {
					if !dry && again(ctx, err, &clashes) {
						continue
					}
					return err
				}
			}
			rep.Existing += existing
			rep.Imported += len(inputs) - existing
			return nil
		}
		if one == nil {
			_ = tx.Rollback()
			if again(ctx, err, &clashes) {
				continue
			}
		}
		m := rowField.FindStringSubmatch(err.Error())
		if m == nil {
			return err // not a row's fault: the database, the caller's rights
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(live) || one != nil {
			// Inside the one transaction of an all-or-nothing write (its dry run found no bad
			// row), a row refused now fails the whole file.
			return err
		}
		field, msg := rowProblem(err, m[2])
		rep.Problems = append(rep.Problems, problem(live[i].line, columnName(sp.columns, field), msg))
		rep.Rejected++
		live = append(live[:i], live[i+1:]...)
	}
	return nil
}

// rowProblem is what a report says of a row's fault err, whose text named the row's field
// (or none): the field in the API's terms and the problem in the API's words — not the ORM's
// or the database's, and without the batch's input[i] prefix, since the report names the row
// by its line.
func rowProblem(err error, field string) (string, string) {
	var (
		fe  *derrors.FieldError
		ve  *ent.ValidationError
		ce  *ent.ConstraintError
		nf  *ent.NotFoundError
		row *derrors.RowError
	)
	inner := err
	if errors.As(err, &row) {
		inner = row.Err
	}
	msg := inner.Error()
	switch {
	case errors.As(err, &fe):
		msg = fe.Msg
	case errors.As(err, &ve):
		// A limit of the schema (a name too long).
		field, msg = derrors.GraphQLName(ve.Name), derrors.DescribeValidation(ve.Unwrap())
	case errors.As(err, &ce):
		field, msg = derrors.DescribeConstraint(ce.Error())
	case errors.As(err, &nf):
		msg = "not found: " + strings.TrimPrefix(nf.Error(), "ent: ")
	case errors.Is(err, derrors.Forbidden), errors.Is(err, privacy.Deny):
		msg = derrors.DescribeDenial(msg)
	}
	if field == "sourceRecordID" {
		field = "decisionNo" // every kind's source key is made from its decision number
	}
	return field, msg
}

// batchAttempts bounds how often one batch is written when it clashes.
const batchAttempts = 5

// again reports whether a batch whose transaction failed with err is written again: a write
// clash (a deadlock, a lock wait, on a Galera cluster a certification failure) wrote nothing,
// so the batch runs again, a bounded number of times with a growing pause — the committed
// batches before it stay, and a file sent again would skip them anyway (source keys). So does
// a batch that met a source key stored since it looked (another import of the same file, or a
// department's system sending the same record): written again, it finds the row stored and
// counts it as such. A key still taken after the last attempt (by a record the importer
// cannot see) is the row's problem.
func again(ctx context.Context, err error, clashes *int) bool {
	if !(derrors.WriteClash(err) || ledger.SourceKeyTaken(err)) || *clashes >= batchAttempts-1 || ctx.Err() != nil {
		return false
	}
	*clashes++
	return derrors.AfterClash(ctx, *clashes)
}

// problem is a row's problem for the report, a value it quotes cut short (derrors.Clip): a
// clerk needs to recognise the value, and a spreadsheet cell holds at most 32,767 characters.
func problem(line int, column, msg string) Problem {
	return Problem{line, column, derrors.Clip(msg)}
}

// WriteXLSX writes the report as a workbook: a summary sheet and one row per problem.
func WriteXLSX(w io.Writer, rep *Report) error {
	f := excelize.NewFile()
	defer f.Close()
	const summary, problems = "导入结果", "问题"
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	rows := [][]any{
		{"类别", rep.Kind}, {"部门", rep.Department}, {"方式", string(rep.Mode)},
		{"读取行数", rep.Rows}, {"本次导入", rep.Imported}, {"已存在（未重复写入）", rep.Existing},
		{"问题行", rep.Rejected}, {"已提交", map[bool]string{true: "是", false: "否（全部或全不：有问题行，未写入任何行）"}[rep.Committed]},
	}
	for i, r := range rows {
		if err := f.SetSheetRow(summary, "A"+strconv.Itoa(i+1), &r); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(problems); err != nil {
		return err
	}
	head := []any{"行", "列", "问题"}
	if err := f.SetSheetRow(problems, "A1", &head); err != nil {
		return err
	}
	for i, p := range rep.Problems {
		row := []any{p.Row, p.Column, p.Problem}
		if err := f.SetSheetRow(problems, "A"+strconv.Itoa(i+2), &row); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(problems, "B", "B", 36)
	_ = f.SetColWidth(problems, "C", "C", 80)
	return f.Write(w)
}

package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/sectors/environment"
	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/sectors/transport"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/vocab"
)

// The bulk loader builds a province-sized data set fast: it computes in Go what the schema's
// hooks would derive — USCC facts, sealed and hashed ID numbers, publicity windows from the
// stored rules, evaluations with the rule set in force — and writes rows with LOAD DATA LOCAL
// INFILE on MariaDB (loaddata.go) and multi-row INSERTs on SQLite, one transaction per batch of
// entities. Its proportions are those of Jiangsu (domain.md §0; per
// 10.43 M entities: 1.39 M licences, about 449 k penalties, 215 k listed person-times, 45 k
// entities on serious lists) and every entity has a rating in every sector. Entity i is drawn
// from its own random stream (seed, i), so the data are the same however the load is split, and
// a batch whose entities are stored already is skipped: re-running resumes or extends a load.
// TestBulkMatchesHooks checks the derived values against the hooks and the evaluator.

// BulkOptions say what to load.
type BulkOptions struct {
	Entities int
	Seed     uint64
	// AsOf is the day the data describe (records are dated before it); fixed by default.
	AsOf time.Time
	// Batch is the number of entities per transaction.
	Batch int
	// Writers is the number of transactions written at once (2 by default; always 1 on SQLite,
	// which has one writer: a second transaction would only wait for the lock, and under load
	// past its busy timeout).
	Writers int
	// Cipher seals ID numbers, as the person hook does.
	Cipher *pii.Cipher
	// Progress, when set, receives a line every two seconds and a summary.
	Progress io.Writer
}

// BulkStats count what a load wrote.
type BulkStats struct {
	Entities, Skipped, Persons, Roles, Ratings, Licences, Penalties, ListEntries int
	Elapsed                                                                      time.Duration
}

// Rows is every row written.
func (s BulkStats) Rows() int {
	return s.Entities + s.Persons + s.Roles + s.Ratings + s.Licences + s.Penalties + s.ListEntries
}

// Per-entity rates of Jiangsu's data (domain.md §0), per 10.43 M entities.
const (
	licenceRate     = 1.39e6 / 10.43e6 // administrative licences
	penaltyRate     = 449e3 / 10.43e6  // administrative penalties
	listedRate      = 215e3 / 10.43e6  // list entries (listed person-times)
	seriousListRate = 45e3 / 10.43e6   // entities on a serious list
)

// Bulk loads o.Entities entities with their persons, roles and records into db (after the
// reference data, which it loads when missing).
func Bulk(ctx context.Context, db *storage.DB, o BulkOptions) (BulkStats, error) {
	start := time.Now()
	if o.AsOf.IsZero() {
		o.AsOf = DefaultOptions().AsOf
	}
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	if o.Writers <= 0 || db.Target.Dialect == dialect.SQLite {
		o.Writers = db.Target.Writers()
	}
	if o.Cipher == nil {
		return BulkStats{}, errors.New("bulk load: no personal-data key (CREDITGRAPH_DATA_KEY)")
	}
	sys := authz.SystemContext(ctx)
	if err := Reference(sys, db.Client); err != nil {
		return BulkStats{}, err
	}
	l, err := newLoader(sys, db, o)
	if err != nil {
		return BulkStats{}, err
	}
	// One goroutine draws batches (IDs are allocated in order), Writers write them, each in its
	// own transaction: the database gets both cores while the next batch is drawn.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *bulkBatch, o.Writers)
	var (
		failMu sync.Mutex
		first  error
	)
	fail := func(err error) {
		failMu.Lock()
		defer failMu.Unlock()
		if first == nil {
			first = fmt.Errorf("bulk load: %w", err)
		}
		cancel()
	}
	go func() {
		defer close(todo)
		for lo := 0; lo < o.Entities; lo += o.Batch {
			hi := min(lo+o.Batch, o.Entities)
			from, err := l.unstored(ctx, lo, hi)
			if err != nil {
				fail(err)
				return
			}
			b := &bulkBatch{lo: lo, hi: hi, skipped: from - lo}
			if from < hi {
				b = l.build(from, hi)
				b.lo, b.skipped = lo, from-lo
			}
			select {
			case todo <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu    sync.Mutex
		stats BulkStats
		done  int
		last  = time.Now()
	)
	var wg sync.WaitGroup
	for range o.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range todo {
				var err error
				if b.skipped < b.hi-b.lo {
					err = l.write(ctx, b)
				}
				mu.Lock()
				if err != nil {
					mu.Unlock()
					fail(fmt.Errorf("entities %d-%d: %w", b.lo+b.skipped, b.hi-1, err))
					continue
				}
				done += b.hi - b.lo
				stats.Skipped += b.skipped
				if b.skipped < b.hi-b.lo {
					stats.Entities += b.hi - b.lo - b.skipped
					stats.Persons += b.persons.n()
					stats.Roles += b.roles.n()
					stats.Ratings += b.ratings.n()
					stats.Licences += b.licences.n()
					stats.Penalties += b.penalties.n()
					stats.ListEntries += b.lists.n()
				}
				if o.Progress != nil && time.Since(last) > 2*time.Second {
					last = time.Now()
					fmt.Fprintf(o.Progress, "seed: %d/%d entities (%d skipped as stored), %d rows, %.0f entities/s\n",
						done, o.Entities, stats.Skipped, stats.Rows(), float64(stats.Entities)/time.Since(start).Seconds())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return stats, first
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	// The triggers counted every entity as a delta; fold them now, while nothing else writes,
	// rather than leave the server's compactor a province of them.
	for {
		n, err := db.Tallies.Compact(ctx, 50000)
		if err != nil {
			return stats, fmt.Errorf("bulk load: compacting the entity tallies: %w", err)
		}
		if n == 0 {
			break
		}
	}
	if err := analyze(ctx, db); err != nil {
		return stats, err
	}
	stats.Elapsed = time.Since(start)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "seed: done in %s: %d entities, %d persons, %d roles, %d ratings, %d licences, %d penalties, %d list entries; %d entities were stored already\n",
			stats.Elapsed.Round(time.Millisecond), stats.Entities, stats.Persons, stats.Roles, stats.Ratings, stats.Licences, stats.Penalties, stats.ListEntries, stats.Skipped)
	}
	return stats, nil
}

// loadedTables are the tables a bulk load fills.
var loadedTables = []string{"market_entities", "natural_persons", "entity_roles", "sector_ratings", "administrative_licenses",
	"administrative_penalties", "list_entries", "entity_tallies", "entity_register_tallies"}

// analyze brings MariaDB's index statistics up to the rows just loaded. A table filled from
// empty keeps the statistics of an empty one until InnoDB's background recalculation comes
// round, and the optimizer plans by them: the first imports after a load read sector_ratings
// whole for every batch (82,000 rows examined a statement at 20,000 entities, 4,000 after
// this). InnoDB samples a few pages per index, so it takes well under a second at 1 M
// entities. SQLite plans without statistics unless ANALYZE made some, so it is left alone.
func analyze(ctx context.Context, db *storage.DB) error {
	if db.Target.Dialect != dialect.MySQL {
		return nil
	}
	rows, err := db.SQL.QueryContext(ctx, "ANALYZE TABLE "+strings.Join(loadedTables, ", "))
	if err != nil {
		return fmt.Errorf("bulk load: analyzing the loaded tables: %w", err)
	}
	return rows.Close()
}

// loader holds what every batch needs.
type loader struct {
	db        *storage.DB
	o         BulkOptions
	day       time.Time // evaluations are as of today, like the evaluator's
	now       time.Time
	rules     vocab.RuleSet
	nextRules *time.Time // the first later day another rule set version may apply, if any
	pubRules  []*ent.PublicityRule
	publishBy func(r *ent.PublicityRule, decided time.Time) (time.Time, bool) // the write engine's, on the calendar read once
	measures  []*ent.JointPunishmentMeasure
	depts     map[string]*ent.Department
	cities    []ident.Division
	counties  map[string][]ident.Division
	next      map[string]int64 // next free ID per table
	divisions map[string]int64 // division code → row ID
	// loadData: the server takes LOAD DATA LOCAL INFILE (MariaDB with local_infile on), which
	// the loader then uses instead of INSERTs (loaddata.go).
	loadData bool
}

func newLoader(ctx context.Context, db *storage.DB, o BulkOptions) (*loader, error) {
	l := &loader{db: db, o: o, day: db.Ledger.Clock.Today(), now: db.Ledger.Clock.Now().UTC().Truncate(time.Microsecond),
		depts: map[string]*ent.Department{}, next: map[string]int64{}}
	var err error
	if l.rules, l.nextRules, err = evaluator.RuleSetAt(ctx, db.Client, l.day); err != nil {
		return nil, err
	}
	if l.pubRules, err = refdata.PublicityRules(ctx, refdata.Of(db.Client)); err != nil {
		return nil, err
	}
	// The calendar and the time limits are read into the memo here, so counting cannot fail later.
	refs, src := refdata.WithCache(ctx), refdata.Of(db.Client)
	if _, err := refdata.Calendar(refs, src); err != nil {
		return nil, err
	}
	if _, err := refdata.Limit(refs, src, "PENALTY", "PUBLISH", l.day); err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	l.publishBy = func(r *ent.PublicityRule, decided time.Time) (time.Time, bool) {
		by, due, err := publicity.PublishBy(refs, src, r, decided)
		return by, due && err == nil
	}
	if l.measures, err = db.Client.JointPunishmentMeasure.Query().All(ctx); err != nil {
		return nil, err
	}
	deps, err := db.Client.Department.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		l.depts[d.Code] = d
	}
	l.divisions = map[string]int64{}
	rows, err := db.SQL.QueryContext(ctx, "SELECT code, id FROM divisions")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		l.divisions[code] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if db.Target.Dialect == dialect.MySQL {
		var on int
		if err := db.SQL.QueryRowContext(ctx, "SELECT @@local_infile").Scan(&on); err != nil {
			return nil, err
		}
		l.loadData = on == 1
	}
	l.cities, l.counties = ident.JiangsuCities(), countiesByCity()
	// IDs continue each table's range (ent's global IDs give every type its own 2^32 block).
	starts := map[string]int64{}
	for _, t := range migrate.Tables {
		if t.Annotation != nil && t.Annotation.IncrementStart != nil {
			starts[t.Name] = int64(*t.Annotation.IncrementStart)
		}
	}
	for _, t := range []string{"market_entities", "natural_persons", "entity_roles", "sector_ratings",
		"administrative_licenses", "administrative_penalties", "list_entries", "measure_applications"} {
		var max sql.NullInt64
		if err := db.SQL.QueryRowContext(ctx, "SELECT MAX(id) FROM "+t).Scan(&max); err != nil {
			return nil, err
		}
		l.next[t] = starts[t] + 1
		if max.Valid && max.Int64 >= l.next[t] {
			l.next[t] = max.Int64 + 1
		}
	}
	return l, nil
}

// rowSet is rows of one table waiting for their INSERT.
type rowSet struct {
	table string
	cols  []string
	vals  []any
}

func newRows(table string, cols ...string) *rowSet { return &rowSet{table: table, cols: cols} }

// reserve makes room for rows more rows, so a batch's rows are not copied as they grow.
func (r *rowSet) reserve(rows int) { r.vals = slices.Grow(r.vals, rows*len(r.cols)) }

func (r *rowSet) add(vals ...any) {
	if len(vals) != len(r.cols) {
		panic(fmt.Sprintf("%s: %d values for %d columns", r.table, len(vals), len(r.cols)))
	}
	r.vals = append(r.vals, vals...)
}

func (r *rowSet) n() int { return len(r.vals) / len(r.cols) }

// insert writes the rows with as few multi-row INSERTs as the bound-value limit allows.
func (r *rowSet) insert(ctx context.Context, tx *sql.Tx, maxParams int) error {
	per := maxParams / len(r.cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.cols)), ", ") + ")"
	for lo := 0; lo < r.n(); lo += per {
		hi := min(lo+per, r.n())
		var q strings.Builder
		q.Grow(64 + (hi-lo)*(len(one)+2))
		// Quoted: some columns are reserved words (procedure). SQLite accepts MySQL's backticks.
		q.WriteString("INSERT INTO `" + r.table + "` (`" + strings.Join(r.cols, "`, `") + "`) VALUES ")
		for i := lo; i < hi; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString(one)
		}
		if _, err := tx.ExecContext(ctx, q.String(), r.vals[lo*len(r.cols):hi*len(r.cols)]...); err != nil {
			return fmt.Errorf("inserting %s: %w", r.table, err)
		}
	}
	return nil
}

// bulkBatch is the rows of one transaction.
type bulkBatch struct {
	lo, hi, skipped                                                     int // entities lo … hi-1, the first skipped of them stored already
	entities, persons, roles, ratings, licences, penalties, lists, apps *rowSet
}

// recordCols are the columns RecordMixin gives every sector record.
var recordCols = []string{"id", "created_at", "updated_at", "sector", "severity", "status", "source_system", "source_record_id",
	"under_objection", "epidemic_related", "sme", "department_id", "entity_id"}

func (l *loader) record(id int64, d *ent.Department, severity any, system, key string, entityID int64) []any {
	return []any{id, l.now, l.now, string(d.Sector), severity, string(vocab.Published), system, key, false, false, false, d.ID, entityID}
}

func (l *loader) id(table string) int64 {
	id := l.next[table]
	l.next[table]++
	return id
}

// build draws entities lo … hi-1 and their rows.
func (l *loader) build(lo, hi int) *bulkBatch {
	b := &bulkBatch{lo: lo, hi: hi,
		entities: newRows("market_entities", "id", "created_at", "updated_at", "uscc", "uscc_status", "org_code", "name",
			"entity_kind", "division_code", "city_code", "status", "established_on", "registered_address", "business_scope",
			"registered_capital", "industry_code", "risk_tier", "credit_score", "credit_grade", "evaluation", "evaluated_at",
			"evaluation_due_on", "division_id", "legal_representative_id"),
		persons: newRows("natural_persons", "id", "created_at", "updated_at", "id_type", "id_number", "id_number_hash",
			"id_number_masked", "name", "gender", "birth_date", "division_code"),
		roles:    newRows("entity_roles", "id", "created_at", "updated_at", "role", "started_on", "entity_id", "person_id"),
		ratings:  newRows("sector_ratings", append(recordCols, "scheme", "grade", "score", "points", "period", "valid_from")...),
		licences: newRows("administrative_licenses", append(recordCols, "decision_doc_name", "decision_no", "license_category", "certificate_name", "license_no", "content", "decision_date", "valid_from", "valid_to", "state", "authority_name", "authority_uscc")...),
		penalties: newRows("administrative_penalties", append(recordCols, "counterparty_name", "counterparty_category", "counterparty_uscc",
			"org_code", "legal_rep_name", "decision_no", "violation_type", "violation_facts", "legal_basis", "penalty_categories",
			"penalty_content", "fine_amount", "procedure", "decision_date", "valid_until", "publicity_start", "publicity_min_end",
			"publicity_deadline", "repairable", "publicity_rule_set", "authority_name", "authority_uscc", "data_source_unit", "data_source_unit_uscc",
			"publish_by")...),
		lists: newRows("list_entries", append(recordCols, "list_type", "listed_on", "reason", "basis", "decision_no", "planned_end_on",
			"publicity_min_end", "repairable", "order_deadline")...),
		apps: newRows("measure_applications", "id", "measure_id", "list_entry_id", "entity_id", "subject_kind", "via", "basis", "from_on", "to_on"),
	}
	// Every entity has a representative, a role and four ratings; the rest are rarer.
	for _, rs := range []*rowSet{b.entities, b.persons, b.roles} {
		rs.reserve(hi - lo)
	}
	b.ratings.reserve(4 * (hi - lo))
	type rep struct {
		id   int64
		name string
	}
	var reps []rep // legal representatives drawn in this batch
	for i := lo; i < hi; i++ {
		r, city, county, prefix, code := l.draw(i)
		pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
		daysAgo := func(a, z int) time.Time { return l.o.AsOf.AddDate(0, 0, -(a + r.IntN(z-a+1))) }
		kind, _ := ident.EntityKindOf(code)
		ind := industries[r.IntN(len(industries))]
		name := entityName(r, city, prefix, ind.name)
		status := "OPERATING"
		if r.IntN(50) == 0 {
			status = "REVOKED"
		}
		established := daysAgo(200, 9000)
		entityID := l.id("market_entities")

		// The legal representative: a new person, or (one in 25) one who heads another entity too.
		var lr rep
		if len(reps) > 0 && r.IntN(25) == 0 {
			lr = reps[r.IntN(len(reps))]
		} else {
			lr = rep{id: l.id("natural_persons"), name: pick(surnames) + pick(givenChars)}
			if r.IntN(3) > 0 {
				lr.name += pick(givenChars)
			}
			number := bulkResidentID(l.counties[city.Code][r.IntN(len(l.counties[city.Code]))].Code, i)
			facts, err := ident.ValidateResidentID(number, l.now)
			if err != nil {
				panic(fmt.Sprintf("bulk resident ID %s: %v", number, err)) // a bug in bulkResidentID
			}
			sealed, err := l.o.Cipher.Seal(number)
			if err != nil {
				panic(err)
			}
			b.persons.add(lr.id, l.now, l.now, string(vocab.IDResidentCard), sealed, l.o.Cipher.Hash(string(vocab.IDResidentCard), number),
				pii.MaskIDNumber(number), lr.name, string(facts.Gender), facts.BirthDate, facts.DivisionCode)
			reps = append(reps, lr)
		}
		b.roles.add(l.id("entity_roles"), l.now, l.now, "LEGAL_REPRESENTATIVE", established, entityID, lr.id)

		var in evaluation.Input
		due := l.nextRules // every evaluation falls due when another rule set applies
		lapse := func(last time.Time) {
			if next := last.AddDate(0, 0, 1); due == nil || next.Before(*due) {
				due = &next
			}
		}
		rate := func(s vocab.Sector, system, scheme, grade string, score, points any, period string, from time.Time) {
			d := l.dept(r, s, city)
			b.ratings.add(append(l.record(l.id("sector_ratings"), d, nil, system, fmt.Sprintf("B%d", i), entityID),
				scheme, grade, score, points, period, from)...)
			if !from.After(l.day) {
				in.Ratings = append(in.Ratings, evaluation.Rating{Scheme: scheme, Grade: grade, Sector: d.Sector})
			}
		}
		// Whether the entity is listed, and on which list, is drawn first: its grades agree
		// with it (listedGrades).
		listType := ""
		if x := r.Float64(); x < listedRate {
			listType = "MS_ABNORMAL_OPERATION"
			if x < seriousListRate {
				listType = "MS_SERIOUS_ILLEGAL_DISHONEST"
				if r.IntN(3) == 0 {
					listType = "HR_WAGE_ARREARS"
				}
			}
		}
		// A rating in every sector: market risk class, environmental colour, labour grade,
		// transport operator grade.
		grade := pick([]string{"A", "A", "A", "A", "A", "A", "B", "B", "B", "C"})
		if r.IntN(50) == 0 {
			grade = "D"
		}
		rate(vocab.Market, "js-samr-risk", "MARKET_RISK_CLASS", gradeWhenListed(listType, "MARKET_RISK_CLASS", grade), nil, nil, "2026-06", l.o.AsOf.AddDate(0, 0, -29))
		envScore := 9 + r.IntN(4) - r.IntN(8)
		rate(vocab.Environment, "js-env-credit", "ENV_CREDIT_JS", string(environment.ColourOf(envCreditScale, envScore)), float64(envScore), nil, "ROLLING", daysAgo(1, 180))
		rate(vocab.Labour, "js-hrss-grade", "LABOUR_INTEGRITY", gradeWhenListed(listType, "LABOUR_INTEGRITY", pick([]string{"A", "A", "A", "B", "B", "C"})), nil, nil, "2025",
			time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		trScore := 35 + r.IntN(66)
		rate(vocab.Transport, "js-jt-credit", "TRANSPORT_OPERATOR_JS", transport.OperatorGrade(float64(trScore), transportPoints(trScore)),
			float64(trScore), transportPoints(trScore), "2025",
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))

		if r.Float64() < licenceRate {
			d := l.dept(r, vocab.Market, city)
			on := daysAgo(30, 2000)
			b.licences.add(append(l.record(l.id("administrative_licenses"), d, nil, "js-samr-xk", fmt.Sprintf("B%d", i), entityID),
				"食品经营许可决定书", fmt.Sprintf("JYB%s%09d", city.Code[:4], i), "ORDINARY", "食品经营许可证",
				fmt.Sprintf("JYB%s%09d", city.Code, i), "预包装食品销售（含冷藏冷冻食品）", on, on, on.AddDate(5, 0, 0), "VALID",
				d.Name, d.Uscc)...)
		}
		if r.Float64() < penaltyRate {
			v := violations[r.IntN(len(violations))]
			d := l.dept(r, v.sector, city)
			on := daysAgo(10, 1500)
			fine := decimal.NewFromInt(int64(1 + r.IntN(200))).Div(decimal.NewFromInt(10))
			category := "LEGAL_PERSON"
			if kind == vocab.KindIndividualBusiness {
				category = "INDIVIDUAL_BUSINESS"
			}
			// The loaded penalties warn and fine (their categories below) with no field, under
			// the ordinary procedure: of the class rules only a low fine's can match (market
			// supervision's three months), which keeps the severity.
			pen := publicity.Penalty{Severity: string(v.severity), Sector: string(d.Sector), Procedure: "ORDINARY",
				Categories: []vocab.PenaltyCategory{vocab.Warning, vocab.Fine}, Fine: &fine, Decided: on}
			rule, _ := publicity.PenaltyRule(l.pubRules, pen)
			var start, minEnd, deadline, ruleSet, publishBy any
			repairable := true
			if rule != nil && !rule.Published {
				ruleSet = rule.RuleSet
			}
			if rule != nil && rule.Published {
				w := publicity.PenaltySpan(rule, pen)
				dl := w.MaxEnd
				start, minEnd, deadline, ruleSet, repairable = w.Start, w.MinEnd, dl, rule.RuleSet, rule.Repairable
				if by, due := l.publishBy(rule, on); due {
					publishBy = by
				}
				if !dl.Before(l.day) {
					in.Penalties = append(in.Penalties, evaluation.Penalty{Severity: v.severity})
					lapse(dl)
				}
			}
			b.penalties.add(append(l.record(l.id("administrative_penalties"), d, string(v.severity), "js-sgs", fmt.Sprintf("B%d", i), entityID),
				name, category, code, ident.OrgCode(code), lr.name,
				fmt.Sprintf("%s罚字〔%d〕B%d号", strings.TrimSuffix(d.Name, "局"), on.Year(), i), v.typ, v.facts, v.basis,
				`["WARNING","FINE"]`, fmt.Sprintf("警告，罚款人民币%s万元", fine), fine, "ORDINARY", on, on.AddDate(1, 0, 0),
				start, minEnd, deadline, repairable, ruleSet, d.Name, d.Uscc, d.Name, d.Uscc, publishBy)...)
		}
		if listType != "" {
			s, sev := vocab.Market, vocab.General
			reason, basis := "通过登记的住所或者经营场所无法联系", "《企业经营异常名录管理暂行办法》第四条"
			switch listType {
			case "MS_SERIOUS_ILLEGAL_DISHONEST":
				sev = vocab.Serious
				reason, basis = "列入经营异常名录届满3年仍未履行相关义务", "《市场监督管理严重违法失信名单管理办法》第十三条"
			case "HR_WAGE_ARREARS":
				s, sev = vocab.Labour, vocab.Serious
				reason, basis = "克扣、无故拖欠农民工工资达到认定拒不支付劳动报酬罪数额标准", "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条"
			}
			d := l.dept(r, s, city)
			on := daysAgo(10, 1000)
			var plannedEnd, minEnd any
			var end *time.Time
			repairable := true
			rule := publicity.ListRule(l.pubRules, listType, on)
			if rule != nil {
				w := publicity.SpanOf(rule, on, nil)
				end = &w.MaxEnd
				plannedEnd, minEnd, repairable = w.MaxEnd, w.MinEnd, rule.Repairable
			}
			active := !on.After(l.day) && (end == nil || !end.Before(l.day))
			if active {
				in.Listings = append(in.Listings, evaluation.Listing{ListType: listType, Severity: sev})
				if end != nil {
					lapse(*end)
				}
			}
			listID := l.id("list_entries")
			var orderDeadline any // the order to comply that came first, where the list's rule asks for one
			if rule != nil && rule.OrderFirst != nil && *rule.OrderFirst {
				orderDeadline = on.AddDate(0, 0, -15)
			}
			b.lists.add(append(l.record(listID, d, string(sev), "js-lists", fmt.Sprintf("B%d", i), entityID),
				listType, on, reason, basis, fmt.Sprintf("%s列字〔%d〕B%d号", d.Name, on.Year(), i), plannedEnd, minEnd, repairable, orderDeadline)...)
			// The company's own measure applications, as the write engine stores them for an
			// active listing (its persons were not given prior notice here, so none reach them).
			for _, m := range l.measures {
				if !active || !slices.Contains(m.ListTypes, listType) || !jointpunishment.AppliesTo(m, jointpunishment.KindEntity) {
					continue
				}
				if from, to, ok := jointpunishment.During(m, on, end); ok {
					var last any // the row writer's NULL
					if to != nil {
						last = *to
					}
					b.apps.add(l.id("measure_applications"), m.ID, listID, entityID, "ENTITY", "SELF",
						jointpunishment.Basis(l.pubRules, listType, on, m), from, last)
				}
			}
		}

		res := evaluation.Evaluate(l.rules, in)
		js, err := res.Stored()
		if err != nil {
			panic(err)
		}
		var dueOn any
		if due != nil {
			dueOn = *due
		}
		b.entities.add(entityID, l.now, l.now, code, "OK", ident.OrgCode(code), name, string(kind), county.Code, city.Code, status,
			established, fmt.Sprintf("江苏省%s%s%d号", city.Name, pick(roads), 1+r.IntN(999)),
			ind.name+"产品的研发、生产、销售；技术咨询服务。", decimal.NewFromInt(int64(10+r.IntN(5000))), ind.code,
			string(res.Tier), res.Score, string(res.Grade), js, l.now, dueOn, l.divisions[county.Code], lr.id)
	}
	return b
}

// draw starts entity i's random stream with its place and code, the first things drawn.
func (l *loader) draw(i int) (r *rand.Rand, city, county ident.Division, prefix, code string) {
	r = rand.New(rand.NewPCG(l.o.Seed, uint64(i)))
	city = l.cities[weightedCity(r)]
	county = l.counties[city.Code][r.IntN(len(l.counties[city.Code]))]
	prefix = kindPrefix(r)
	return r, city, county, prefix, bulkUSCC(prefix, county.Code, i)
}

// unstored returns the first entity of lo … hi-1 not stored yet. What a load stores is every
// entity from 0 up to some point (whole transactions), so the stored part of a range is a prefix.
func (l *loader) unstored(ctx context.Context, lo, hi int) (int, error) {
	codes := make([]any, 0, hi-lo)
	for i := lo; i < hi; i++ {
		_, _, _, _, code := l.draw(i)
		codes = append(codes, code)
	}
	count := func(codes []any) (int, error) {
		var n int
		q := "SELECT COUNT(*) FROM market_entities WHERE uscc IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", ") + ")"
		err := l.db.SQL.QueryRowContext(ctx, q, codes...).Scan(&n)
		return n, err
	}
	n, err := count(codes)
	if err != nil || n == 0 || n == len(codes) {
		return lo + n, err
	}
	if m, err := count(codes[:n]); err != nil || m != n {
		return 0, fmt.Errorf("entities %d-%d are partly stored, and not as a load of seed %d would have stored them (%v)", lo, hi-1, l.o.Seed, err)
	}
	return lo + n, nil
}

// dept is the city department of a sector, or the provincial one for one record in ten.
func (l *loader) dept(r *rand.Rand, s vocab.Sector, city ident.Division) *ent.Department {
	code := city.Code
	if r.IntN(10) == 0 {
		code = "320000"
	}
	return l.depts[strings.ToLower(string(s))+"-"+code]
}

// write inserts a batch in one transaction: persons before the entities that name them as
// legal representatives, entities before their roles and records.
func (l *loader) write(ctx context.Context, b *bulkBatch) error {
	maxParams := 30000 // SQLite allows 32,766 bound values
	if l.db.Target.Dialect == dialect.MySQL {
		maxParams = 60000 // MySQL 65,535
	}
	conn, err := l.db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if l.db.Target.Dialect == dialect.MySQL {
		// The rows reference departments, divisions and each other by IDs drawn here, so
		// InnoDB's per-row lookups of the parents are skipped (TestBulk checks the references).
		if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION foreign_key_checks = 1")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, rs := range []*rowSet{b.persons, b.entities, b.roles, b.ratings, b.licences, b.penalties, b.lists, b.apps} {
		write := func() error { return rs.insert(ctx, tx, maxParams) }
		if l.loadData {
			write = func() error {
				if rs.n() == 0 {
					return nil
				}
				return rs.loadData(ctx, tx, 0, rs.n())
			}
		}
		if err := write(); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// bulkUSCC makes entity i's code: its 8-character organisation body is i scrambled by a
// bijection of [0, 31^8), so no two entities of a load share a code.
func bulkUSCC(prefix, county string, i int) string {
	const space = 852891037441 // 31^8
	x := (uint64(i)*0x9E3779B1 + 0x5bd1e995) % space
	var body [8]byte
	for k := 7; k >= 0; k-- {
		body[k] = orgChars[x%31]
		x /= 31
	}
	oc, _ := ident.OrgCodeCheckChar(string(body[:]))
	first := prefix + county + string(body[:]) + string(oc)
	cc, _ := ident.USCCCheckChar(first)
	return first + string(cc)
}

// bulkResidentID makes the ID number of entity i's representative: birth date and sequence
// number are i scrambled by a bijection of [0, 18,250 days × 1,000), so they never repeat.
func bulkResidentID(county string, i int) string {
	const days, space = 18250, 18250 * 1000
	x := (i*7919 + 12345) % space
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, x%days)
	first := fmt.Sprintf("%s%s%03d", county, birth.Format("20060102"), x/days)
	cc, _ := ident.ResidentIDCheckChar(first)
	return first + string(cc)
}

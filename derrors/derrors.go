// Package derrors defines the categories of error the service reports, in the manner of
// pkgsite's derrors: code deep in the data layer wraps a sentinel, and the GraphQL error
// presenter maps the category to extensions.code once, at the edge.
package derrors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

var (
	// InvalidArgument marks input the caller must fix (BAD_USER_INPUT).
	InvalidArgument = errors.New("invalid argument")
	// NotFound marks a missing row (NOT_FOUND).
	NotFound = errors.New("not found")
	// Conflict marks a write that clashes with stored state (CONFLICT).
	Conflict = errors.New("conflict")
	// Forbidden marks an authenticated caller acting outside its permissions (FORBIDDEN).
	Forbidden = errors.New("forbidden")
	// Unauthenticated marks a missing, unknown or expired credential (UNAUTHENTICATED).
	Unauthenticated = errors.New("unauthenticated")
	// Unavailable marks a dependency that is down, e.g. the database (UNAVAILABLE).
	Unavailable = errors.New("unavailable")
)

// FieldError is invalid input in one field. Field is the GraphQL (camelCase) name of the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// Unwrap makes a FieldError an InvalidArgument.
func (e *FieldError) Unwrap() error { return InvalidArgument }

// Field returns a FieldError for field with a formatted message.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// GraphQLName turns an ent (snake_case) field name into its GraphQL name, so errors raised in
// the data layer name the field the caller sent (decision_date → decisionDate).
func GraphQLName(f string) string {
	parts := strings.Split(f, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
		} else if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// The codes written to extensions.code: the one list. Clients branch on these, never on
// messages. The GraphQL error presenter maps the categories above to them; the HTTP edge uses
// them for what it answers before GraphQL runs (WriteHTTP).
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
	CodeRateLimited     = "RATE_LIMITED"
	CodeUnavailable     = "UNAVAILABLE"
	CodeInternal        = "INTERNAL" // only for our own faults
)

// WriteHTTP is the one writer of errors answered at the HTTP level (authentication, body
// limit, rate limit): a GraphQL-shaped body with extensions.code, so clients read every
// refusal the same way.
func WriteHTTP(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}},
		"data":   nil,
	})
	_, _ = w.Write(body)
}

// WriteClash reports a transaction MariaDB rolled back because it clashed with a concurrent
// one: a deadlock (1213, also how a Galera cluster reports a certification failure — another
// node committed a write to the same rows first) or a lock wait timeout (1205). After a
// deadlock the database has rolled the whole transaction back, and statements sent after it no
// longer run in it; after a lock wait the statement was undone. Either way the one safe answer
// is to roll back and run the whole transaction again (or report CONFLICT).
//
// A duplicate primary key (1062 on PRIMARY) is one too: creditgraph never chooses a row's id,
// the database numbers it, and on a Galera cluster a node can hand out an id that a row
// replicated from another node took a moment before (seen under the cluster test). The next
// attempt gets a fresh id. A duplicate on any other key is the caller's (CONFLICT, not retried).
func WriteClash(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && (my.Number == 1213 || my.Number == 1205 ||
		my.Number == 1062 && strings.HasSuffix(my.Message, "for key 'PRIMARY'"))
}

// AfterClash waits before running again work whose attempt n (from 1) ended in a write clash:
// n² × 10 ms and up to n × 10 ms more at random, so two writers that clashed part. It answers
// false, at once, when ctx ends first. Every retry of a clash waits by it.
func AfterClash(ctx context.Context, n int) bool {
	wait := time.Duration(n*n)*10*time.Millisecond + rand.N(time.Duration(n)*10*time.Millisecond)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// uniqueKeys maps the columns of unique indexes to what a clerk should be told.
var uniqueKeys = []struct{ match, field, msg string }{
	{"uscc", "uscc", "an entity with this unified social credit code is already registered"},
	{"id_number", "idNumber", "a person with this ID number is already recorded"},
	{"decision_no", "decisionNo", "this department has already recorded a decision with this number"},
	{"source_record_id", "sourceRecordID", "a record with this source key already exists"},
	{"source_key", "sourceRecordID", "a record with this source key already exists"}, // a record type's index, named <ref>_source_key
	{"provider_id", "personID", "the person is already registered at this provider"},
	{"entity_id", "entityID", "this entity already has one"},
	{"code", "code", "the code is already used"},
}

var keyName = regexp.MustCompile(`(?i)(?:unique constraint failed: ([\w., ]+))|(?:for key '([\w.]+)')`)

// DescribeConstraint says which field a constraint failure of the database (raw, its message)
// is about and what a clerk should be told, without the SQL: for a unique key, the field
// behind it ("" when none is known); for a foreign key, that the input refers to a missing row.
func DescribeConstraint(raw string) (field, msg string) {
	if strings.Contains(strings.ToLower(raw), "foreign key") {
		return "", "the input refers to a row that does not exist"
	}
	m := keyName.FindStringSubmatch(raw)
	if m != nil {
		key := strings.ToLower(m[1] + m[2])
		for _, k := range uniqueKeys {
			if strings.Contains(key, k.match) {
				return k.field, k.msg
			}
		}
	}
	return "", "the input conflicts with a stored record"
}

// quoted is a value quoted in a message (as %q writes it, escapes included) longer than 40
// characters.
var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.){40})(?:[^"\\]|\\.)+"`)

// maxMessage bounds a message in characters, whatever it quotes.
const maxMessage = 500

// Clip shortens what a message for a caller quotes of the caller's input: each quoted value to
// its first 40 characters, the whole message to 500. A clerk recognises the value from its
// start; the whole of a 3,000-character input sent back only grows answers and logs.
func Clip(msg string) string {
	msg = quoted.ReplaceAllString(msg, `"$1…"`)
	if r := []rune(msg); len(r) > maxMessage {
		msg = string(r[:maxMessage]) + "…"
	}
	return msg
}

// DescribeDenial is a refused write's message (raw, as the error says it) for the caller: from
// the words of its Forbidden on, without the privacy layer's "ent/privacy: deny rule" before it.
func DescribeDenial(raw string) string {
	if i := strings.LastIndex(raw, "forbidden: "); i >= 0 {
		return raw[i:]
	}
	raw = strings.TrimPrefix(raw, "ent/privacy: deny rule: ") // privacy.Deny wrapping a reason
	raw = strings.TrimSuffix(raw, ": ent/privacy: deny rule") // privacy.Denyf's reason
	return "forbidden: " + raw
}

// DescribeValidation rewords the ORM's built-in validator messages (err, what the validator
// returned) for a department clerk.
func DescribeValidation(err error) string {
	if err == nil {
		return "is invalid"
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "less than the required length"):
		return "must not be empty or is too short"
	case strings.Contains(msg, "greater than the required length"):
		return "is too long"
	case strings.Contains(msg, "missing required"):
		return "is required"
	case strings.Contains(msg, "invalid enum value"):
		return "is not one of the allowed values"
	default:
		return msg
	}
}

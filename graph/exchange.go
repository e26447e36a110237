package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/vocab"
)

// importRecords imports an uploaded file as the caller; each batch commits on its own (the
// operation runs outside the request transaction: SkipTxFunc), so a large file's good rows are
// kept even when a later batch fails.
func importRecords(ctx context.Context, c *ent.Client, l *ledger.Engine, workers int, kind ImportKind, department string, file graphql.Upload,
	mode exchange.Mode, severity *vocab.Severity) (*exchange.Report, error) {
	format, err := exchange.FormatOf(file.Filename)
	if err != nil {
		return nil, derrors.Field("file", "%s", err)
	}
	var r io.Reader = file.File
	if _, ok := r.(io.Seeker); !ok && mode == exchange.AllOrNothing {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	im := &exchange.Importer{Client: c, Ledger: l, Workers: workers}
	if severity != nil {
		im.Severity = *severity
	}
	return im.Import(ctx, strings.ToLower(string(kind)), department, r, format, mode)
}

// importReportXLSX is the report as a base64 workbook.
func importReportXLSX(rep *exchange.Report) (string, error) {
	var b bytes.Buffer
	if err := exchange.WriteXLSX(&b, rep); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/byokctl/byok/wrapper"
)

// tableHeader names the columns of -o table.
const tableHeader = "ID\tDISPLAY NAME\tPROVIDER\tKEY\tSTATE\tPHASE\tREGION\tCREATED"

// oneKeyHeader adds the columns of the one-key table: why the key is in its
// validation phase and since when, and whom to grant access to.
const oneKeyHeader = "\tSINCE\tMESSAGE\tPRINCIPALS"

// printKeys writes keys to stdout in the -o format. JSON and YAML write one
// array (empty when there are no keys), in the API's field names.
func printKeys(rt *runtime, keys []wrapper.Key) error {
	if keys == nil {
		keys = []wrapper.Key{}
	}
	if structured(rt) {
		return printStructured(rt, keys)
	}
	return writeTable(rt.sys.stdout, keys, false)
}

// printKey writes one key to stdout in the -o format: one JSON or YAML
// object, or a one-row table that also gives the validation's since and
// message ("Access to key denied.") and names the principals to grant
// access to (see byokctl grants).
func printKey(rt *runtime, key wrapper.Key) error {
	if structured(rt) {
		return printStructured(rt, key)
	}
	return writeTable(rt.sys.stdout, []wrapper.Key{key}, true)
}

// writeTable writes keys as a table, every cell cleaned; oneKey adds the
// columns of oneKeyHeader.
func writeTable(w io.Writer, keys []wrapper.Key, oneKey bool) error {
	header := tableHeader
	if oneKey {
		header += oneKeyHeader
	}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		row := []string{
			k.ID,
			k.DisplayName,
			string(k.Provider),
			keyColumn(k),
			string(k.State),
			string(k.Validation.Phase),
			k.Validation.Region,
			timestamp(k.Metadata.CreatedAt),
		}
		if oneKey {
			row = append(row, timestamp(k.Validation.Since), k.Validation.Message, strings.Join(keyPrincipals(k.Material), ","))
		}
		rows = append(rows, row)
	}
	return writeCells(w, header, rows)
}

// timestamp is a time as the table shows it: RFC 3339 in UTC, or empty.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// keyColumn returns what the KEY column shows: the key's ARN or key id, or
// for a kind without either the kind's name.
func keyColumn(k wrapper.Key) string {
	if id := k.Identifier(); id != "" || k.Material == nil {
		return id
	}
	return k.Material.MaterialKind()
}

// countKeys returns "1 key" or "n keys".
func countKeys(n int) string {
	if n == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", n)
}

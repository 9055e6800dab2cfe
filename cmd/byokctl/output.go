package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// formatsAnnotation is the annotation of a command that lists the -o
// formats it honours, its default first.
const formatsAnnotation = "byokctl/formats"

// withFormats says that cmd honours -o with formats, the first being its
// default, and returns cmd.
func withFormats(cmd *cobra.Command, formats ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formatsAnnotation] = strings.Join(formats, ",")
	return cmd
}

// checkFormat refuses an -o the command does not honour (a command without
// structured output honours none), and sets the command's default format
// when -o was not given: -o is never silently ignored.
func checkFormat(rt *runtime, cmd *cobra.Command) error {
	given := cmd.Flags().Changed("output")
	list := cmd.Annotations[formatsAnnotation]
	if list == "" {
		if given {
			return usagef("%s has no output formats; -o %s is not for it", cmd.CommandPath(), rt.output.value)
		}
		return nil
	}
	formats := strings.Split(list, ",")
	switch {
	case !given:
		rt.output.value = formats[0]
	case !slices.Contains(formats, rt.output.value):
		return usagef("-o %s: %s prints %s", rt.output.value, cmd.CommandPath(), strings.Join(formats, ", "))
	}
	return nil
}

// tableHeader names the columns of -o table.
const tableHeader = "ID\tDISPLAY NAME\tPROVIDER\tKEY\tSTATE\tPHASE\tREGION\tCREATED"

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
// object, or a one-row table that also names the principals to grant access
// to (see byokctl grants).
func printKey(rt *runtime, key wrapper.Key) error {
	if structured(rt) {
		return printStructured(rt, key)
	}
	return writeTable(rt.sys.stdout, []wrapper.Key{key}, true)
}

// structured reports whether -o asks for JSON or YAML.
func structured(rt *runtime) bool {
	return rt.output.value == formatJSON || rt.output.value == formatYAML
}

// printStructured writes v to stdout as YAML for -o yaml, else as JSON.
func printStructured(rt *runtime, v any) error {
	if rt.output.value == formatYAML {
		return writeYAML(rt.sys.stdout, v)
	}
	return writeJSON(rt.sys.stdout, v)
}

// writeTable writes keys as a table, every cell cleaned; with principals,
// a last column lists the principals of each key.
func writeTable(w io.Writer, keys []wrapper.Key, principals bool) error {
	header := tableHeader
	if principals {
		header += "\tPRINCIPALS"
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
		if principals {
			row = append(row, strings.Join(keyPrincipals(k.Material), ","))
		}
		rows = append(rows, row)
	}
	return writeCells(w, 3, header, rows)
}

// writeCells writes header (its columns separated by tabs) and rows in
// aligned columns, gap spaces apart. Every cell is cleaned (see cell): it
// may hold text from the server.
func writeCells(w io.Writer, gap int, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, gap, ' ', 0)
	_, _ = fmt.Fprintln(tw, header)
	for _, row := range rows {
		for i := range row {
			row[i] = cell(row[i])
		}
		_, _ = fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

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

// cell makes s safe for one table cell: cleaned (no tabs or line breaks,
// which would break the columns, nor a terminal's control characters), and
// "-" for an empty value so that every row has the same number of fields.
func cell(s string) string {
	if s = clean(s); s == "" {
		return "-"
	}
	return s
}

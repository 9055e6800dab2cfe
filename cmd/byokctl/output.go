package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
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
	case rt.output.value == formatHuman && slices.Contains(formats, formatTable):
		rt.output.value = formatTable
	case rt.output.value == formatHuman && slices.Contains(formats, formatText):
		rt.output.value = formatText
	case !slices.Contains(formats, rt.output.value):
		return usagef("-o %s: %s prints %s", rt.output.value, cmd.CommandPath(), strings.Join(formats, ", "))
	}
	return nil
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

// cell makes s safe for one table cell: cleaned (no tabs or line breaks,
// which would break the columns, nor a terminal's control characters), and
// "-" for an empty value so that every row has the same number of fields.
func cell(s string) string {
	if s = clean(s); s == "" {
		return "-"
	}
	return s
}

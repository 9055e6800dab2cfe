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

// outputFlag returns the value of -o: a name of formatHuman, json or yaml.
func outputFlag() *enumFlag {
	return newEnumFlag(formatHuman, append(humanNames(), formatJSON, formatYAML)...)
}

// formatNames returns the names -o takes for formats, in order.
func formatNames(formats []string) []string {
	var names []string
	for _, f := range formats {
		if f == formatHuman {
			names = append(names, humanNames()...)
		} else {
			names = append(names, f)
		}
	}
	return names
}

// commandFormats returns the formats cmd honours, its default first; none
// for a command without output formats.
func commandFormats(cmd *cobra.Command) []string {
	if list := cmd.Annotations[formatsAnnotation]; list != "" {
		return strings.Split(list, ",")
	}
	return nil
}

// checkFormat refuses an -o the command does not honour (a command without
// structured output honours none), and sets the command's default format
// when -o was not given: -o is never silently ignored. Every name of the
// human format is that format.
func checkFormat(rt *runtime, cmd *cobra.Command) error {
	given := cmd.Flags().Changed("output")
	formats := commandFormats(cmd)
	if formats == nil {
		if given {
			return usagef("%s has no output formats; -o %s is not for it", cmd.CommandPath(), rt.output.value)
		}
		return nil
	}
	value := rt.output.value
	if slices.Contains(humanNames(), value) {
		value = formatHuman
	}
	switch {
	case !given:
		rt.output.value = formats[0]
	case !slices.Contains(formats, value):
		return usagef("-o %s: %s prints %s", rt.output.value, cmd.CommandPath(), strings.Join(formatNames(formats), ", "))
	default:
		rt.output.value = value
	}
	return nil
}

// formatCompletion completes -o with the names of the formats the command
// honours, and nothing for a command without output formats.
func formatCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return formatNames(commandFormats(cmd)), cobra.ShellCompDirectiveNoFileComp
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

// tableGap is the space between the columns of every table byokctl
// prints.
const tableGap = 3

// writeCells writes header (its columns separated by tabs) and rows in
// aligned columns, tableGap spaces apart: the one table writer. Every cell
// is cleaned (see cell): it may hold text from the server.
func writeCells(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, tableGap, ' ', 0)
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

package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// exitDrift is the exit status of diff when the server differs from the
// keys file.
const exitDrift = 3

const keysFileHelp = `The keys file is YAML (.yaml, .yml) or JSON (.json) and uses the API's field
names; the provider may be written in any case:

  keys:
    - provider: aws
      key_arn: arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab
      display_name: billing
    - provider: azure
      key_id: https://vault-name.vault.azure.net/keys/key-name
      key_vault_id: /subscriptions/<uuid>/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name
      tenant_id: <uuid>
    - provider: gcp
      key_id: projects/p/locations/us-central1/keyRings/r/cryptoKeys/k

A key on the server matches an entry when the provider and the key ARN or key
id are equal (an Azure key id is compared without its version, its host in
any case). An entry
without display_name leaves the server's display name alone. The file is
checked whole, with the checks of create, before any request is sent; it is
read within --timeout and up to 4 MiB.`

// diffOptions are the flags of byokctl diff.
type diffOptions struct {
	file string // -f, the keys file
}

// newDiffCmd builds byokctl diff: it parses the flags into diffOptions and
// calls runF with them (runDiff, or a test's fake).
func newDiffCmd(rt *runtime, runF func(context.Context, *runtime, diffOptions) error) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff -f FILE",
		Short: "Compare a keys file with the keys on the server",
		Long: `Compare the keys a file lists with the keys on the server, and print the
plan, one line per key:

  create        in the file, not on the server
  rename        its display name differs from the file's
  in-sync       as the file says
  extra         on the server, not in the file
  invalid       as the file says, but its validation is INVALID (the server's
                message follows)
  duplicate     several keys on the server share this key ARN or key id;
                apply touches none of them
  unknown-kind  a kind of key byokctl does not know; never touched, and an
                entry with its key ARN or key id is not created beside it
  unreadable    a key of the listing that could not be decoded; never touched

Nothing is changed. -o text is the default; -o json and -o yaml print the plan
with stable field names.

` + keysFileHelp + `

Exit status, for CI (byokctl diff -f keys.yaml fails a pipeline on drift):
  0  in sync: nothing but in-sync, unknown-kind and unreadable keys
  3  changes pending (any other line)
  1  the API refused or could not be reached
  2  a usage error, a keys file that cannot be read or has a mistake`,
		Example: "  byokctl diff -f keys.yaml\n  byokctl diff -f keys.json -o json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, o)
		},
	}
	withFormats(cmd, formatHuman, formatJSON, formatYAML)
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "the keys file, YAML or JSON (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// runDiff prints the plan of the keys file o.file.
func runDiff(ctx context.Context, rt *runtime, o diffOptions) error {
	kf, r, err := keysFileAndRemote(ctx, rt, o.file)
	if err != nil {
		return err
	}
	server, err := listAll(ctx, rt, r)
	if err != nil {
		return err
	}
	p := makePlan(kf, server)
	drift := p.drift()
	if err := printPlan(rt, p, len(drift) == 0); err != nil {
		return err
	}
	if len(drift) > 0 {
		return &statusError{"changes pending: " + describeCounts(drift), exitDrift}
	}
	rt.infof("in sync: the %d keys of %s", len(kf.entries), kf.name)
	return nil
}

// keysFileAndRemote reads the keys file, prints its notes on stderr, and
// makes the client: what diff and apply do before any request.
func keysFileAndRemote(ctx context.Context, rt *runtime, file string) (*keysFile, remote, error) {
	kf, err := readKeysFile(ctx, rt, file)
	if err != nil {
		return nil, remote{}, err
	}
	for _, note := range kf.notes {
		rt.infof("%s", clean(note))
	}
	client, err := rt.newClient()
	if err != nil {
		return nil, remote{}, err
	}
	return kf, remote{client}, nil
}

// printPlan writes the plan to stdout in the -o format.
func printPlan(rt *runtime, p plan, inSync bool) error {
	if structured(rt) {
		return printStructured(rt, struct {
			File   string     `json:"file"`
			InSync bool       `json:"in_sync"`
			Keys   []planItem `json:"keys"`
		}{p.File, inSync, p.Items})
	}
	rows := make([][]string, len(p.Items))
	for i, item := range p.Items {
		rows[i] = append([]string{item.Action}, item.columns()...)
	}
	return writeRows(rt.sys.stdout, "ACTION", rows)
}

// columns returns the item as the columns after the first of a text plan
// or report: id, provider, key, display name, note.
func (item planItem) columns() []string {
	name := item.ServerDisplayName
	switch item.Action {
	case actCreate:
		name = item.DisplayName
	case actRename:
		name = fmt.Sprintf("%q -> %q", item.ServerDisplayName, item.DisplayName)
	}
	return []string{item.ID, item.Provider, item.Key, name, item.Message}
}

// writeRows writes rows under the header first, ID, PROVIDER, KEY, DISPLAY
// NAME and NOTE, in aligned columns, every cell cleaned.
func writeRows(w io.Writer, first string, rows [][]string) error {
	return writeCells(w, first+"\tID\tPROVIDER\tKEY\tDISPLAY NAME\tNOTE", rows)
}

// describeCounts says how many items there are of each action, such as "1
// create, 2 rename".
func describeCounts(counts map[string]int) string {
	var parts []string
	for _, a := range []string{actCreate, actRename, actExtra, actInvalid, actDuplicate} {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

package main

import "github.com/byokctl/byok/wrapper"

// confirmDeletion stands in for the confirmation of delete (issue 13) until
// it is merged.
func (g *globals) confirmDeletion(keys []wrapper.Key, force bool) error {
	if force {
		return nil
	}
	return usagef("deleting %d keys needs --force", len(keys))
}

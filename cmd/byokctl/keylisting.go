package main

import (
	"context"

	"github.com/byokctl/byok/wrapper"
)

// listAll lists every key within --timeout (1m by default); running out
// of time says so.
func listAll(ctx context.Context, rt *runtime, r remote) (serverKeys, error) {
	var s serverKeys
	err := rt.within(ctx, defaultTimeout, func(ctx context.Context) (err error) {
		s, err = r.list(ctx, wrapper.ListKeysOptions{})
		return err
	})
	return s, err
}

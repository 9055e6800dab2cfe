package main

import (
	"context"

	"github.com/byokctl/byok/wrapper"
)

// listAll lists every key within --timeout (1m by default); running out
// of time says so.
func listAll(ctx context.Context, rt *runtime, r remote) (serverKeys, error) {
	ctx, cancel, limit := rt.withTimeout(ctx, defaultTimeout)
	defer cancel()
	s, err := r.list(ctx, wrapper.ListKeysOptions{})
	if err != nil {
		return serverKeys{}, explainDeadline(err, limit)
	}
	return s, nil
}

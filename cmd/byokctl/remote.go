package main

import (
	"context"
	"errors"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// remote is the API as diff, apply and list use it.
type remote struct {
	client *wrapper.Client
}

// list returns every key on the server that opts selects. A key that
// cannot be decoded does not stop the listing: it is returned apart.
func (r remote) list(ctx context.Context, opts wrapper.ListKeysOptions) (serverKeys, error) {
	var s serverKeys
	for key, err := range r.client.Keys(ctx, opts) {
		var bad *wrapper.KeyDecodeError
		switch {
		case errors.As(err, &bad):
			s.unreadable = append(s.unreadable, bad)
		case err != nil:
			return serverKeys{}, err
		default:
			s.keys = append(s.keys, key)
		}
	}
	return s, nil
}

// find returns the keys on the server that ref matches: the listing
// filtered by provider and identifier, then matched exactly.
func (r remote) find(ctx context.Context, ref keyRef) ([]wrapper.Key, error) {
	s, err := r.list(ctx, wrapper.ListKeysOptions{Provider: ref.provider, Key: ref.id})
	if err != nil {
		return nil, err
	}
	var found []wrapper.Key
	for _, key := range s.keys {
		if got, ok := refOf(key.Material); ok && got == ref {
			found = append(found, key)
		}
	}
	return found, nil
}

// create registers the key of entry e.
func (r remote) create(ctx context.Context, e keyEntry) (*wrapper.Key, error) {
	key, _, err := r.client.CreateKey(ctx, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: e.displayName}, Material: e.material})
	return key, err
}

// rename sets the display name of key id.
func (r remote) rename(ctx context.Context, id, name string) error {
	_, _, err := r.client.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: name})
	return err
}

// remove deletes key id.
func (r remote) remove(ctx context.Context, id string) error {
	_, err := r.client.DeleteKey(ctx, id)
	return err
}

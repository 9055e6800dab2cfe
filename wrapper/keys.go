package wrapper

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/byokctl/byok/api"
)

// CreateKeyRequest is a key to register, in the shape of Key: the fields of
// the generated model, api.Key, and the key's Material.
//
// Of api.Key's fields, a create sends those the spec lets a client set, such
// as DisplayName (optional); a property the spec gains becomes a field there
// by make generate alone. The fields the server sets, those the spec marks
// readOnly (such as ID, State and Validation, and the material's
// AWSKey.Roles), are never sent, so a key read with GetKey can be registered
// again as CreateKeyRequest{Key: k.Key, Material: k.Material}. api.Key's
// Key, the generated form of the material, is not read: Material replaces
// it.
type CreateKeyRequest struct {
	api.Key
	// Material is the key material: an AWSKey, AzureKey or GCPKey with the
	// fields the API requires set.
	Material KeyMaterial
}

// UpdateKeyRequest holds the fields to change, the generated api.KeyUpdate:
// DisplayName, the new display name, which must not be empty, is the only
// field the API lets change.
type UpdateKeyRequest = api.KeyUpdate

// GetKey returns the key with the given id, such as "cck-12345". An answer
// about another key is not returned: it is a *KeyMismatchError.
//
// Like every call, it returns the *Response of the answer, with the request
// id, status, rate-limit figures and headers, also with an error whenever an
// answer was received.
func (c *Client) GetKey(ctx context.Context, id string) (*Key, *Response, error) {
	op, err := keyOperation("get key", http.MethodGet, id)
	if err != nil {
		return nil, nil, err
	}
	return c.keyCall(ctx, op, id, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetByokV1Key(ctx, id)
	})
}

// CreateKey registers a key and returns it as the server stored it (with its
// id, the roles or group to grant, and validation INITIALIZING). Follow with
// WaitForValidation to learn whether Confluent Cloud can use it.
//
// A create is retried only when it certainly did not reach the server; when
// it was sent and no answer came, the error matches ErrOutcomeUnknown. So
// does an answer whose key has no id, or one not of the form the API gives
// (cck-12345): it is a *KeyMismatchError, and the key is not returned.
func (c *Client) CreateKey(ctx context.Context, req CreateKeyRequest) (*Key, *Response, error) {
	body, err := createToAPI(req)
	if err != nil {
		return nil, nil, fmt.Errorf("byok: create key: %w", err)
	}
	op := operation{name: "create key", method: http.MethodPost, path: "/byok/v1/keys"}
	return c.keyCall(ctx, op, "", func(ctx context.Context) (*http.Response, error) {
		return c.api.CreateByokV1Key(ctx, body)
	})
}

// UpdateKey changes the display name of a key and returns the updated key.
// An answer about another key is not returned: it is a *KeyMismatchError.
func (c *Client) UpdateKey(ctx context.Context, id string, req UpdateKeyRequest) (*Key, *Response, error) {
	op, err := keyOperation("update key", http.MethodPatch, id)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(req.DisplayName) == "" {
		return nil, nil, fmt.Errorf("byok: %s: UpdateKeyRequest.DisplayName is empty; expected the new display name", op.name)
	}
	return c.keyCall(ctx, op, id, func(ctx context.Context) (*http.Response, error) {
		return c.api.UpdateByokV1Key(ctx, id, req)
	})
}

// DeleteKey deletes a key. A retried delete that gets 404 after an attempt of
// unknown outcome has succeeded (the earlier attempt deleted the key).
func (c *Client) DeleteKey(ctx context.Context, id string) (*Response, error) {
	op, err := keyOperation("delete key", http.MethodDelete, id)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.DeleteByokV1Key(ctx, id)
	})
}

// keyCall makes a call whose answer is a key: the key asked, or for a
// create (asked empty) a new key. An answer about another key, or one whose
// id is not of the API's form, is a *KeyMismatchError and is not retried.
func (c *Client) keyCall(ctx context.Context, op operation, asked string, send func(context.Context) (*http.Response, error)) (*Key, *Response, error) {
	var k Key
	op.decode = func(body []byte) (err error) {
		k, err = decodeKey(body)
		return err
	}
	resp, err := c.call(ctx, op, send)
	if err != nil {
		return nil, resp, err
	}
	if err := checkKeyID(op, asked, &k, resp); err != nil {
		return nil, resp, err
	}
	return &k, resp, nil
}

// keyOperation checks id and describes an operation on one key. The id is
// path-escaped by the generated client; "." and ".." would still be resolved
// as path segments, so they are refused with the empty id.
func keyOperation(name, method, id string) (operation, error) {
	switch id {
	case "":
		return operation{}, fmt.Errorf("byok: %s: the key id is empty; expected an id such as cck-12345", name)
	case ".", "..":
		return operation{}, fmt.Errorf("byok: %s: %q is not a key id; expected an id such as cck-12345", name, id)
	}
	return operation{
		name:   name + " " + printableID(id),
		method: method,
		path:   "/byok/v1/keys/" + url.PathEscape(id),
	}, nil
}

// printableID returns id as is when it looks like an id, quoted otherwise.
func printableID(id string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
	}
	for _, r := range id {
		if !plain(r) {
			return strconv.Quote(id)
		}
	}
	return id
}

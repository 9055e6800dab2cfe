package wrapper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CreateKeyRequest is a key to register.
type CreateKeyRequest struct {
	// DisplayName is the human-readable name (optional).
	DisplayName string
	// Key is the key material: an AWSKey, AzureKey or GCPKey with its
	// required fields set. Fields the server sets (AWSKey.Roles,
	// AzureKey.ApplicationID, GCPKey.SecurityGroup) are never sent.
	Key KeyMaterial
}

// UpdateKeyRequest holds the fields to change; the display name is the only
// field the API lets change.
type UpdateKeyRequest struct {
	// DisplayName is the new display name; it must not be empty.
	DisplayName string
}

// GetKey returns the key with the given id, such as "cck-12345".
func (c *Client) GetKey(ctx context.Context, id string) (*Key, error) {
	op, err := keyOperation("get key", http.MethodGet, id)
	if err != nil {
		return nil, err
	}
	var k Key
	op.decode = keyDecoder(&k)
	ex, err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.GetByokV1Key(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return decodeAnswer(op, ex, &k)
}

// CreateKey registers a key and returns it as the server stored it (with its
// id, the roles or group to grant, and validation INITIALIZING). Follow with
// WaitForValidation to learn whether Confluent Cloud can use it.
//
// A create is retried only when it certainly did not reach the server; when
// it was sent and no answer came, the error matches ErrOutcomeUnknown.
func (c *Client) CreateKey(ctx context.Context, req CreateKeyRequest) (*Key, error) {
	body, err := req.body()
	if err != nil {
		return nil, fmt.Errorf("byok: create key: %w", err)
	}
	var k Key
	op := operation{name: "create key", method: http.MethodPost, path: "/byok/v1/keys", decode: keyDecoder(&k)}
	ex, err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.CreateByokV1KeyWithBody(ctx, "application/json", bytes.NewReader(body))
	})
	if err != nil {
		return nil, err
	}
	return decodeAnswer(op, ex, &k)
}

// UpdateKey changes the display name of a key and returns the updated key.
func (c *Client) UpdateKey(ctx context.Context, id string, req UpdateKeyRequest) (*Key, error) {
	op, err := keyOperation("update key", http.MethodPatch, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.DisplayName) == "" {
		return nil, fmt.Errorf("byok: %s: UpdateKeyRequest.DisplayName is empty; expected the new display name", op.name)
	}
	body, err := json.Marshal(struct {
		DisplayName string `json:"display_name"`
	}{req.DisplayName})
	if err != nil {
		return nil, fmt.Errorf("byok: %s: %w", op.name, err)
	}
	var k Key
	op.decode = keyDecoder(&k)
	ex, err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.UpdateByokV1KeyWithBody(ctx, id, "application/json", bytes.NewReader(body))
	})
	if err != nil {
		return nil, err
	}
	return decodeAnswer(op, ex, &k)
}

// DeleteKey deletes a key. A retried delete that gets 404 after an attempt of
// unknown outcome has succeeded (the earlier attempt deleted the key).
func (c *Client) DeleteKey(ctx context.Context, id string) error {
	op, err := keyOperation("delete key", http.MethodDelete, id)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.DeleteByokV1Key(ctx, id)
	})
	return err
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

// keyDecoder returns an operation's decode: it decodes the answer's key into
// k.
func keyDecoder(k *Key) func([]byte) error {
	return func(b []byte) (err error) {
		*k, err = decodeKey(b)
		return err
	}
}

// decodeAnswer returns k, the key call decoded from a successful answer
// (keyDecoder), or the error of its decoding.
func decodeAnswer(op operation, ex *exchange, k *Key) (*Key, error) {
	if ex.decodeErr != nil {
		return nil, fmt.Errorf("byok: %s: decoding the %d answer (request id %s): %w", op.name, ex.resp.StatusCode, printable(ex.resp.RequestID), ex.decodeErr)
	}
	return k, nil
}

// body encodes the request as the API's Key, without read-only fields.
func (r CreateKeyRequest) body() ([]byte, error) {
	if err := checkMaterial(r.Key); err != nil {
		return nil, err
	}
	m, err := materialJSON(r.Key, false)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		DisplayName string `json:"display_name,omitempty"`
		Key         any    `json:"key"`
	}{r.DisplayName, m})
}

// checkMaterial checks that the required fields of a key to create are set.
func checkMaterial(m KeyMaterial) error {
	missing := func(kind, field string) error {
		return fmt.Errorf("CreateKeyRequest.Key: %s.%s is empty; it is required", kind, field)
	}
	switch v := m.(type) {
	case nil:
		return errors.New("CreateKeyRequest.Key is nil; expected an AWSKey, AzureKey or GCPKey")
	case *AWSKey:
		if v == nil {
			return errors.New("CreateKeyRequest.Key is a nil *AWSKey")
		}
		return checkMaterial(*v)
	case *AzureKey:
		if v == nil {
			return errors.New("CreateKeyRequest.Key is a nil *AzureKey")
		}
		return checkMaterial(*v)
	case *GCPKey:
		if v == nil {
			return errors.New("CreateKeyRequest.Key is a nil *GCPKey")
		}
		return checkMaterial(*v)
	case AWSKey:
		if v.KeyARN == "" {
			return missing("AWSKey", "KeyARN")
		}
	case AzureKey:
		switch {
		case v.KeyID == "":
			return missing("AzureKey", "KeyID")
		case v.KeyVaultID == "":
			return missing("AzureKey", "KeyVaultID")
		case v.TenantID == "":
			return missing("AzureKey", "TenantID")
		}
	case GCPKey:
		if v.KeyID == "" {
			return missing("GCPKey", "KeyID")
		}
	default:
		return fmt.Errorf("CreateKeyRequest.Key: keys of kind %q cannot be created with this version of the library; expected an AWSKey, AzureKey or GCPKey", m.Kind())
	}
	return nil
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

package wrapper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"

	"github.com/byokctl/byok/api"
)

// DefaultKeysPageSize is the page size Keys asks for when none is set.
const DefaultKeysPageSize = 100

// MaxPageSize is the largest page the API serves.
const MaxPageSize = 100

// ListKeysOptions filters and pages a list of keys. Empty fields are not
// sent.
type ListKeysOptions struct {
	// DisplayName keeps keys whose display name contains it.
	DisplayName string
	// Provider keeps keys of this provider.
	Provider Provider
	// State keeps keys in this state.
	State State
	// ValidationPhase keeps keys in this validation phase.
	ValidationPhase Phase
	// ValidationRegion keeps keys deployed in this cloud region.
	ValidationRegion string
	// Key keeps keys whose identifier (key_arn for AWS, key_id for Azure
	// and GCP) contains it.
	Key string
	// PageSize is the number of keys per page, 1 to 100. Zero lets the
	// server choose (10) for ListKeys; Keys uses 100.
	PageSize int
	// PageToken asks for the page after the one that returned it
	// (KeyPage.NextPageToken).
	PageToken string
}

// KeyPage is one page of keys.
type KeyPage struct {
	// Keys are the keys of the page, in the server's order.
	Keys []Key
	// NextPageToken asks for the next page; empty on the last page.
	NextPageToken string
	// TotalSize is the number of keys in the whole result, when the server
	// says (metadata.total_size); zero otherwise.
	TotalSize int
	// Response describes the answer: status, request id, rate limit.
	Response *Response
}

// ListKeys returns one page of keys.
//
// When some keys of the page cannot be decoded (see KeyDecodeError),
// ListKeys returns the page with the other keys and an error that joins one
// *KeyDecodeError per bad key. Any other error comes with a nil page.
func (c *Client) ListKeys(ctx context.Context, opts ListKeysOptions) (*KeyPage, error) {
	page, bad, err := c.listPage(ctx, opts)
	if err != nil {
		return nil, err
	}
	if len(bad) == 0 {
		return page, nil
	}
	errs := make([]error, len(bad))
	for i, e := range bad {
		errs[i] = e
	}
	return page, errors.Join(errs...)
}

// Keys returns all the keys matching opts, over as many pages as needed:
//
//	for key, err := range client.Keys(ctx, wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(key.ID)
//	}
//
// Pages are fetched lazily, PageSize keys at a time (100 unless set);
// breaking out of the loop stops the fetching. A failed request is yielded
// once as an error and ends the sequence, as does a page token the server
// already sent (ErrRepeatedPageToken): one sent again within 256 pages is
// caught at once, and a loop of λ pages that starts at page μ within
// 3·max(μ, λ) pages, in memory that does not grow with the listing. A key
// that cannot be decoded is yielded as a *KeyDecodeError in its place, and
// the sequence goes on.
func (c *Client) Keys(ctx context.Context, opts ListKeysOptions) iter.Seq2[Key, error] {
	return func(yield func(Key, error) bool) {
		if opts.PageSize == 0 {
			opts.PageSize = DefaultKeysPageSize
		}
		seen := newLoopGuard()
		if opts.PageToken != "" {
			seen.add(opts.PageToken)
		}
		for {
			page, bad, err := c.listPage(ctx, opts)
			if err != nil {
				yield(Key{}, err)
				return
			}
			// Yield the keys and the keys that could not be decoded in the
			// server's order.
			keys := page.Keys
			for i := range len(keys) + len(bad) {
				if len(bad) > 0 && bad[0].Index == i {
					if !yield(Key{ID: bad[0].ID}, bad[0]) {
						return
					}
					bad = bad[1:]
					continue
				}
				if !yield(keys[0], nil) {
					return
				}
				keys = keys[1:]
			}
			next := page.NextPageToken
			if next == "" {
				return
			}
			if !seen.add(next) {
				yield(Key{}, fmt.Errorf("byok: list keys: %w (%q); stopping rather than loop", ErrRepeatedPageToken, next))
				return
			}
			opts.PageToken = next
		}
	}
}

// listPage fetches and decodes one page. bad lists the keys that could not be
// decoded, by increasing Index; page.Keys holds the others.
func (c *Client) listPage(ctx context.Context, opts ListKeysOptions) (page *KeyPage, bad []*KeyDecodeError, err error) {
	params, err := opts.params()
	if err != nil {
		return nil, nil, fmt.Errorf("byok: list keys: %w", err)
	}
	op := operation{name: "list keys", method: http.MethodGet, path: "/byok/v1/keys"}
	op.decode = func(body []byte) (err error) {
		page, bad, err = decodePage(body)
		return err
	}
	ex, err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.ListByokV1Keys(ctx, params)
	})
	if err != nil {
		return nil, nil, err
	}
	if ex.decodeErr != nil {
		return nil, nil, fmt.Errorf("byok: list keys: decoding the %d answer (request id %s): %w", ex.resp.StatusCode, printable(ex.resp.RequestID), ex.decodeErr)
	}
	page.Response = ex.resp
	return page, bad, nil
}

func (o ListKeysOptions) params() (*api.ListByokV1KeysParams, error) {
	if o.PageSize < 0 || o.PageSize > MaxPageSize {
		return nil, fmt.Errorf("ListKeysOptions.PageSize is %d; expected 1 to %d, or 0 for the server's default", o.PageSize, MaxPageSize)
	}
	p := &api.ListByokV1KeysParams{
		DisplayName:      optional(o.DisplayName),
		Provider:         optional(string(o.Provider)),
		State:            optional(string(o.State)),
		ValidationPhase:  optional(string(o.ValidationPhase)),
		ValidationRegion: optional(o.ValidationRegion),
		Key:              optional(o.Key),
		PageToken:        optional(o.PageToken),
	}
	if o.PageSize > 0 {
		n := int32(o.PageSize)
		p.PageSize = &n
	}
	return p, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pageWire is a KeyList, decoded straight into the wire form of keys.
type pageWire struct {
	Metadata listMetaWire `json:"metadata"`
	Data     []keyWire    `json:"data"`
}

type listMetaWire struct {
	Next      *string `json:"next"`
	TotalSize int     `json:"total_size"`
}

// decodePage decodes a KeyList body in one pass, straight into the wire form
// of keys. Should a key have a field of the wrong JSON type, the page is read
// again key by key so that the error concerns that key alone. Keys of an
// unknown kind get their raw "key" object from a second, narrow read of the
// page.
func decodePage(body []byte) (*KeyPage, []*KeyDecodeError, error) {
	var w pageWire
	err := json.Unmarshal(body, &w)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return decodePageByKey(body)
	}
	if err != nil {
		return nil, nil, err
	}
	page, err := w.Metadata.page()
	if err != nil {
		return nil, nil, err
	}
	page.Keys = make([]Key, 0, len(w.Data))
	var bad []*KeyDecodeError
	var unknown []int // indexes in w.Data and in page.Keys
	for i := range w.Data {
		k, known, err := w.Data[i].toKey()
		if err != nil {
			bad = append(bad, &KeyDecodeError{Index: i, ID: k.ID, Err: err})
			continue
		}
		if !known {
			unknown = append(unknown, i, len(page.Keys))
		}
		page.Keys = append(page.Keys, k)
	}
	if len(unknown) > 0 {
		var raws struct {
			Data []rawMaterial `json:"data"`
		}
		if err := json.Unmarshal(body, &raws); err != nil || len(raws.Data) != len(w.Data) {
			return nil, nil, fmt.Errorf("reading keys of unknown kind: %w", err)
		}
		for j := 0; j < len(unknown); j += 2 {
			k := &page.Keys[unknown[j+1]]
			m := k.Material.(UnknownKey)
			m.Raw = raws.Data[unknown[j]].Key
			k.Material = m
		}
	}
	return page, bad, nil
}

// decodePageByKey is the slow path of decodePage: each key on its own.
func decodePageByKey(body []byte) (*KeyPage, []*KeyDecodeError, error) {
	var w struct {
		Metadata listMetaWire      `json:"metadata"`
		Data     []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, nil, describeJSONError(err)
	}
	page, err := w.Metadata.page()
	if err != nil {
		return nil, nil, err
	}
	page.Keys = make([]Key, 0, len(w.Data))
	var bad []*KeyDecodeError
	for i, raw := range w.Data {
		k, err := decodeKey(raw)
		if err != nil {
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			bad = append(bad, &KeyDecodeError{Index: i, ID: id.ID, Err: err})
			continue
		}
		page.Keys = append(page.Keys, k)
	}
	return page, bad, nil
}

// page reads the paging metadata: the next page token is the page_token of
// the "next" link.
func (m listMetaWire) page() (*KeyPage, error) {
	p := &KeyPage{TotalSize: m.TotalSize}
	if m.Next == nil || *m.Next == "" {
		return p, nil
	}
	u, err := url.Parse(*m.Next)
	if err != nil {
		return nil, fmt.Errorf("metadata.next %q is not a URL: %w", *m.Next, err)
	}
	p.NextPageToken = u.Query().Get("page_token")
	if p.NextPageToken == "" {
		return nil, fmt.Errorf("metadata.next %q has no page_token", *m.Next)
	}
	return p, nil
}

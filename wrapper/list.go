package wrapper

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// MaxPageSize is the largest page the API serves, and the page size used
// when ListKeysOptions.PageSize is zero.
const MaxPageSize = 100

// Bounds of a listing against a server that misbehaves.
const (
	// recentTokens is how many of the latest page tokens Keys compares a
	// new one with: a server that sends one again would loop forever.
	recentTokens = 8
	// maxEmptyPages is how many pages in a row may hold no key but a next
	// page token before Keys gives up; from the second such page on, Keys
	// waits before asking for the next one.
	maxEmptyPages = 10
)

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
	// PageSize is the number of keys per page, 1 to 100; zero means 100.
	PageSize int
	// PageToken asks for the page after the one that returned it
	// (KeyPage.NextPageToken).
	PageToken string
}

// listParams turns the options of a listing into the generated parameters.
// A filter of a documented provider, state or phase is sent in the API's
// spelling whatever its case ("aws" lists the AWS keys); an unset filter is
// not sent.
func listParams(o ListKeysOptions) *api.ListByokV1KeysParams {
	size := int32(o.PageSize)
	if size == 0 {
		size = MaxPageSize
	}
	return &api.ListByokV1KeysParams{
		DisplayName:      optional(o.DisplayName),
		Provider:         optional(string(documented(o.Provider, ProviderAWS, ProviderAzure, ProviderGCP))),
		State:            optional(string(documented(o.State, StateAvailable, StateInUse))),
		ValidationPhase:  optional(string(documented(o.ValidationPhase, PhaseInitializing, PhaseValid, PhaseInvalid))),
		ValidationRegion: optional(o.ValidationRegion),
		Key:              optional(o.Key),
		PageSize:         &size,
		PageToken:        optional(o.PageToken),
	}
}

// documented returns the value of known that v names in any case, else v.
func documented[T ~string](v T, known ...T) T {
	for _, k := range known {
		if strings.EqualFold(string(v), string(k)) {
			return k
		}
	}
	return v
}

// optional returns nil for the empty string, else a pointer to s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// KeyPage is one page of keys.
type KeyPage struct {
	// Keys are the keys of the page that could be decoded, in the server's
	// order.
	Keys []Key
	// DecodeErrors holds one *KeyDecodeError for each key of the page that
	// could not be decoded, in the server's order; its Index is the key's
	// place in the page. Usually empty.
	DecodeErrors []*KeyDecodeError
	// NextPageToken asks for the next page; empty on the last page.
	NextPageToken string
	// TotalSize is the number of keys in the whole result, when the server
	// says (metadata.total_size, an integer); zero otherwise.
	TotalSize int
}

// ListKeys returns one page of keys, or an error. A key of the page that
// cannot be decoded does not fail the page: it is left out of Keys and
// described in DecodeErrors. A body without "data", or with "data": null
// and a next link, is an error rather than an empty page; "data": null on
// the last page is read as no keys.
func (c *Client) ListKeys(ctx context.Context, opts ListKeysOptions) (*KeyPage, *Response, error) {
	if opts.PageSize < 0 || opts.PageSize > MaxPageSize {
		return nil, nil, fmt.Errorf("byok: list keys: ListKeysOptions.PageSize is %d; expected 1 to %d, or 0 for %d", opts.PageSize, MaxPageSize, MaxPageSize)
	}
	var page *KeyPage
	op := operation{name: "list keys", method: http.MethodGet, path: "/byok/v1/keys"}
	op.decode = func(body []byte) (err error) {
		page, err = decodePage(body)
		return err
	}
	resp, err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		return c.api.ListByokV1Keys(ctx, listParams(opts))
	})
	if err != nil {
		return nil, resp, err
	}
	return page, resp, nil
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
// once as an error and ends the sequence. So does a server that would make
// the listing endless: one that sends again one of the last 8 page tokens,
// or 10 pages in a row with no key but a next page token (from the second
// such page on, Keys waits before asking for the next, as it would before a
// retry). A key that cannot be decoded is yielded as a *KeyDecodeError in
// its place, and the sequence goes on.
func (c *Client) Keys(ctx context.Context, opts ListKeysOptions) iter.Seq2[Key, error] {
	return func(yield func(Key, error) bool) {
		var (
			recent []string
			empty  emptyPages
		)
		for {
			page, _, err := c.ListKeys(ctx, opts)
			if err != nil {
				yield(Key{}, err)
				return
			}
			keys, bad := page.Keys, page.DecodeErrors
			for i := range len(keys) + len(bad) {
				if len(bad) > 0 && bad[0].Index == i {
					if !yield(Key{Key: api.Key{ID: bad[0].ID}}, bad[0]) {
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
			if next == opts.PageToken || slices.Contains(recent, next) {
				yield(Key{}, fmt.Errorf("byok: list keys: the server sent page token %q again; stopping rather than loop", next))
				return
			}
			if len(page.Keys)+len(page.DecodeErrors) > 0 {
				empty = emptyPages{}
			} else if err := c.emptyPageWait(ctx, &empty); err != nil {
				yield(Key{}, err)
				return
			}
			if opts.PageToken != "" {
				recent = append(recent, opts.PageToken)
				if len(recent) > recentTokens {
					recent = slices.Delete(recent, 0, 1)
				}
			}
			opts.PageToken = next
		}
	}
}

// emptyPages counts the pages in a row that held no key but a next page
// token, and the time waited after them.
type emptyPages struct {
	n      int
	waited time.Duration
}

// emptyPageWait counts one more empty page in e and waits before the next
// page is asked for: nothing after the first, then the retry back-off. It
// fails after maxEmptyPages, or when the wait would end after ctx's deadline
// or ctx ends during it, saying what was waited for, after how many pages
// and why it stopped.
func (c *Client) emptyPageWait(ctx context.Context, e *emptyPages) error {
	e.n++
	gaveUp := func(why string) string {
		return fmt.Sprintf("byok: list keys: gave up waiting for a page with keys after %d pages in a row without a key but with a next page token, and %s of waiting: %s",
			e.n, e.waited.Round(time.Millisecond), why)
	}
	if e.n >= maxEmptyPages {
		return errors.New(gaveUp(fmt.Sprintf("no more such pages are asked for (the limit is %d)", maxEmptyPages)))
	}
	if e.n < 2 {
		return nil
	}
	w := wait{d: c.retry.step(e.n - 1)}
	stop, err := c.sleep(ctx, w, "before the next page")
	switch {
	case errors.Is(err, ErrNoTimeLeft):
		return &emptyPagesError{msg: gaveUp(stop), err: err} // stop says it
	case err != nil:
		return fmt.Errorf("%s: %w", gaveUp(stop), err)
	case stop != "":
		return errors.New(gaveUp(stop))
	}
	e.waited += w.d
	return nil
}

// emptyPagesError is the error of a listing that stopped asking for pages
// after empty ones: its message, and the error it matches.
type emptyPagesError struct {
	msg string
	err error
}

func (e *emptyPagesError) Error() string { return e.msg }
func (e *emptyPagesError) Unwrap() error { return e.err }

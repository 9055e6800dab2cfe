package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// fakeClient returns a client of a byoktest server, through the contract
// validator.
func fakeClient(t *testing.T, srv *byoktest.Server, clock wrapper.Clock, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	base := []wrapper.Option{
		wrapper.WithAPIKey(srv.APIKey(), srv.APISecret()),
		wrapper.WithEndpoint(srv.URL()),
		wrapper.WithHTTPClient(&http.Client{Transport: validator(t).Transport(t, nil), Timeout: 10 * time.Second}),
		wrapper.WithClock(clock),
	}
	c, err := wrapper.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// requests returns the fake's request log once it holds at least want
// entries: the fake logs a request after answering it, so the client may see
// the answer first. It gives up after two seconds and returns what it has.
func requests(t *testing.T, srv *byoktest.Server, want int) []byoktest.Request {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := srv.Requests()
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		<-tick.C
	}
}

func TestLifecycleAgainstFake(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithValidation(byoktest.Validation{Reads: 3}))
	clock := testkit.NewClock()
	c := fakeClient(t, srv, clock)
	ctx := context.Background()

	materials := []wrapper.KeyMaterial{
		wrapper.AWSKey{KeyARN: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		wrapper.AzureKey{KeyID: "https://kv-prod.vault.azure.net/keys/byok", KeyVaultID: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-prod", TenantID: "00000000-0000-0000-0000-000000000001"},
		wrapper.GCPKey{KeyID: "projects/acme/locations/europe-west1/keyRings/r/cryptoKeys/k"},
	}
	var ids []string
	for i, m := range materials {
		k, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: fmt.Sprintf("key %d", i)}, Material: m})
		if err != nil {
			t.Fatal(err)
		}
		if k.Material.MaterialKind() != m.MaterialKind() || k.Identifier() == "" || k.Validation.Phase != wrapper.PhaseInitializing {
			t.Errorf("created %+v", k)
		}
		switch got := k.Material.(type) {
		case wrapper.AWSKey:
			if len(got.Roles) == 0 {
				t.Error("no roles on the created AWS key")
			}
		case wrapper.AzureKey:
			if got.ApplicationID == "" {
				t.Error("no application id on the created Azure key")
			}
		case wrapper.GCPKey:
			if got.SecurityGroup == "" {
				t.Error("no security group on the created GCP key")
			}
		}
		ids = append(ids, k.ID)
	}
	var checks int
	k, err := c.WaitForValidation(ctx, ids[0], wrapper.WithProgress(func(wrapper.WaitProgress) { checks++ }))
	if err != nil {
		t.Fatal(err)
	}
	if k.Validation.Phase != wrapper.PhaseValid || k.Validation.Region != "eu-central-1" || checks != 3 || len(clock.Sleeps()) != 2 {
		t.Errorf("after %d checks and waits %v: %+v", checks, clock.Sleeps(), k.Validation)
	}

	updated, _, err := c.UpdateKey(ctx, ids[1], wrapper.UpdateKeyRequest{DisplayName: "renamed"})
	if err != nil || updated.DisplayName != "renamed" {
		t.Fatalf("update: %v %+v", err, updated)
	}
	var names []string
	for k, err := range c.Keys(ctx, wrapper.ListKeysOptions{DisplayName: "renamed"}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, k.ID)
	}
	if !slices.Equal(names, ids[1:2]) {
		t.Errorf("filtered list %v, want %v", names, ids[1:2])
	}
	for _, id := range ids {
		if _, err := c.DeleteKey(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.GetKey(ctx, ids[0]); !errors.Is(err, wrapper.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if srv.Len() != 0 {
		t.Errorf("%d keys left", srv.Len())
	}
}

func TestPagingAgainstFake(t *testing.T) {
	srv := byoktest.NewServer(t)
	srv.Seed(250)
	var want []string
	for _, k := range srv.Keys() {
		if k.Provider == wrapper.ProviderAWS {
			want = append(want, k.ID)
		}
	}
	c := fakeClient(t, srv, testkit.NewClock())
	var got []string
	for k, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS, State: wrapper.StateAvailable, PageSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, k.ID)
	}
	if !slices.Equal(got, want) || len(want) < 3*7 {
		t.Errorf("%d keys, want the %d AWS keys in order", len(got), len(want))
	}
	wantPages := (len(want) + 6) / 7
	lists := 0
	for _, r := range requests(t, srv, wantPages) {
		if r.Operation == byoktest.OpList {
			lists++
		}
	}
	if lists != wantPages {
		t.Errorf("%d list requests, want %d", lists, wantPages)
	}
}

func TestFaultsAgainstFake(t *testing.T) {
	ctx := context.Background()
	aws := wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd"}}

	t.Run("create answer dropped", func(t *testing.T) {
		srv := byoktest.NewServer(t)
		if err := srv.FailNext(1, byoktest.FaultDropResponse, byoktest.OpCreate); err != nil {
			t.Fatal(err)
		}
		_, _, err := fakeClient(t, srv, testkit.NewClock()).CreateKey(ctx, aws)
		if n := len(requests(t, srv, 1)); !errors.Is(err, wrapper.ErrOutcomeUnknown) || srv.Len() != 1 || n != 1 {
			t.Errorf("got %v with %d keys after %d requests; want ErrOutcomeUnknown, 1, 1", err, srv.Len(), n)
		}
	})
	t.Run("create reset", func(t *testing.T) {
		srv := byoktest.NewServer(t)
		if err := srv.FailNext(1, byoktest.FaultReset, byoktest.OpCreate); err != nil {
			t.Fatal(err)
		}
		_, _, err := fakeClient(t, srv, testkit.NewClock()).CreateKey(ctx, aws)
		if n := len(requests(t, srv, 1)); !errors.Is(err, wrapper.ErrOutcomeUnknown) || n != 1 {
			t.Errorf("got %v after %d requests", err, n)
		}
	})
	t.Run("delete answer dropped", func(t *testing.T) {
		srv := byoktest.NewServer(t)
		id := srv.Seed(1)[0]
		if err := srv.FailNext(1, byoktest.FaultDropResponse, byoktest.OpDelete); err != nil {
			t.Fatal(err)
		}
		if _, err := fakeClient(t, srv, testkit.NewClock()).DeleteKey(ctx, id); err != nil {
			t.Errorf("got %v, want success (404 after an unknown outcome)", err)
		}
		if n := len(requests(t, srv, 2)); srv.Len() != 0 || n != 2 {
			t.Errorf("%d keys, %d requests", srv.Len(), n)
		}
	})
	for _, mode := range []byoktest.FaultMode{byoktest.FaultServerError, byoktest.FaultBadGateway, byoktest.FaultUnavailable, byoktest.FaultHTML, byoktest.FaultReset, byoktest.FaultRateLimitBurst} {
		t.Run("get after "+string(mode), func(t *testing.T) {
			srv := byoktest.NewServer(t)
			id := srv.Seed(1)[0]
			if err := srv.FailNext(3, mode, byoktest.OpGet); err != nil {
				t.Fatal(err)
			}
			clock := testkit.NewClock()
			k, _, err := fakeClient(t, srv, clock).GetKey(ctx, id)
			if err != nil || k.ID != id {
				t.Fatalf("got %v, %v", k, err)
			}
			if n := len(requests(t, srv, 4)); n != 4 || len(clock.Sleeps()) != 3 {
				t.Errorf("%d requests, waits %v", n, clock.Sleeps())
			}
		})
	}
	t.Run("HTML page kept as an excerpt", func(t *testing.T) {
		srv := byoktest.NewServer(t)
		if err := srv.FailNext(1, byoktest.FaultHTML, byoktest.OpList); err != nil {
			t.Fatal(err)
		}
		_, _, err := fakeClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries()).ListKeys(ctx, wrapper.ListKeysOptions{})
		var apiErr *wrapper.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || !strings.Contains(apiErr.Body, "<") || len(apiErr.Body) > 520 || !errors.Is(err, wrapper.ErrServer) {
			t.Errorf("got %#v", err)
		}
	})
}

func TestEveryDocumentedStatusAgainstFake(t *testing.T) {
	ctx := context.Background()
	srv := byoktest.NewServer(t)
	id := srv.Seed(1)[0]
	c := fakeClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries())
	calls := map[byoktest.Operation]func() error{
		byoktest.OpList: func() error { _, _, err := c.ListKeys(ctx, wrapper.ListKeysOptions{}); return err },
		byoktest.OpCreate: func() error {
			_, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.GCPKey{KeyID: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}})
			return err
		},
		byoktest.OpGet: func() error { _, _, err := c.GetKey(ctx, id); return err },
		byoktest.OpUpdate: func() error {
			_, _, err := c.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: "x"})
			return err
		},
		byoktest.OpDelete: func() error { _, err := c.DeleteKey(ctx, id); return err },
	}
	for _, op := range operations {
		bop := map[string]byoktest.Operation{"list": byoktest.OpList, "create": byoktest.OpCreate, "get": byoktest.OpGet, "update": byoktest.OpUpdate, "delete": byoktest.OpDelete}[op.name]
		for _, status := range op.statuses {
			if err := srv.RespondNext(bop, status); err != nil {
				t.Fatal(err)
			}
			err := calls[bop]()
			var apiErr *wrapper.APIError
			if !errors.Is(err, sentinelOf(status)) || !errors.As(err, &apiErr) || len(apiErr.Errors) == 0 || apiErr.RequestID == "" || !apiErr.RateLimit.HasLimit {
				t.Errorf("%s %d: got %v", op.name, status, err)
			}
		}
	}
}

func TestRateLimitAgainstFake(t *testing.T) {
	clock := testkit.NewClock()
	srv := byoktest.NewServer(t, byoktest.WithRateLimit(3, 10*time.Second), byoktest.WithClock(clock.Now))
	id := srv.Seed(1)[0]
	c := fakeClient(t, srv, clock)
	for i := range 10 {
		if _, _, err := c.GetKey(context.Background(), id); err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 3 {
		t.Errorf("waits %v: want one per window after the first", sleeps)
	}
	for _, d := range sleeps {
		if d <= 0 || d > 10*time.Second {
			t.Errorf("wait %v, want the rest of the 10s window", d)
		}
	}
	_, resp, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rl := resp.RateLimit; !rl.HasLimit || rl.Limit != 3 || !rl.HasRemaining || !rl.HasReset {
		t.Errorf("rate limit %+v", rl)
	}
}

// TestFiltersInAnyCase: a filter of a documented provider, state or phase
// is sent in the API's spelling whatever its case, as the fake (like the
// API) matches exactly; any other value is sent as it is.
func TestFiltersInAnyCase(t *testing.T) {
	srv := byoktest.NewServer(t)
	ids := srv.Seed(6)
	if err := srv.SetState(ids[0], wrapper.StateInUse); err != nil {
		t.Fatal(err)
	}
	c := fakeClient(t, srv, testkit.NewClock())
	for _, tc := range []struct {
		opts wrapper.ListKeysOptions
		want int
	}{
		{wrapper.ListKeysOptions{Provider: "aws"}, 2},
		{wrapper.ListKeysOptions{Provider: "AZURE"}, 2},
		{wrapper.ListKeysOptions{Provider: "gcp", ValidationPhase: "valid"}, 2},
		{wrapper.ListKeysOptions{State: "in_use"}, 1},
		{wrapper.ListKeysOptions{State: "Available", ValidationPhase: "Initializing"}, 0},
		{wrapper.ListKeysOptions{Provider: "oci"}, 0},
	} {
		n := 0
		for _, err := range c.Keys(context.Background(), tc.opts) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != tc.want {
			t.Errorf("%+v: %d keys, want %d", tc.opts, n, tc.want)
		}
	}
	var query []string
	for _, r := range srv.Requests() {
		query = append(query, r.Query)
	}
	want := []string{
		"provider=AWS&page_size=100",
		"provider=Azure&page_size=100",
		"provider=GCP&validation_phase=VALID&page_size=100",
		"state=IN_USE&page_size=100",
		"state=AVAILABLE&validation_phase=INITIALIZING&page_size=100",
		"provider=oci&page_size=100",
	}
	if !slices.Equal(query, want) {
		t.Errorf("queries sent:\n%s\nwant:\n%s", strings.Join(query, "\n"), strings.Join(want, "\n"))
	}
}

package wrapper

import (
	"net/url"
	"testing"
)

// BenchmarkGetKey is one GetKey round trip to a byoktest server on
// loopback, over a reused connection. The keys fetched cycle through an AWS,
// an Azure and a GCP key.
func BenchmarkGetKey(b *testing.B) {
	s := newBenchServer(b, 3)
	c := newBenchClient(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	cpu := startCPU(b)
	i := 0
	for b.Loop() {
		id := s.ids[i%len(s.ids)]
		k, _, err := c.GetKey(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if k.ID != id || k.Material == nil {
			b.Fatalf("got key %q with material %v, want key %q", k.ID, k.Material, id)
		}
		i++
	}
	cpu.report(b)
}

// BenchmarkGetKeyRaw is the baseline of BenchmarkGetKey: the same GET with
// net/http and encoding/json into a flat struct, over the same kind of
// server and HTTP client.
func BenchmarkGetKeyRaw(b *testing.B) {
	s := newBenchServer(b, 3)
	hc := benchHTTPClient(b)
	ctx := b.Context()
	b.ReportAllocs()
	cpu := startCPU(b)
	i := 0
	for b.Loop() {
		id := s.ids[i%len(s.ids)]
		var k flatKey
		if err := rawGet(ctx, s, hc, s.URL()+"/byok/v1/keys/"+url.PathEscape(id), &k); err != nil {
			b.Fatal(err)
		}
		if k.ID != id || k.Key.Kind == "" {
			b.Fatalf("got key %q of kind %q, want key %q", k.ID, k.Key.Kind, id)
		}
		i++
	}
	cpu.report(b)
}

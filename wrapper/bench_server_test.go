package wrapper

import (
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// The benchmarks of listings and round trips talk to a byoktest server on
// 127.0.0.1 in the same process. A benchmark and its baseline each get a
// server built the same way (same options, same seed, so the same keys and
// ids) and an HTTP client built the same way, so that they differ only in
// the code under test. The contract validator is left out: it would cost
// more than what is measured. The tests of package wrapper run the same
// exchanges through it.

// benchServer is a fake API for a benchmark, with a count of the requests it
// received.
type benchServer struct {
	*byoktest.Server
	ids      []string // of the seeded keys, in creation order
	requests atomic.Int64
}

// newBenchServer starts a fake holding n seeded keys (AWS, Azure and GCP in
// turn, validated, with full metadata). Its request log is off, so that the
// server keeps no memory per request: the heap measured while listing is
// then the client's working set.
func newBenchServer(b *testing.B, n int) *benchServer {
	b.Helper()
	s := &benchServer{}
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.requests.Add(1)
			next.ServeHTTP(w, r)
		})
	}
	s.Server = byoktest.NewServer(b, byoktest.WithSeed(1), byoktest.WithRequestLog(0), byoktest.WithMiddleware(count))
	if s.ids = s.Seed(n); len(s.ids) != n {
		b.Fatalf("seeded %d keys, want %d", len(s.ids), n)
	}
	return s
}

// benchHTTPClient is the HTTP client of both a benchmark and its baseline:
// a transport of its own (keep-alive, so one connection is reused) and the
// per-attempt timeout the wrapper's default client has.
func benchHTTPClient(b *testing.B) *http.Client {
	b.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// newBenchClient returns a wrapper Client of s over benchHTTPClient.
func newBenchClient(b *testing.B, s *benchServer) *Client {
	b.Helper()
	c, err := New(WithAPIKey(s.APIKey(), s.APISecret()), WithEndpoint(s.URL()), WithHTTPClient(benchHTTPClient(b)))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// liveHeap returns the bytes held by live heap objects, after two full
// garbage collections: the first frees the garbage, the second also what
// sync.Pools cached (a pool survives one collection in its victim cache),
// which would otherwise come and go between samples.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// cpuMeter measures the CPU time of a benchmark's loop. Wall time (ns/op)
// counts the time the process waits for a CPU too, which on a shared,
// loaded machine swamps the differences measured; CPU time (cpu-ns/op)
// counts only the work done, garbage collection included.
type cpuMeter struct{ start time.Duration }

// startCPU starts measuring; call it right before the b.Loop loop.
func startCPU(b *testing.B) cpuMeter { return cpuMeter{start: processCPU(b)} }

// report reports the CPU time per iteration as cpu-ns/op; call it after the
// loop, when b.N is the number of iterations that ran.
func (m cpuMeter) report(b *testing.B) {
	if used := processCPU(b) - m.start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

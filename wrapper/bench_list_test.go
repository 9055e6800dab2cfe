package wrapper

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// heapSamples is how many times the listing benchmarks sample the live heap
// while iterating: at the first page, the last page and pages evenly spaced
// between, always at a page's 50th key. The same number of samples, taken at
// the same place in a page, whatever the length of the listing: the peak of
// more samples would be higher by chance alone.
const heapSamples = 10

// listTimeout bounds one listing of a benchmark.
const listTimeout = 5 * time.Minute

// BenchmarkListKeys iterates all the keys of a byoktest server holding
// 10,000 or 100,000 keys, through Client.Keys (pages of 100). Besides the
// time and allocations of one listing it reports:
//
//   - req/op: the requests of one listing, which must be ceil(N/100) (the
//     benchmark fails otherwise);
//   - keys/s: keys iterated per second;
//   - B/key: bytes allocated per key, by the whole process (the client and
//     the in-process server; BenchmarkListKeysRaw gives the part that is not
//     the wrapper's);
//   - peak-heap-B: the largest live heap above the one before the listing,
//     sampled after forced garbage collections at ten pages spread over a
//     separate, untimed listing. The server's keys are in the heap before
//     the listing starts, so this is what iterating holds: it must not grow
//     with N.
func BenchmarkListKeys(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			s := newBenchServer(b, n)
			c := newBenchClient(b, s)
			benchmarkListing(b, s, n, func(ctx context.Context, onKey func(int) bool) (int, error) {
				got := 0
				for k, err := range c.Keys(ctx, ListKeysOptions{}) {
					if err != nil {
						return got, err
					}
					if k.Material == nil {
						return got, fmt.Errorf("key %s has no material", k.ID)
					}
					got++
					if onKey != nil && !onKey(got) {
						break
					}
				}
				return got, nil
			})
		})
	}
}

// BenchmarkListKeysRaw is the baseline of BenchmarkListKeys: the same
// listing with net/http and encoding/json into a flat struct, following the
// metadata.next links, over the same kind of server and HTTP client.
func BenchmarkListKeysRaw(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			s := newBenchServer(b, n)
			hc := benchHTTPClient(b)
			maxPages := n/MaxPageSize + 1
			benchmarkListing(b, s, n, func(ctx context.Context, onKey func(int) bool) (int, error) {
				got := 0
				next := s.URL() + "/byok/v1/keys?page_size=" + strconv.Itoa(MaxPageSize)
			pages:
				for pages := 0; next != ""; pages++ {
					if pages == maxPages {
						return got, fmt.Errorf("still a next page after %d pages", pages)
					}
					var page flatPage
					if err := rawGet(ctx, s, hc, next, &page); err != nil {
						return got, err
					}
					for range page.Data {
						got++
						if onKey != nil && !onKey(got) {
							break pages
						}
					}
					next = page.Metadata.Next
				}
				return got, nil
			})
		})
	}
}

// benchmarkListing measures list, which iterates the n keys of s calling
// onKey (when not nil) with the number of keys seen so far after each key,
// and stops early when onKey returns false.
func benchmarkListing(b *testing.B, s *benchServer, n int, list func(ctx context.Context, onKey func(int) bool) (int, error)) {
	b.Helper()
	wantRequests := int64((n + MaxPageSize - 1) / MaxPageSize)
	var reqs int64 // of the last listing
	listing := func(onKey func(int) bool) {
		ctx, cancel := context.WithTimeout(b.Context(), listTimeout)
		defer cancel()
		before := s.requests.Load()
		got, err := list(ctx, onKey)
		if err != nil {
			b.Fatalf("after %d keys: %v", got, err)
		}
		if got != n {
			b.Fatalf("listed %d keys, want %d", got, n)
		}
		if reqs = s.requests.Load() - before; reqs != wantRequests {
			b.Fatalf("a listing of %d keys made %d requests, want ceil(%d/%d) = %d", n, reqs, n, MaxPageSize, wantRequests)
		}
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	listings := 0
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		listing(nil)
		listings++
	}
	cpu.report(b)
	runtime.ReadMemStats(&after)
	keys := float64(n * listings)
	b.ReportMetric(float64(reqs), "req/op")
	b.ReportMetric(keys/b.Elapsed().Seconds(), "keys/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/keys, "B/key")

	// The heap, in a listing of its own after the timed ones (b.Loop has
	// stopped the timer): the forced collections would dominate the timing,
	// and by now the connection, what the decoders cache and the runtime's
	// threads (a few KiB of heap each, started as the load requires) exist,
	// so that they do not count as growth.
	pages := n / MaxPageSize
	sampleAt := map[int]bool{} // key numbers
	for j := range heapSamples {
		sampleAt[j*(pages-1)/(heapSamples-1)*MaxPageSize+50] = true
	}
	base := int64(liveHeap())
	var peak int64
	listing(func(i int) bool {
		if sampleAt[i] {
			peak = max(peak, int64(liveHeap())-base)
		}
		return true
	})
	b.ReportMetric(float64(peak), "peak-heap-B")
}

// rawGet is a GET of url with net/http, decoding a 200 answer's JSON into v.
func rawGet(ctx context.Context, s *benchServer, hc *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	s.Authorize(req)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body) // to the end, so the connection is reused
	return err
}

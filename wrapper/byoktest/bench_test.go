package byoktest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

func BenchmarkSeed(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := byoktest.New(byoktest.WithSeed(1))
				if err != nil {
					b.Fatal(err)
				}
				h.Seed(n)
			}
		})
	}
}

// BenchmarkListAll pages through every key over loopback, 100 to a page.
// The bytes and allocations per page should not grow with the number of
// keys: compare the two sizes' B/page and allocs/page.
func BenchmarkListAll(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := byoktest.NewServer(b, byoktest.WithRequestLog(0))
			srv.Seed(n)
			client := srv.Client()
			pages := 0
			b.ReportAllocs()
			for b.Loop() {
				next := srv.URL() + "/byok/v1/keys?page_size=100"
				seen := 0
				for next != "" {
					req, err := http.NewRequest(http.MethodGet, next, nil)
					if err != nil {
						b.Fatal(err)
					}
					srv.Authorize(req)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					var page api.KeyList
					err = json.NewDecoder(resp.Body).Decode(&page)
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d: %v", resp.StatusCode, err)
					}
					seen += len(page.Data)
					pages++
					next = ""
					if page.Metadata.Next != nil {
						next = *page.Metadata.Next
					}
				}
				if seen != n {
					b.Fatalf("saw %d keys, want %d", seen, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pages), "ns/page")
		})
	}
}

// BenchmarkListFiltered pages through a filtered listing in process: the
// total_size of a filter is counted once per change of the store, not once
// per page.
func BenchmarkListFiltered(b *testing.B) {
	h, err := byoktest.New(byoktest.WithRequestLog(0))
	if err != nil {
		b.Fatal(err)
	}
	h.Seed(100000)
	b.ReportAllocs()
	for b.Loop() {
		next := "http://127.0.0.1/byok/v1/keys?page_size=100&provider=GCP"
		for next != "" {
			rec := serveOnceB(h, next)
			var page api.KeyList
			if err := json.Unmarshal(rec, &page); err != nil {
				b.Fatal(err)
			}
			next = ""
			if page.Metadata.Next != nil {
				next = *page.Metadata.Next
			}
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	srv := byoktest.NewServer(b, byoktest.WithRequestLog(0))
	client := srv.Client()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := fmt.Sprintf(`{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/%d"}}`, i)
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/byok/v1/keys", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		srv.Authorize(req)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

package wrapper

import (
	"strconv"
	"testing"
)

func TestLoopGuardAcceptsALongListingOfNewTokens(t *testing.T) {
	g := newLoopGuard()
	for i := range 100_000 {
		if !g.add("token-" + strconv.Itoa(i)) {
			t.Fatalf("token %d reported as repeated on its first add", i)
		}
	}
}

func TestLoopGuardCatchesARecentRepeatAtOnce(t *testing.T) {
	for _, back := range []int{1, 2, 17, recentTokens} {
		g := newLoopGuard()
		const n = 1000
		for i := range n {
			g.add("token-" + strconv.Itoa(i))
		}
		if g.add("token-" + strconv.Itoa(n-back)) {
			t.Errorf("a token sent %d pages ago was not caught", back)
		}
	}
}

// TestLoopGuardCatchesLongLoops: a server whose tokens go round a loop of
// length λ after μ tokens is caught within 3·max(μ, λ) pages, and not before
// a token came again.
func TestLoopGuardCatchesLongLoops(t *testing.T) {
	for _, c := range []struct{ mu, lambda int }{{0, 300}, {5, 1000}, {1000, 257}, {3, 5000}, {40_000, 70_001}} {
		g := newLoopGuard()
		limit := 3 * max(c.mu, c.lambda)
		caught := -1
		for page := range limit + 1 {
			token := page
			if page >= c.mu {
				token = c.mu + (page-c.mu)%c.lambda
			}
			if !g.add("token-" + strconv.Itoa(token)) {
				caught = page
				break
			}
		}
		switch {
		case caught < 0:
			t.Errorf("μ=%d λ=%d: not caught within %d pages", c.mu, c.lambda, limit)
		case caught < c.mu+c.lambda:
			t.Errorf("μ=%d λ=%d: caught at page %d, before any token came again", c.mu, c.lambda, caught)
		}
	}
}

func TestLoopGuardEmptyToken(t *testing.T) {
	g := newLoopGuard()
	if !g.add("") || g.add("") {
		t.Error("the empty token: want new, then repeated")
	}
}

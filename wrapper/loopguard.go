package wrapper

import "hash/maphash"

// recentTokens is how many of the latest page tokens a loopGuard compares
// every new token with.
const recentTokens = 256

// loopGuard notices a server that sends a page token again, in memory that
// does not grow with the length of the listing. It keeps 64-bit hashes, not
// the tokens, seeded afresh for every listing (two different tokens of a
// listing collide with a chance of about p²/2⁶⁵ for p pages), and two checks:
//
//   - the last recentTokens tokens, exactly: a token that comes again within
//     256 pages of its first time is caught on its first repetition;
//   - Brent's cycle detection over all tokens: a server that answers a token
//     with the page it answered it with before, so that from its μ-th page
//     on the listing goes round a loop of any length λ, is caught within
//     3·max(μ, λ) pages.
//
// An exact set of every token seen would catch any repetition at once, but
// costs memory per page for as long as the listing runs.
type loopGuard struct {
	seed   maphash.Seed
	recent [recentTokens]uint64
	n      int // tokens added

	// Brent: tortoise is the token at the last power of two; steps counts
	// the tokens since, power is the current power of two.
	tortoise     uint64
	steps, power int
}

func newLoopGuard() *loopGuard { return &loopGuard{seed: maphash.MakeSeed(), power: 1} }

// add records token and reports whether it is new: false when the server has
// sent it before (as far as the guard can tell, see loopGuard).
func (g *loopGuard) add(token string) bool {
	h := maphash.String(g.seed, token)
	window := min(g.n, recentTokens)
	for i := range window {
		if g.recent[i] == h {
			return false
		}
	}
	if g.n > 0 && h == g.tortoise {
		return false
	}
	g.recent[g.n%recentTokens] = h
	g.n++
	g.steps++
	if g.n == 1 || g.steps == g.power {
		g.tortoise, g.steps = h, 0
		if g.n > 1 {
			g.power *= 2
		}
	}
	return true
}

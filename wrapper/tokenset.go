package wrapper

import (
	"hash/maphash"
	"slices"
)

// tokenSet remembers the page tokens of one listing, so that Keys notices a
// server that sends a token again. It keeps a 64-bit hash of each token, in
// a sorted slice, rather than the token: 8 bytes a page, so that the memory
// of a listing barely grows with its length (a set of the tokens themselves
// cost about 140 bytes a page). The hashes are seeded afresh for every
// listing; the chance that two different tokens of a listing of p pages
// collide, which would end it early with ErrRepeatedPageToken, is about
// p²/2⁶⁵: below 10⁻⁷ for a million pages.
type tokenSet struct {
	seed   maphash.Seed
	hashes []uint64 // sorted
}

func newTokenSet() *tokenSet { return &tokenSet{seed: maphash.MakeSeed()} }

// add adds token and reports whether it was not in the set yet.
func (s *tokenSet) add(token string) bool {
	h := maphash.String(s.seed, token)
	i, found := slices.BinarySearch(s.hashes, h)
	if found {
		return false
	}
	s.hashes = slices.Insert(s.hashes, i, h)
	return true
}

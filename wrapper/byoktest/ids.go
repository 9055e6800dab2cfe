package byoktest

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// idgen makes the random parts of keys: ids, uuids and account numbers.
// Seeded, it makes the same sequence every time.
type idgen struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newIDGen(seed uint64, seeded bool) *idgen {
	if !seeded {
		seed = rand.Uint64()
	}
	return &idgen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// keyID returns "cck-" and eight random lower-case letters and digits.
func (g *idgen) keyID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := []byte("cck-00000000")
	for i := 4; i < len(b); i++ {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// uuid returns a random (version 4) UUID.
func (g *idgen) uuid() string {
	g.mu.Lock()
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	g.mu.Unlock()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// digits returns n random decimal digits, the first not zero.
func (g *idgen) digits(n int) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	if n > 0 && b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

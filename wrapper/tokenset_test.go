package wrapper

import (
	"strconv"
	"testing"
)

func TestTokenSet(t *testing.T) {
	s := newTokenSet()
	const n = 5000
	for i := range n {
		if !s.add("token-" + strconv.Itoa(i)) {
			t.Fatalf("token %d reported as repeated on its first add", i)
		}
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		if s.add("token-" + strconv.Itoa(i)) {
			t.Errorf("token %d added twice reported as new", i)
		}
	}
	if s.add("") != true || s.add("") != false {
		t.Error("the empty token: want new, then repeated")
	}
	if len(s.hashes) != n+1 {
		t.Errorf("the set holds %d hashes, want %d", len(s.hashes), n+1)
	}
}

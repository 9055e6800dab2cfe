package contract

import (
	"slices"
	"strconv"
)

// Pair is one (operation, status) pair.
type Pair struct {
	OperationID string
	Status      int
}

// String returns "operationId status".
func (p Pair) String() string { return p.OperationID + " " + strconv.Itoa(p.Status) }

func (p Pair) less(q Pair) bool {
	if p.OperationID != q.OperationID {
		return p.OperationID < q.OperationID
	}
	return p.Status < q.Status
}

// Count is how often a pair was seen, and how often it was seen and found
// valid (a violation counts as seen but not valid).
type Count struct {
	Seen  int `json:"seen"`
	Valid int `json:"valid"`
}

// Missing returns the pairs of documented never seen and found valid in
// counts, in the order of documented.
func Missing(documented []Pair, counts map[Pair]Count) []Pair {
	var missing []Pair
	for _, p := range documented {
		if counts[p].Valid == 0 {
			missing = append(missing, p)
		}
	}
	return slices.Clip(missing)
}

package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteTable(t *testing.T) {
	documented := []Pair{{"getByokV1Key", 200}, {"getByokV1Key", 404}, {"getByokV1Key", 500}}
	counts := map[Pair]Count{
		{"getByokV1Key", 200}: {Seen: 12, Valid: 12},
		{"getByokV1Key", 404}: {Seen: 1, Valid: 0},
		{"getByokV1Key", 418}: {Seen: 2, Valid: 0},
	}
	var b strings.Builder
	missing, err := WriteTable(&b, documented, counts)
	require.NoError(t, err)
	assert.Equal(t, []Pair{{"getByokV1Key", 404}, {"getByokV1Key", 500}}, missing)
	assert.Equal(t, `operation        status   seen  valid
getByokV1Key        200     12     12
getByokV1Key        404      1      0  MISSING
getByokV1Key        500      0      0  MISSING
getByokV1Key        418      2      0  UNDOCUMENTED
1/3 documented (operation, status) pairs seen and valid
`, b.String())
}

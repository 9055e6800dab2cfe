package testkit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Marker returns a string no other test of the run uses, for keys created
// on a server that several tests share: the test's name in lower case and
// the time, in characters that a key ARN, an Azure key URL and a Cloud KMS
// key id all accept.
func Marker(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
}

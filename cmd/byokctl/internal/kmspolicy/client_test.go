package kmspolicy

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckSize checks the limit at its edge: 32 KiB is accepted, one byte
// more is not.
func TestCheckSize(t *testing.T) {
	if err := CheckSize(strings.Repeat("x", MaxSize)); err != nil {
		t.Errorf("a policy of %d bytes: %v", MaxSize, err)
	}
	err := CheckSize(strings.Repeat("x", MaxSize+1))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "the merged policy has 32769 bytes, and KMS accepts at most 32768") {
		t.Errorf("a policy of %d bytes: %v", MaxSize+1, err)
	}
}

// TestErrorHint checks that each error code KMS answers gets the hint that
// names what to do, and that a failed write says nothing was changed.
func TestErrorHint(t *testing.T) {
	key := Key{ARN: "arn:aws:kms:us-west-2:111122223333:key/k", Region: "us-west-2", Account: "111122223333"}
	for _, c := range []struct {
		op, code, want string
	}{
		{opGet, "AccessDeniedException", "the IAM permission kms:GetKeyPolicy"},
		{opPut, "AccessDeniedException", "the policy was not changed; the AWS credentials need the IAM permission kms:PutKeyPolicy"},
		{opGet, "NotFoundException", "credentials of the key's own account (111122223333), in its region (us-west-2)"},
		{opPut, "MalformedPolicyDocumentException", "KMS refused the merged policy"},
		{opGet, "ThrottlingException", "still throttled the request after the SDK's retries"},
		{opPut, "SomethingNewException", "SomethingNewException: m (request id r); the policy was not changed"},
	} {
		e := &Error{Op: c.op, Key: key, Code: c.code, Message: "m", RequestID: "r"}
		if !strings.Contains(e.Error(), c.want) {
			t.Errorf("%s %s: %q, want %q in it", c.op, c.code, e.Error(), c.want)
		}
	}
}

package kmspolicy

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// The operations of a Client, by the IAM permission each needs.
const (
	opGet = "kms:GetKeyPolicy"
	opPut = "kms:PutKeyPolicy"
)

// Error is an error KMS answered, or a failure to reach it. Its message
// names the operation, the key, everything KMS said (code, message,
// request id) and what to do.
type Error struct {
	// Op is the IAM action of the request: kms:GetKeyPolicy or
	// kms:PutKeyPolicy.
	Op string
	// Key is the key of the request.
	Key Key
	// Code is the error code KMS answered (AccessDeniedException, ...),
	// "" when there was no answer.
	Code string
	// Message is what KMS said, or the SDK's error.
	Message string
	// Status is the HTTP status of the answer, 0 without one.
	Status int
	// RequestID is the id KMS gave the request.
	RequestID string
	// Err is the SDK's error.
	Err error
	// noCredentials is set when the SDK found no credentials to sign
	// the request with: nothing was sent.
	noCredentials bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: ", e.Op, e.Key.ARN)
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	} else {
		b.WriteString(e.Message)
	}
	var details []string
	if e.Status != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.RequestID != "" {
		details = append(details, "request id "+e.RequestID)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// hint says what to do about the error.
func (e *Error) hint() string {
	nothing := ""
	if e.Op == opPut {
		nothing = "the policy was not changed; "
	}
	switch e.Code {
	case "AccessDeniedException":
		return nothing + fmt.Sprintf("the AWS credentials need the IAM permission %s on the key (in an IAM policy of theirs or in the key policy)", e.Op)
	case "NotFoundException":
		return nothing + fmt.Sprintf("a key policy can be read and written only with credentials of the key's own account (%s), in its region (%s): "+
			"choose them with --profile", e.Key.Account, e.Key.Region)
	case "MalformedPolicyDocumentException":
		return nothing + "KMS refused the merged policy; its message says why (a principal it does not know, or a statement that would lock the key's administrators out)"
	case "KMSInvalidStateException":
		return nothing + "the key cannot be changed in its state (pending deletion or import)"
	case "ThrottlingException", "LimitExceededException":
		return nothing + "KMS still throttled the request after the SDK's retries; run the command again in a moment"
	case "InvalidArnException":
		return nothing + "check the key ARN the key was registered with"
	}
	if e.Code == "" && e.noCredentials {
		return nothing + "the AWS SDK found no credentials: give them as to the AWS CLI " +
			"(--profile or $AWS_PROFILE, aws sso login, $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)"
	}
	if e.Code == "" {
		return nothing + "check the network, the region and --kms-endpoint (or $AWS_ENDPOINT_URL_KMS)"
	}
	return strings.TrimSuffix(nothing, "; ")
}

// classify turns an error of the SDK into an *Error.
func (c *Client) classify(op string, err error) error {
	e := &Error{Op: op, Key: c.key, Message: err.Error(), Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code, e.Message = api.ErrorCode(), api.ErrorMessage()
	}
	// The SDK says so in words only: "get identity: get credentials: ...".
	e.noCredentials = strings.Contains(err.Error(), "get identity: ")
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		e.Status, e.RequestID = resp.HTTPStatusCode(), resp.ServiceRequestID()
	}
	if e.Code == "" && e.Message == err.Error() {
		// No answer: keep the SDK's words without the operation's
		// prefix, which Error says already.
		var op *smithy.OperationError
		if errors.As(err, &op) {
			e.Message = op.Err.Error()
		}
	}
	return e
}

// RegionError is a --region other than the key ARN's.
type RegionError struct {
	Key    Key
	Region string
}

func (e *RegionError) Error() string {
	return fmt.Sprintf("the key %s is in region %s, not %s: a KMS key exists in its own region only; drop --region or give %s",
		e.Key.ARN, e.Key.Region, e.Region, e.Key.Region)
}

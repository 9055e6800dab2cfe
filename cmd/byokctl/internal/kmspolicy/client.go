// Package kmspolicy reads and writes the default key policy of an AWS KMS
// key with the AWS SDK for Go v2, for byokctl grants --check and --apply.
// It is byokctl's alone: the library (package wrapper) knows no cloud SDK.
//
// Credentials and settings come from the SDK's default chain: the
// environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_ENDPOINT_URL_KMS, ...),
// the shared config and credentials files with their profiles, SSO. The
// region is the key ARN's.
package kmspolicy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// MaxSize is the largest key policy KMS accepts, in bytes.
const MaxSize = 32 * 1024

// policyName is the name of the one policy a KMS key has.
const policyName = "default"

// Config says how to reach KMS. The zero value uses the SDK's defaults.
type Config struct {
	// Profile is the shared-config profile of the credentials; "" uses
	// the default chain's ($AWS_PROFILE, else "default").
	Profile string
	// Region is the region to call; "" is the key ARN's. Another region
	// than the key ARN's is refused: a key exists in its own region only.
	Region string
	// Endpoint is the base URL of KMS; "" is the SDK's
	// ($AWS_ENDPOINT_URL_KMS, else AWS's endpoint of the region).
	Endpoint string
	// Backoff is the pause before retry attempt n (1 is the first
	// retry) of a throttled or failed request; nil is the SDK's
	// exponential back-off with jitter.
	Backoff func(attempt int) time.Duration
}

// Client reads and writes the default policy of one KMS key.
type Client struct {
	kms *kms.Client
	key Key
}

// Key is a KMS key: its ARN and the parts of it.
type Key struct {
	ARN, Partition, Region, Account, ID string
}

// New returns a client for key. It loads the SDK's configuration (which
// reads the environment and the shared files) but sends nothing.
func New(ctx context.Context, key Key, c Config) (*Client, error) {
	if c.Region != "" && c.Region != key.Region {
		return nil, &RegionError{Key: key, Region: c.Region}
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(key.Region)}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Backoff != nil {
		backoff := c.Backoff
		opts = append(opts, config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
					return backoff(attempt), nil
				})
			})
		}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var profile config.SharedConfigProfileNotExistError
	if errors.As(err, &profile) {
		files := "the AWS shared config files"
		if len(profile.Filename) > 0 {
			files = strings.Join(profile.Filename, ", ")
		}
		return nil, fmt.Errorf("the AWS profile %q is not in %s: name one of their profiles with --profile or $AWS_PROFILE", profile.Profile, files)
	}
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	client := kms.NewFromConfig(cfg, func(o *kms.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	return &Client{kms: client, key: key}, nil
}

// Policy returns the key's default policy as KMS stores it.
func (c *Client) Policy(ctx context.Context) (string, error) {
	out, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(c.key.ARN), PolicyName: aws.String(policyName)})
	if err != nil {
		return "", c.classify(opGet, err)
	}
	if out.Policy == nil {
		return "", &Error{Op: opGet, Key: c.key, Code: "no policy", Message: "KMS answered without a policy"}
	}
	return *out.Policy, nil
}

// PutPolicy replaces the key's policy old, as Policy returned it, by
// policy. It refuses a policy over MaxSize, and reads the policy again
// first: when it is no longer old (someone changed it since), it writes
// nothing and returns an error wrapping ErrChanged. KMS has no conditional
// write, so a change in the moment between that read and the write is
// not seen.
func (c *Client) PutPolicy(ctx context.Context, old, policy string) error {
	if err := CheckSize(policy); err != nil {
		return err
	}
	now, err := c.Policy(ctx)
	if err != nil {
		return err
	}
	if now != old {
		return fmt.Errorf("the policy of %s: %w since byokctl read it; nothing was written: run the command again to merge into the new policy", c.key.ARN, ErrChanged)
	}
	_, err = c.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(c.key.ARN), PolicyName: aws.String(policyName), Policy: aws.String(policy)})
	if err != nil {
		return c.classify(opPut, err)
	}
	return nil
}

// ErrChanged is wrapped by the error of PutPolicy when the policy changed
// between its read and the write.
var ErrChanged = errors.New("someone else changed the key policy")

// ErrTooLarge is wrapped by the error of a policy over MaxSize.
var ErrTooLarge = errors.New("the key policy is over the KMS limit")

// CheckSize returns an error wrapping ErrTooLarge when policy is larger
// than KMS accepts.
func CheckSize(policy string) error {
	if len(policy) > MaxSize {
		return fmt.Errorf("%w: the merged policy has %d bytes, and KMS accepts at most %d (32 KiB); nothing was written: "+
			"shorten the policy's own statements (or move grants to IAM policies) and run the command again", ErrTooLarge, len(policy), MaxSize)
	}
	return nil
}

package byoktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/byokctl/byok/api"
)

// The key kinds (the discriminator of api.KeyDetails).
const (
	kindAWS   = string(api.AwsKeyKindAwsKey)
	kindAzure = string(api.AzureKeyKindAzureKey)
	kindGCP   = string(api.GcpKeyKindGcpKey)
)

func providerOf(kind string) api.KeyProvider {
	switch kind {
	case kindAWS:
		return api.KeyProviderAWS
	case kindAzure:
		return api.KeyProviderAzure
	case kindGCP:
		return api.KeyProviderGCP
	}
	return ""
}

// known reports whether kind is one of the kinds the fake knows.
func known(kind string) bool { return providerOf(kind) != "" }

func materialName(kind string) string {
	if kind == kindAWS {
		return "key_arn"
	}
	return "key_id"
}

// material returns the kind and the identifying material of d. A kind the
// fake does not know has no material.
func material(d api.KeyDetails) (kind, mat string, err error) {
	kind, err = d.Discriminator()
	if err != nil {
		return "", "", fmt.Errorf("reading the key's kind: %w", err)
	}
	if kind == "" {
		return "", "", errors.New("the key has no kind")
	}
	switch kind {
	case kindAWS:
		k, err := d.AsAwsKey()
		return kind, k.KeyARN, err
	case kindAzure:
		k, err := d.AsAzureKey()
		return kind, k.KeyID, err
	case kindGCP:
		k, err := d.AsGcpKey()
		return kind, k.KeyID, err
	}
	return kind, "", nil
}

// fillDetails returns d with the read-only fields the server fills (roles,
// application_id, security_group) set where they are missing.
func (s *Server) fillDetails(d api.KeyDetails, id string) (api.KeyDetails, error) {
	var (
		out api.KeyDetails
		v   any
	)
	kind, err := d.Discriminator()
	if err != nil {
		return out, fmt.Errorf("reading the key's kind: %w", err)
	}
	switch kind {
	case kindAWS:
		k, err := d.AsAwsKey()
		if err != nil {
			return out, err
		}
		if len(k.Roles) == 0 {
			k.Roles = []string{"arn:aws:iam::" + s.awsAccount + ":role/cc-byok-" + id}
		}
		k.Kind = api.AwsKeyKindAwsKey
		v = k
	case kindAzure:
		k, err := d.AsAzureKey()
		if err != nil {
			return out, err
		}
		if k.ApplicationID == "" {
			k.ApplicationID = s.ids.uuid()
		}
		k.Kind = api.AzureKeyKindAzureKey
		v = k
	case kindGCP:
		k, err := d.AsGcpKey()
		if err != nil {
			return out, err
		}
		if k.SecurityGroup == "" {
			k.SecurityGroup = "cc-byok-" + id + "@groups.byoktest.invalid"
		}
		k.Kind = api.GcpKeyKindGcpKey
		v = k
	default:
		// A kind the fake does not know is kept as given.
		return cloneDetails(d), nil
	}
	// Marshalled directly (the variant carries its kind) rather than through
	// FromAwsKey & co., which merge JSON and are slow for bulk seeding.
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	return out, out.UnmarshalJSON(b)
}

// cloneDetails returns a KeyDetails that shares no memory with d.
func cloneDetails(d api.KeyDetails) api.KeyDetails {
	var out api.KeyDetails
	b, err := d.MarshalJSON()
	if err == nil {
		_ = out.UnmarshalJSON(b)
	}
	return out
}

// keyURL returns the absolute URL of key id on base.
func keyURL(base, id string) string { return base + itemPrefix + id }

// wireTime is t as the API writes timestamps: in UTC, to the second.
func wireTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// render turns a record into the API's Key as seen at now.
func (s *Server) render(r *record, base string, now time.Time) api.Key {
	v := s.cfg.validation.view(r, now)
	k := api.Key{
		APIVersion: api.KeyAPIVersionByokV1,
		Kind:       api.KeyKindKey,
		ID:         r.id,
		// Timestamps are shown as the API shows them: UTC, whole seconds.
		Metadata: api.ObjectMeta{
			Self:         keyURL(base, r.id),
			ResourceName: "crn://confluent.cloud/organization=" + s.org + "/key=" + r.id,
			CreatedAt:    wireTime(r.createdAt),
			UpdatedAt:    wireTime(r.updatedAt),
		},
		Key:        r.details,
		Provider:   r.providerName(),
		State:      r.state,
		Validation: api.KeyValidation{Phase: v.phase, Message: v.message, Region: v.region, Since: wireTime(v.since)},
	}
	if r.displayName != nil {
		k.DisplayName = *r.displayName
	}
	return k
}

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

func providerOf(kind string) string {
	switch kind {
	case kindAWS:
		return ProviderAWS
	case kindAzure:
		return ProviderAzure
	case kindGCP:
		return ProviderGCP
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
		return kind, k.KeyArn, err
	case kindAzure:
		k, err := d.AsAzureKey()
		return kind, k.KeyId, err
	case kindGCP:
		k, err := d.AsGcpKey()
		return kind, k.KeyId, err
	}
	return kind, "", nil
}

// fillDetails returns d with the read-only fields the server fills (roles,
// application_id, security_group) set where they are missing.
func (h *Server) fillDetails(d api.KeyDetails, id string) (api.KeyDetails, error) {
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
			k.Roles = []string{"arn:aws:iam::" + h.awsAccount + ":role/cc-byok-" + id}
		}
		k.Kind = api.AwsKeyKindAwsKey
		v = k
	case kindAzure:
		k, err := d.AsAzureKey()
		if err != nil {
			return out, err
		}
		if k.ApplicationId == nil {
			app := h.ids.uuid()
			k.ApplicationId = &app
		}
		k.Kind = api.AzureKeyKindAzureKey
		v = k
	case kindGCP:
		k, err := d.AsGcpKey()
		if err != nil {
			return out, err
		}
		if k.SecurityGroup == nil {
			g := "cc-byok-" + id + "@groups.byoktest.invalid"
			k.SecurityGroup = &g
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
func (h *Server) render(r *record, base string, now time.Time) api.Key {
	apiVersion, kind := api.KeyApiVersionByokv1, api.KeyKindKey
	id, provider, state := r.id, r.providerName(), r.state
	self := keyURL(base, r.id)
	crn := "crn://confluent.cloud/organization=" + h.org + "/key=" + r.id
	// Timestamps are shown as the API shows them: UTC, whole seconds.
	created, updated := wireTime(r.createdAt), wireTime(r.updatedAt)
	v := h.cfg.validation.view(r, now)
	val := &api.KeyValidation{Phase: v.phase, Since: wireTime(v.since)}
	if v.message != "" {
		val.Message = &v.message
	}
	if v.region != "" {
		val.Region = &v.region
	}
	return api.Key{
		ApiVersion:  &apiVersion,
		Kind:        &kind,
		Id:          &id,
		Metadata:    &api.ObjectMeta{Self: &self, ResourceName: &crn, CreatedAt: &created, UpdatedAt: &updated},
		DisplayName: r.displayName,
		Key:         r.details,
		Provider:    &provider,
		State:       &state,
		Validation:  val,
	}
}

package wrapper

// This file is the one place where the generated models of package api
// (generated from openapi/byok-v1.yaml) meet the public types. Answers are
// decoded into the generated models and mapped to the public types here;
// request bodies are built here as generated request types. When the spec
// gains a property, convert_test.go fails until the property is mapped below
// or listed in unmappedProperties.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// unmappedProperties lists the properties of the generated models that have
// no field in the public types, as "Type.Field". Key.Raw keeps those of a
// key as the server sent them.
func unmappedProperties() []string {
	return []string{
		"Key.ApiVersion",     // always "byok/v1"
		"Key.Kind",           // always "Key"
		"KeyList.ApiVersion", // always "byok/v1"
		"KeyList.Kind",       // always "KeyList"
		"ListMeta.First",     // listings page forward only
		"ListMeta.Last",
		"ListMeta.Prev",
		"AwsKey.Kind",   // the Go type of Key.Material
		"AzureKey.Kind", //
		"GcpKey.Kind",   //
	}
}

// keyJSON is a key as decoded: the generated api.Key, whose "key" oneOf is
// decoded in the same pass into the generated variants (keyVariants).
type keyJSON struct {
	api.Key
	// Details shadows api.Key.Key, an api.KeyDetails, which would keep the
	// raw object to be decoded a second time.
	Details *keyVariants `json:"key"`
}

// keyVariants decodes the "key" oneOf into every generated variant at once;
// its kind then picks one. encoding/json ignores a property that two
// embedded variants share, so those (kind, key_id) are decoded here, at the
// top, where they take precedence. (The variants are embedded as pointers,
// which encoding/json allocates only for a variant whose own properties
// appear.)
type keyVariants struct {
	Kind  string `json:"kind"`
	KeyID string `json:"key_id"`
	*api.AwsKey
	*api.AzureKey
	*api.GcpKey
}

// decodeKey decodes one key; b also becomes Key.Raw.
func decodeKey(b []byte) (Key, error) {
	var k keyJSON
	if err := json.Unmarshal(b, &k); err != nil {
		return Key{}, describeJSONError(err)
	}
	return keyFromAPI(&k, b)
}

// keyFromAPI maps a decoded key to a Key.
func keyFromAPI(k *keyJSON, raw []byte) (Key, error) {
	key := Key{
		ID:          deref(k.Id),
		DisplayName: deref(k.DisplayName),
		Provider:    Provider(deref(k.Provider)),
		State:       State(deref(k.State)),
		Raw:         raw,
	}
	if v := k.Validation; v != nil {
		key.Validation = Validation{Phase: Phase(v.Phase), Message: deref(v.Message), Since: v.Since, Region: deref(v.Region)}
	}
	if m := k.Metadata; m != nil {
		key.Metadata = Metadata{
			Self:         deref(m.Self),
			ResourceName: deref(m.ResourceName),
			CreatedAt:    deref(m.CreatedAt),
			UpdatedAt:    deref(m.UpdatedAt),
			DeletedAt:    deref(m.DeletedAt),
		}
	}
	v := k.Details
	if v == nil {
		return key, errors.New(`the key has no "key" object (the cloud-specific details); expected one with a "kind"`)
	}
	switch v.Kind {
	case string(api.AwsKeyKindAwsKey):
		a := deref(v.AwsKey)
		key.Material = AWSKey{KeyARN: a.KeyArn, Roles: a.Roles}
	case string(api.AzureKeyKindAzureKey):
		a := deref(v.AzureKey)
		key.Material = AzureKey{KeyID: v.KeyID, KeyVaultID: a.KeyVaultId, TenantID: a.TenantId, ApplicationID: deref(a.ApplicationId)}
	case string(api.GcpKeyKindGcpKey):
		a := deref(v.GcpKey)
		key.Material = GCPKey{KeyID: v.KeyID, SecurityGroup: deref(a.SecurityGroup)}
	case "":
		return key, errors.New(`the "key" object has no "kind"`)
	default:
		// A kind this version does not know: the "key" object is read a
		// second time, to keep it as it came.
		var obj struct {
			Key json.RawMessage `json:"key"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return key, describeJSONError(err)
		}
		key.Material = UnknownKey{Raw: obj.Key}
	}
	return key, nil
}

// keyToAPI maps a Key to the generated model, for Key.MarshalJSON of a Key
// without Raw.
func keyToAPI(k Key) (api.Key, error) {
	out := api.Key{
		Id:          optional(k.ID),
		DisplayName: optional(k.DisplayName),
		Provider:    optional(string(k.Provider)),
		State:       optional(string(k.State)),
	}
	if k.Validation != (Validation{}) {
		v := k.Validation
		out.Validation = &api.KeyValidation{Phase: string(v.Phase), Message: optional(v.Message), Since: v.Since, Region: optional(v.Region)}
	}
	if k.Metadata != (Metadata{}) {
		m := k.Metadata
		out.Metadata = &api.ObjectMeta{
			Self:         optional(m.Self),
			ResourceName: optional(m.ResourceName),
			CreatedAt:    optionalTime(m.CreatedAt),
			UpdatedAt:    optionalTime(m.UpdatedAt),
			DeletedAt:    optionalTime(m.DeletedAt),
		}
	}
	if k.Material != nil {
		d, err := detailsToAPI(k.Material, true)
		if err != nil {
			return api.Key{}, err
		}
		out.Key = d
	}
	return out, nil
}

// createToAPI builds the body of a create request. Read-only fields are not
// sent; a required field that is empty (as the generated variant says: a
// field without omitempty) is an error.
func createToAPI(r CreateKeyRequest) (api.CreateByokV1KeyJSONRequestBody, error) {
	if r.Key == nil {
		return api.Key{}, errors.New("CreateKeyRequest.Key is nil; expected an AWSKey, AzureKey or GCPKey")
	}
	d, err := detailsToAPI(r.Key, false)
	if err != nil {
		return api.Key{}, fmt.Errorf("CreateKeyRequest.Key: %w", err)
	}
	return api.CreateByokV1KeyJSONRequestBody{DisplayName: optional(r.DisplayName), Key: d}, nil
}

// updateToAPI builds the body of an update request.
func updateToAPI(r UpdateKeyRequest) api.UpdateByokV1KeyJSONRequestBody {
	return api.UpdateByokV1KeyJSONRequestBody{DisplayName: &r.DisplayName}
}

// detailsToAPI builds the "key" oneOf of m. The fields the server sets
// (AWSKey.Roles, AzureKey.ApplicationID, GCPKey.SecurityGroup) are included
// only when readOnly is true; for a request they are left out and the
// required fields are checked.
func detailsToAPI(m KeyMaterial, readOnly bool) (api.KeyDetails, error) {
	var d api.KeyDetails
	m, err := materialValue(m)
	if err != nil {
		return d, err
	}
	var variant any
	switch v := m.(type) {
	case AWSKey:
		a := api.AwsKey{Kind: api.AwsKeyKindAwsKey, KeyArn: v.KeyARN}
		if readOnly {
			a.Roles = v.Roles
		}
		variant, err = a, d.FromAwsKey(a)
	case AzureKey:
		a := api.AzureKey{Kind: api.AzureKeyKindAzureKey, KeyId: v.KeyID, KeyVaultId: v.KeyVaultID, TenantId: v.TenantID}
		if readOnly {
			a.ApplicationId = optional(v.ApplicationID)
		}
		variant, err = a, d.FromAzureKey(a)
	case GCPKey:
		a := api.GcpKey{Kind: api.GcpKeyKindGcpKey, KeyId: v.KeyID}
		if readOnly {
			a.SecurityGroup = optional(v.SecurityGroup)
		}
		variant, err = a, d.FromGcpKey(a)
	case UnknownKey:
		if !readOnly {
			return d, fmt.Errorf("keys of kind %q cannot be created with this version of the library; expected an AWSKey, AzureKey or GCPKey", v.Kind())
		}
		if len(v.Raw) > 0 {
			err = d.UnmarshalJSON(v.Raw)
		}
		return d, err
	default:
		return d, fmt.Errorf("key material of type %T is not one of AWSKey, AzureKey, GCPKey, UnknownKey", m)
	}
	if err != nil {
		return d, err
	}
	if !readOnly {
		if missing := missingRequired(variant); len(missing) > 0 {
			return d, fmt.Errorf("%s: %s is empty; the API requires it", strings.TrimPrefix(fmt.Sprintf("%T", m), "wrapper."), strings.Join(missing, " and "))
		}
	}
	return d, nil
}

// missingRequired returns the JSON names of the required properties of v, a
// generated struct, that are empty. The generated code marks a property the
// spec requires by a field that is neither a pointer nor omitempty.
func missingRequired(v any) []string {
	var missing []string
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || strings.Contains(opts, "omitempty") || f.Type.Kind() == reflect.Pointer {
			continue
		}
		if rv.Field(i).IsZero() {
			missing = append(missing, name)
		}
	}
	return missing
}

// decodePage decodes a KeyList body. The keys are decoded one by one into
// the generated model, each from its own bytes of the body, which become its
// Raw; a key that cannot be decoded becomes a *KeyDecodeError and the others
// are kept. One pass over the body: json.Decoder reads each key's bytes and
// decodes them.
//
// A body without "data" is an error, not an empty page: the API requires
// the member, and a listing that took its absence for "no keys" would end
// early in silence. So is "data": null on a page with a next link. On the
// last page, "data": null reads as no keys (as a server may write an empty
// list); nothing comes after it that could be lost.
func decodePage(body []byte) (*KeyPage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var meta api.ListMeta
	page := &KeyPage{}
	var hasData, nullData bool
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		// Member names match as encoding/json matches them, without
		// regard to case.
		name, _ := t.(string)
		switch {
		case strings.EqualFold(name, "data"):
			hasData = true
			if nullData, err = decodeItems(dec, body, page); err != nil {
				return nil, err
			}
		case strings.EqualFold(name, "metadata"):
			if meta, err = decodeListMeta(dec); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, json.Unmarshal(body, new(struct{})) // the syntax error of the trailing bytes
	}
	if err := pageFromAPI(meta, page); err != nil {
		return nil, err
	}
	switch {
	case !hasData:
		return nil, errors.New(`the page has no "data" member; expected an array of keys`)
	case nullData && page.NextPageToken != "":
		return nil, errors.New(`"data" is null on a page with a next link; expected an array of keys`)
	}
	return page, nil
}

// decodeItems decodes the "data" array of a page into page; null reports a
// null "data". A "data" member sent twice counts once, the last one, as
// encoding/json reads it.
func decodeItems(dec *json.Decoder, body []byte, page *KeyPage) (null bool, err error) {
	page.Keys, page.DecodeErrors = nil, nil
	t, err := dec.Token()
	if err != nil || t == nil {
		return err == nil, err
	}
	if t != json.Delim('[') {
		return false, fmt.Errorf(`"data" is %s, expected an array of keys`, tokenKind(t))
	}
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		var k keyJSON
		err := dec.Decode(&k)
		raw := bytes.TrimLeft(body[start:dec.InputOffset()], ", \t\r\n")
		raw = raw[:len(raw):len(raw)]
		var key Key
		if err == nil {
			key, err = keyFromAPI(&k, raw)
		} else if isSyntaxError(err) {
			return false, err
		} else {
			err = describeJSONError(err)
		}
		if err != nil {
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			page.DecodeErrors = append(page.DecodeErrors, &KeyDecodeError{Index: i, ID: id.ID, Err: err})
			continue
		}
		page.Keys = append(page.Keys, key)
	}
	return false, expectDelim(dec, ']')
}

// decodeListMeta decodes a page's metadata. total_size is informational: a
// value that is not an integer is ignored, not an error.
func decodeListMeta(dec *json.Decoder) (api.ListMeta, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return api.ListMeta{}, err
	}
	var m api.ListMeta
	err := json.Unmarshal(raw, &m)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field == "total_size" {
		var lenient struct {
			api.ListMeta
			TotalSize json.RawMessage `json:"total_size"`
		}
		err = json.Unmarshal(raw, &lenient)
		m = lenient.ListMeta
	}
	if err != nil {
		return api.ListMeta{}, fmt.Errorf("metadata: %w", describeJSONError(err))
	}
	return m, nil
}

// pageFromAPI maps the paging metadata of a page: the next page token is the
// page_token of the "next" link.
func pageFromAPI(m api.ListMeta, page *KeyPage) error {
	if m.TotalSize != nil {
		page.TotalSize = int(*m.TotalSize)
	}
	next := deref(m.Next)
	if next == "" {
		return nil
	}
	u, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("metadata.next %q is not a URL: %w", next, err)
	}
	page.NextPageToken = u.Query().Get("page_token")
	if page.NextPageToken == "" {
		return fmt.Errorf("metadata.next %q has no page_token", next)
	}
	return nil
}

// decodeFailure decodes the error details of a Failure body. A field of an
// odd type loses that field alone (decoding goes on past it), not the
// details; it returns none for a body that is not a Failure with errors.
func decodeFailure(body []byte) []ErrorDetail {
	var f api.Failure
	err := json.Unmarshal(body, &f)
	var typeErr *json.UnmarshalTypeError
	if (err != nil && !errors.As(err, &typeErr)) || len(f.Errors) == 0 {
		return nil
	}
	details := make([]ErrorDetail, len(f.Errors))
	for i, e := range f.Errors {
		details[i] = ErrorDetail{
			ID:        deref(e.Id),
			Status:    deref(e.Status),
			Code:      deref(e.Code),
			Title:     deref(e.Title),
			Detail:    deref(e.Detail),
			ErrorCode: int(deref(e.ErrorCode)),
			Message:   deref(e.Message),
		}
		if s := e.Source; s != nil {
			details[i].Source = ErrorSource{Pointer: deref(s.Pointer), Parameter: deref(s.Parameter)}
		}
	}
	return details
}

// listParams maps the options of a listing to the generated parameters.
func listParams(o ListKeysOptions) *api.ListByokV1KeysParams {
	size := int32(o.PageSize)
	if size == 0 {
		size = MaxPageSize
	}
	return &api.ListByokV1KeysParams{
		DisplayName:      optional(o.DisplayName),
		Provider:         optional(string(o.Provider)),
		State:            optional(string(o.State)),
		ValidationPhase:  optional(string(o.ValidationPhase)),
		ValidationRegion: optional(o.ValidationRegion),
		Key:              optional(o.Key),
		PageSize:         &size,
		PageToken:        optional(o.PageToken),
	}
}

// expectDelim reads the next token, which must be want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("expected %q in the JSON, found %s", want, tokenKind(t))
	}
	return nil
}

// tokenKind describes a JSON token without quoting the server's text, which
// may be long or hold a terminal's control characters.
func tokenKind(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return strconv.Quote(t.String())
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// isSyntaxError reports whether err says the bytes are not JSON (mangled,
// or cut short).
func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// describeJSONError turns a decoding error into one that says where the JSON
// went wrong, in the JSON's terms.
func describeJSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := jsonPath(typeErr.Field)
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("field %s: got a JSON %s, expected %s", field, typeErr.Value, jsonKind(typeErr.Type))
	}
	return err
}

// jsonPath returns the JSON path of an UnmarshalTypeError's Field, which
// names an embedded struct on the way by its Go type ("Key.id",
// "key.AwsKey.roles"), a level the JSON does not have.
func jsonPath(field string) string {
	var embedded []string
	for _, t := range []reflect.Type{reflect.TypeFor[keyJSON](), reflect.TypeFor[keyVariants]()} {
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous {
				embedded = append(embedded, f.Name)
			}
		}
	}
	embedded = append(embedded, reflect.TypeFor[api.ListMeta]().Name()) // decodeListMeta's lenient read
	parts := slices.DeleteFunc(strings.Split(field, "."), func(p string) bool { return slices.Contains(embedded, p) })
	return strings.Join(parts, ".")
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "a time (an RFC 3339 string)"
		}
		return "an object"
	case reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// optional returns nil for the empty string, else a pointer to s.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

package main

import (
	"fmt"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// keyRef is what matches a key on the server with an entry of a keys file:
// its provider and its cloud identifier (the key ARN, or the key id),
// normalised: an Azure key id without its version, its host in lower case
// (as create sends it); a GCP key id without its version (create sends
// what it is given: a key registered by one of its versions is the key).
type keyRef struct {
	provider wrapper.Provider
	id       string
}

// refOf returns the reference of key material; ok is false for a kind
// byokctl does not know.
func refOf(m wrapper.KeyMaterial) (ref keyRef, ok bool) {
	switch m := m.(type) {
	case wrapper.AWSKey:
		return keyRef{wrapper.ProviderAWS, m.KeyARN}, true
	case wrapper.AzureKey:
		return keyRef{wrapper.ProviderAzure, refID(m.KeyID)}, true
	case wrapper.GCPKey:
		return keyRef{wrapper.ProviderGCP, refID(m.KeyID)}, true
	}
	return keyRef{}, false
}

// refID returns a key ARN or key id as a reference holds it: an Azure key
// id without its version, its host in lower case; a GCP key id without its
// version; any other as it is.
func refID(id string) string {
	if versionless, _, err := normalizeAzureKeyID(id); err == nil {
		return versionless
	}
	if n, ok := parseGCPKeyID(id); ok {
		return n.cryptoKey()
	}
	return id
}

// What the plan says of one key. The values are those of the "action" field
// of -o json.
const (
	// actCreate: in the file, not on the server.
	actCreate = "create"
	// actRename: the display name on the server differs from the file's.
	actRename = "rename"
	// actInSync: on the server as the file says.
	actInSync = "in-sync"
	// actExtra: on the server, not in the file.
	actExtra = "extra"
	// actInvalid: as the file says, but its validation is INVALID.
	actInvalid = "invalid"
	// actDuplicate: two or more keys on the server share this identifier;
	// none of them is touched.
	actDuplicate = "duplicate"
	// actUnknownKind: a key of a kind byokctl does not know; never touched.
	actUnknownKind = "unknown-kind"
	// actUnreadable: a key of the listing that could not be decoded; never
	// touched.
	actUnreadable = "unreadable"
)

// planItem is one line of the plan: one key, in the file, on the server or
// both. Its JSON field names are stable.
type planItem struct {
	Action string `json:"action"`
	// ID is the key's id on the server; empty for a key to create.
	ID string `json:"id,omitempty"`
	// Provider is AWS, Azure or GCP (or what the server says for a kind
	// byokctl does not know).
	Provider string `json:"provider,omitempty"`
	// Key is the key ARN or key id.
	Key string `json:"key,omitempty"`
	// DisplayName is the display name the file asks for.
	DisplayName string `json:"display_name,omitempty"`
	// ServerDisplayName is the display name on the server.
	ServerDisplayName string `json:"server_display_name,omitempty"`
	// ValidationPhase is the key's validation phase on the server.
	ValidationPhase string `json:"validation_phase,omitempty"`
	// Message is the server's validation message of an invalid key, or why
	// a key is not touched.
	Message string `json:"message,omitempty"`
	// Line is where the key's entry starts in the file; 0 when it is not in
	// the file.
	Line int `json:"line,omitempty"`

	entry *keyEntry    // the file's entry, when the key is in the file
	key   *wrapper.Key // the key on the server, when it is there
}

// serverKeys are the keys of one listing.
type serverKeys struct {
	keys []wrapper.Key
	// unreadable are the keys that could not be decoded.
	unreadable []*wrapper.KeyDecodeError
}

// plan is what it takes to make the server hold the keys of a file.
type plan struct {
	File  string // the keys file, as named on the command line
	Items []planItem
}

// makePlan compares the file's entries with the server's keys. The plan
// lists the entries in the file's order, then the keys that are on the
// server only, in the server's order.
func makePlan(kf *keysFile, server serverKeys) plan {
	byRef := map[keyRef][]*wrapper.Key{}
	// A key of a kind byokctl does not know may still carry the identifier
	// of an entry (a newer server naming a kind anew): that entry is not
	// created a second time beside it.
	unknownByID := map[string][]*wrapper.Key{}
	for i := range server.keys {
		k := &server.keys[i]
		if ref, ok := refOf(k.Material); ok {
			byRef[ref] = append(byRef[ref], k)
		} else if id := refID(k.Identifier()); id != "" {
			unknownByID[id] = append(unknownByID[id], k)
		}
	}
	claimed := map[*wrapper.Key]bool{} // the unknown keys an entry matched
	p := plan{File: kf.name, Items: []planItem{}}
	inFile := map[keyRef]bool{}
	for i := range kf.entries {
		e := &kf.entries[i]
		ref := e.ref()
		inFile[ref] = true
		matches := byRef[ref]
		switch {
		case len(matches) == 0 && len(unknownByID[ref.id]) > 0:
			for _, k := range unknownByID[ref.id] {
				item := unknownKindItem(k)
				item.Message = fmt.Sprintf("a key of kind %s, which byokctl does not know, has this identifier; "+
					"nothing is created for this entry, and the key is never touched", k.Material.Kind())
				item.DisplayName, item.Line, item.entry = e.displayName, e.line, e
				p.Items = append(p.Items, item)
				claimed[k] = true
			}
		case len(matches) == 0:
			p.Items = append(p.Items, planItem{Action: actCreate, Provider: string(ref.provider), Key: wrapper.Key{Material: e.material}.Identifier(),
				DisplayName: e.displayName, Line: e.line, entry: e})
		case len(matches) == 1:
			item := serverItem(matches[0], actInSync)
			item.DisplayName, item.Line, item.entry = e.displayName, e.line, e
			switch {
			case e.displayName != "" && e.displayName != matches[0].DisplayName:
				item.Action = actRename
			case matches[0].Validation.Phase == wrapper.PhaseInvalid:
				item.Action = actInvalid
			}
			p.Items = append(p.Items, item)
		default:
			for _, k := range matches {
				item := duplicateItem(k, matches)
				item.DisplayName, item.Line, item.entry = e.displayName, e.line, e
				p.Items = append(p.Items, item)
			}
		}
	}
	for i := range server.keys {
		k := &server.keys[i]
		ref, known := refOf(k.Material)
		switch {
		case !known && claimed[k]:
		case !known:
			p.Items = append(p.Items, unknownKindItem(k))
		case inFile[ref]:
		case len(byRef[ref]) > 1:
			p.Items = append(p.Items, duplicateItem(k, byRef[ref]))
		default:
			p.Items = append(p.Items, serverItem(k, actExtra))
		}
	}
	for _, bad := range server.unreadable {
		p.Items = append(p.Items, planItem{Action: actUnreadable, ID: bad.ID,
			Message: "could not be decoded, never touched: " + fmt.Sprint(bad.Err)})
	}
	return p
}

// serverItem describes key k.
func serverItem(k *wrapper.Key, action string) planItem {
	item := planItem{Action: action, ID: k.ID, Provider: string(k.Provider), Key: k.Identifier(),
		ServerDisplayName: k.DisplayName, ValidationPhase: string(k.Validation.Phase), key: k}
	if ref, ok := refOf(k.Material); ok {
		item.Provider = string(ref.provider)
	}
	if k.Validation.Phase == wrapper.PhaseInvalid {
		item.Message = k.Validation.Message
	}
	return item
}

// unknownKindItem describes key k, of a kind byokctl does not know.
func unknownKindItem(k *wrapper.Key) planItem {
	item := serverItem(k, actUnknownKind)
	item.Message = fmt.Sprintf("a key of kind %s, which byokctl does not know; never touched", k.Material.Kind())
	return item
}

// duplicateItem describes key k, one of the keys all that share one
// identifier.
func duplicateItem(k *wrapper.Key, all []*wrapper.Key) planItem {
	ids := make([]string, len(all))
	for i, m := range all {
		ids[i] = m.ID
	}
	item := serverItem(k, actDuplicate)
	item.Message = fmt.Sprintf("%d keys share this identifier (%s); none is touched, delete the surplus with byokctl delete",
		len(all), strings.Join(ids, ", "))
	return item
}

// drift counts the items that make the server differ from the file, by
// action: all but the keys in sync and those byokctl never touches.
func (p plan) drift() map[string]int {
	n := map[string]int{}
	for _, item := range p.Items {
		switch item.Action {
		case actInSync, actUnknownKind, actUnreadable:
		default:
			n[item.Action]++
		}
	}
	return n
}

// Package health decides which keys of an organisation are unhealthy: the
// rules of byokctl check. It sends no request and matches nothing itself:
// the command lists the keys and matches the keys file's entries with them
// (by byokctl's matching rules), and Evaluate applies the rules to what it
// is given.
//
// A key is unhealthy when any of these holds:
//   - its validation is INVALID (Confluent Cloud lost access to it);
//   - it has been INITIALIZING for InitializingFor or longer;
//   - it could not be decoded, so its health cannot be told;
//   - with a keys file, another key on the server shares its identifier
//     with it and an entry of the file;
//   - with the policies of the keys read in their cloud (byokctl check
//     --cloud), its policy does not grant Confluent Cloud every action it
//     needs: the key turns INVALID for that, later.
//
// An entry of the keys file that matches no key on the server is a problem
// of its own. A key whose policy could not be read is not unhealthy for
// that: its health is unknown, the check of it could not be made. Grants
// beyond what Confluent Cloud needs are the command's warnings, not a
// problem: they take no access away.
package health

import (
	"fmt"
	"strings"
	"time"

	"github.com/byokctl/byok/wrapper"
)

// Status is whether a key is healthy; the values of the "status" field.
type Status string

// The statuses.
const (
	Healthy   Status = "healthy"
	Unhealthy Status = "unhealthy"
	// Unknown: the key has no problem as far as it could be checked, but
	// a check of it could not be made (its policy could not be read).
	Unknown Status = "unknown"
)

// Problem names one reason a key is unhealthy; the values of the
// "problems" field.
type Problem string

// The problems.
const (
	// Invalid: the key's validation is INVALID.
	Invalid Problem = "invalid"
	// InitializingTooLong: the key has been INITIALIZING for
	// Input.InitializingFor or longer.
	InitializingTooLong Problem = "initializing-too-long"
	// Missing: an entry of the keys file matches no key on the server.
	Missing Problem = "missing"
	// Duplicate: several keys on the server share the identifier of an
	// entry of the keys file.
	Duplicate Problem = "duplicate"
	// Unreadable: the key could not be decoded.
	Unreadable Problem = "unreadable"
	// PolicyMissingGrants: the key's policy in its cloud does not grant
	// Confluent Cloud's principals every action they need.
	PolicyMissingGrants Problem = "policy-missing-grants"
)

// Policy is what a check of a key's policy in its cloud found: the actions
// it does not grant, or why it could not be read.
type Policy struct {
	// Missing are the actions Confluent Cloud's principals need that the
	// policy does not grant them, such as kms:Encrypt; none when it grants
	// them all.
	Missing []string
	// Err says why the policy could not be read; nil when it was.
	Err error
}

// Entry is an entry of a keys file, with the keys on the server it matches.
type Entry struct {
	// Line is where the entry starts in the file.
	Line int
	// Provider and Key are the entry's provider and key ARN or key id.
	Provider, Key string
	// DisplayName is the entry's display name, "" when it has none.
	DisplayName string
	// IDs are the ids of the keys on the server the entry matches.
	IDs []string
}

// Input is what Evaluate judges.
type Input struct {
	// Keys are the keys on the server, in the listing's order.
	Keys []wrapper.Key
	// Undecodable are the keys of the listing that could not be decoded.
	Undecodable []*wrapper.KeyDecodeError
	// File names the keys file, "" when there is none; Entries are its
	// entries.
	File    string
	Entries []Entry
	// Now is the time of the check.
	Now time.Time
	// InitializingFor is how long a key may stay INITIALIZING; zero or
	// less means for ever.
	InitializingFor time.Duration
	// Policies are the policies of keys in their cloud, by key id; a key
	// without one is judged by what the server says alone.
	Policies map[string]Policy
}

// Result is the health of one key, or of an entry of the keys file that
// matches no key. Its JSON field names are stable.
type Result struct {
	// ID is the key's id; empty for an entry missing on the server.
	ID string `json:"id,omitempty"`
	// Provider is AWS, Azure or GCP (or what a newer server says).
	Provider string `json:"provider,omitempty"`
	// Key is the key ARN or key id.
	Key string `json:"key,omitempty"`
	// DisplayName is the display name on the server, or the file's for an
	// entry missing on the server.
	DisplayName string `json:"display_name,omitempty"`
	// ValidationPhase is the key's validation phase.
	ValidationPhase string `json:"validation_phase,omitempty"`
	// Since is when the key entered its phase.
	Since *time.Time `json:"since,omitempty"`
	// Line is where the key's entry starts in the keys file; 0 when it is
	// not in the file.
	Line int `json:"line,omitempty"`
	// Status is healthy, unhealthy, or unknown (only when a check in the
	// key's cloud could not be made).
	Status Status `json:"status"`
	// Problems says why the key is unhealthy; empty when it is healthy.
	Problems []Problem `json:"problems"`
	// Reason says in words why, or what is going on for a healthy key
	// that is not VALID, and why its health is unknown; "" for a VALID key
	// checked in full.
	Reason string `json:"reason"`

	// unknown says why a check of the key could not be made, "" when
	// every check was.
	unknown string
}

// Evaluate returns the health of every key of in, in the listing's order,
// then of the entries missing on the server, in the file's order, then of
// the keys that could not be decoded.
func Evaluate(in Input) []Result {
	lines := map[string]int{}       // the file line of each matched key
	shared := map[string][]string{} // the ids sharing an entry with a key
	var missing []Entry
	for _, e := range in.Entries {
		if len(e.IDs) == 0 {
			missing = append(missing, e)
		}
		for _, id := range e.IDs {
			lines[id] = e.Line
			if len(e.IDs) > 1 {
				shared[id] = e.IDs
			}
		}
	}
	out := make([]Result, 0, len(in.Keys)+len(missing)+len(in.Undecodable))
	for _, k := range in.Keys {
		r := keyResult(k, in)
		r.Line = lines[k.ID]
		if ids := shared[k.ID]; ids != nil {
			r.add(Duplicate, fmt.Sprintf("%d keys share the identifier of %s:%d (%s)", len(ids), in.File, r.Line, strings.Join(ids, ", ")))
		}
		out = append(out, r.done())
	}
	for _, e := range missing {
		r := Result{Provider: e.Provider, Key: e.Key, DisplayName: e.DisplayName, Line: e.Line}
		r.add(Missing, fmt.Sprintf("listed in %s:%d, not on the server", in.File, e.Line))
		out = append(out, r.done())
	}
	for _, bad := range in.Undecodable {
		r := Result{ID: bad.ID}
		r.add(Unreadable, fmt.Sprintf("could not be decoded, so its health is unknown: %v", bad.Err))
		out = append(out, r.done())
	}
	return out
}

// keyResult applies the rules of one key's validation.
func keyResult(k wrapper.Key, in Input) Result {
	r := Result{ID: k.ID, Provider: string(k.Provider), Key: k.Identifier(), DisplayName: k.DisplayName,
		ValidationPhase: string(k.Validation.Phase)}
	since := k.Validation.Since
	if since.IsZero() && k.Validation.Phase == wrapper.PhaseInitializing {
		since = k.Metadata.CreatedAt // a new key initializes from its creation
	}
	if !since.IsZero() {
		r.Since = &since
	}
	switch k.Validation.Phase {
	case wrapper.PhaseInvalid:
		msg := k.Validation.Message
		if msg == "" {
			msg = "the server gives no reason"
		}
		r.add(Invalid, "INVALID: "+msg)
	case wrapper.PhaseInitializing:
		switch age := in.Now.Sub(since); {
		case since.IsZero():
			r.Reason = "INITIALIZING since a time the server does not say"
		case in.InitializingFor > 0 && age >= in.InitializingFor:
			r.add(InitializingTooLong, fmt.Sprintf("INITIALIZING for %s, longer than %s", roundAge(age), in.InitializingFor))
		default:
			r.Reason = fmt.Sprintf("INITIALIZING for %s", roundAge(age))
		}
	case wrapper.PhaseValid:
	default:
		r.Reason = fmt.Sprintf("validation phase %s, which byokctl does not know", k.Validation.Phase)
	}
	if p, ok := in.Policies[k.ID]; ok {
		switch {
		case p.Err != nil:
			r.unknown = fmt.Sprintf("its policy could not be read, so whether it grants what Confluent Cloud needs is unknown: %v", p.Err)
		case len(p.Missing) > 0:
			r.add(PolicyMissingGrants, fmt.Sprintf("its policy does not grant Confluent Cloud %s; the key turns INVALID without them",
				strings.Join(p.Missing, ", ")))
		}
	}
	return r
}

// add records problem p, said as reason.
func (r *Result) add(p Problem, reason string) {
	r.Problems = append(r.Problems, p)
	if r.Problems[0] != p { // a second problem
		r.Reason += "; " + reason
		return
	}
	r.Reason = reason
}

// done sets the status from the problems and from the checks that could
// not be made, and says why of the latter last.
func (r Result) done() Result {
	if r.unknown != "" {
		if r.Reason != "" {
			r.Reason += "; "
		}
		r.Reason += r.unknown
	}
	switch {
	case len(r.Problems) > 0:
		r.Status = Unhealthy
	case r.unknown != "":
		r.Status, r.Problems = Unknown, []Problem{}
	default:
		r.Status, r.Problems = Healthy, []Problem{}
	}
	return r
}

// roundAge rounds a duration for a message: to the second, and to the
// minute from an hour.
func roundAge(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// Count returns how many of results have status s.
func Count(results []Result, s Status) int {
	n := 0
	for _, r := range results {
		if r.Status == s {
			n++
		}
	}
	return n
}

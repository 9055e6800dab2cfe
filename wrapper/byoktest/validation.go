package byoktest

import (
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// Validation says when a new key's validation completes: once the key has
// been read Reads times (GETs of that key) and Delay has passed since its
// creation on the injected clock. Both zero means at creation. Listing does
// not count as a read.
type Validation struct {
	// Reads is the number of GETs of the key after which its validation
	// completes; the Reads-th GET already shows the completed validation.
	Reads int
	// Delay is the time after creation, on the injected clock, before which
	// the validation does not complete.
	Delay time.Duration
	// AzureRegion is the validation.region of valid Azure keys (the key's
	// URL does not name a region). Empty means "eastus".
	AzureRegion string
}

// validationView is a key's validation as seen at one instant.
type validationView struct {
	phase           api.KeyValidationPhase
	message, region string
	since           time.Time
}

// override is a validation set by SetValidation (or a seeded key).
type override struct {
	phase   api.KeyValidationPhase
	message string
	since   time.Time
}

// view computes r's validation at now.
func (v Validation) view(r *record, now time.Time) validationView {
	if o := r.override; o != nil {
		out := validationView{phase: o.phase, message: o.message, since: o.since}
		if o.phase == api.KeyValidationPhaseVALID {
			out.region = v.region(r)
		}
		return out
	}
	done, ok := v.completion(r)
	if !ok || now.Before(done) {
		return validationView{phase: api.KeyValidationPhaseINITIALIZING, since: r.createdAt}
	}
	if msg := r.invalidMessage; msg != "" {
		return validationView{phase: api.KeyValidationPhaseINVALID, message: msg, since: done}
	}
	region := v.region(r)
	if region == "" {
		return validationView{phase: api.KeyValidationPhaseINVALID, message: "The region of the key cannot be determined from " + materialName(r.kind) + ".", since: done}
	}
	return validationView{phase: api.KeyValidationPhaseVALID, region: region, since: done}
}

// completion returns when r's validation completes, if the reads it needs
// have happened.
func (v Validation) completion(r *record) (time.Time, bool) {
	done := r.createdAt.Add(v.Delay)
	if v.Reads > 0 {
		if r.reads < v.Reads {
			return time.Time{}, false
		}
		if r.readsDoneAt.After(done) {
			done = r.readsDoneAt
		}
	}
	return done, true
}

// timeDependent reports whether a key's phase can change by the clock alone.
func (v Validation) timeDependent() bool { return v.Delay > 0 }

// region derives the cloud region of r's key.
func (v Validation) region(r *record) string {
	switch r.kind {
	case kindAWS:
		return awsRegion(r.material)
	case kindGCP:
		return gcpRegion(r.material)
	case kindAzure:
		if v.AzureRegion != "" {
			return v.AzureRegion
		}
		return "eastus"
	}
	return ""
}

// awsRegion returns the region field of an ARN such as
// arn:aws:kms:us-west-2:111122223333:key/1234.
func awsRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "kms" {
		return ""
	}
	return parts[3]
}

// gcpRegion returns the segment after "locations" in a key name such as
// projects/p/locations/us-central1/keyRings/r/cryptoKeys/k.
func gcpRegion(name string) string {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "locations" {
			return parts[i+1]
		}
	}
	return ""
}

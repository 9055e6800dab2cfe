package wrapper

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The baseline: encoding/json into a flat, hand-written struct with the same
// fields, the least any decoder of this page must do.
type flatPage struct {
	APIVersion string `json:"api_version"`
	Kind       string `json:"kind"`
	Metadata   struct {
		First     string `json:"first"`
		Next      string `json:"next"`
		TotalSize int    `json:"total_size"`
	} `json:"metadata"`
	Data []flatKey `json:"data"`
}

type flatKey struct {
	APIVersion string `json:"api_version"`
	Kind       string `json:"kind"`
	ID         string `json:"id"`
	Metadata   struct {
		Self         string    `json:"self"`
		ResourceName string    `json:"resource_name"`
		CreatedAt    time.Time `json:"created_at"`
		UpdatedAt    time.Time `json:"updated_at"`
		DeletedAt    time.Time `json:"deleted_at"`
	} `json:"metadata"`
	DisplayName string `json:"display_name"`
	Key         struct {
		Kind          string   `json:"kind"`
		KeyARN        string   `json:"key_arn"`
		Roles         []string `json:"roles"`
		KeyID         string   `json:"key_id"`
		KeyVaultID    string   `json:"key_vault_id"`
		TenantID      string   `json:"tenant_id"`
		ApplicationID string   `json:"application_id"`
		SecurityGroup string   `json:"security_group"`
	} `json:"key"`
	Provider   string `json:"provider"`
	State      string `json:"state"`
	Validation struct {
		Phase   string    `json:"phase"`
		Message string    `json:"message"`
		Since   time.Time `json:"since"`
		Region  string    `json:"region"`
	} `json:"validation"`
}

func benchPage(b *testing.B) []byte {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "page-100.json"))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeKeyPage decodes the 100-key page into []Key, as ListKeys
// does.
func BenchmarkDecodeKeyPage(b *testing.B) {
	body := benchPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		page, err := decodePage(body)
		if err != nil || len(page.DecodeErrors) != 0 || len(page.Keys) != 100 || page.NextPageToken == "" {
			b.Fatal(err, page)
		}
	}
	cpu.report(b)
}

// BenchmarkDecodeKeyPageStdlib is the baseline of BenchmarkDecodeKeyPage.
func BenchmarkDecodeKeyPageStdlib(b *testing.B) {
	body := benchPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		var page flatPage
		if err := json.Unmarshal(body, &page); err != nil || len(page.Data) != 100 {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

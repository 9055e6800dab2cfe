package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/byokctl/byok/internal/testkit"
)

// AWS credentials of the tests: recognisable, so that every run can check
// that the secret is never printed.
const (
	testAWSKeyID  = "AKIDBYOKTEST0000"
	testAWSSecret = "aws-s3cret-MUST-NOT-BE-PRINTED-4b1d"
)

// awsTestEnv sets the AWS environment of a test: its credentials, no
// shared files, no instance metadata, and endpoint as $AWS_ENDPOINT_URL_KMS
// ("" for none). The SDK reads the process environment: tests that call it
// cannot run in parallel.
func awsTestEnv(t *testing.T, endpoint string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for name, value := range map[string]string{
		"AWS_ACCESS_KEY_ID":           testAWSKeyID,
		"AWS_SECRET_ACCESS_KEY":       testAWSSecret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_KMS":        endpoint,
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
	} {
		t.Setenv(name, value)
	}
}

// localKMSBin returns the local-kms binary (make localkms builds it),
// or skips the test when it is missing and $BYOK_REQUIRE_LOCALKMS is unset
// (make check sets it: CI never skips).
func localKMSBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("BYOK_LOCALKMS_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "bin", "local-kms")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("BYOK_REQUIRE_LOCALKMS") != "" {
			t.Fatalf("the KMS emulator is missing (%v), and BYOK_REQUIRE_LOCALKMS is set: run make localkms", err)
		}
		t.Skipf("the KMS emulator is missing (%v): make localkms builds it (make check does)", err)
	}
	return bin
}

// startLocalKMS starts local-kms on loopback for keys of account and
// region, and returns its URL. It is stopped when the test ends.
func startLocalKMS(t *testing.T, account, region string) string {
	t.Helper()
	cmd := exec.Command(localKMSBin(t))
	cmd.Env = append(os.Environ(), "KMS_DATA_PATH="+t.TempDir(), "KMS_ACCOUNT_ID="+account, "KMS_REGION="+region)
	var logs testkit.SyncBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("local-kms log:\n%s", logs.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Fatalf("local-kms says %q, want listening on 127.0.0.1:PORT", a)
		}
		return "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatal("local-kms did not start within 20s")
		return ""
	}
}

// kmsClient returns an SDK client of the KMS at endpoint, for the tests'
// own calls (creating keys, reading the policy byokctl wrote).
func kmsClient(endpoint, region string) *kms.Client {
	return kms.New(kms.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(testAWSKeyID, testAWSSecret, ""),
	})
}

// keyPolicy returns the policy of key at the KMS of c.
func keyPolicy(t *testing.T, c *kms.Client, key string) string {
	t.Helper()
	out, err := c.GetKeyPolicy(t.Context(), &kms.GetKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy)
}

// createKMSKey creates a key with policy at the KMS of c and returns its
// ARN.
func createKMSKey(t *testing.T, c *kms.Client, policy string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// kmsCall is one request a stub KMS received.
type kmsCall struct {
	op   string         // the operation: GetKeyPolicy, PutKeyPolicy
	body map[string]any // the request's JSON
}

// kmsAnswer is a stub KMS's answer: a status and a JSON body.
type kmsAnswer struct {
	status int
	body   string
}

// kmsError is the answer of a KMS error code.
func kmsError(status int, code, message string) kmsAnswer {
	b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	return kmsAnswer{status, string(b)}
}

// kmsPolicy is the answer of a GetKeyPolicy.
func kmsPolicy(policy string) kmsAnswer {
	b, _ := json.Marshal(map[string]string{"Policy": policy, "PolicyName": "default"})
	return kmsAnswer{http.StatusOK, string(b)}
}

// stubKMS is a loopback server speaking the KMS JSON protocol for the
// failures local-kms cannot produce. answer gives the answer to the n-th
// call (from 0) of each operation; it records every call.
type stubKMS struct {
	url    string
	mu     sync.Mutex
	calls  []kmsCall
	answer func(c kmsCall, n int) kmsAnswer
}

func newStubKMS(t *testing.T, answer func(op string, n int) kmsAnswer) *stubKMS {
	t.Helper()
	return newStubKMSFor(t, func(c kmsCall, n int) kmsAnswer { return answer(c.op, n) })
}

// newStubKMSFor is newStubKMS with answers that depend on the request
// (the key it names).
func newStubKMSFor(t *testing.T, answer func(c kmsCall, n int) kmsAnswer) *stubKMS {
	t.Helper()
	s := &stubKMS{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
		var body map[string]any
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
		s.mu.Lock()
		n := 0
		for _, c := range s.calls {
			if c.op == op {
				n++
			}
		}
		s.calls = append(s.calls, kmsCall{op, body})
		s.mu.Unlock()
		a := s.answer(kmsCall{op, body}, n)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "req-"+op+"-"+string(rune('0'+n)))
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// count returns the number of calls of op, of every operation for "".
func (s *stubKMS) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if op == "" || c.op == op {
			n++
		}
	}
	return n
}

// assertNoAWSSecret fails the test when the AWS test secret was printed.
func assertNoAWSSecret(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, testAWSSecret) {
		t.Errorf("the AWS secret was printed:\n%s", r.transcript())
	}
}

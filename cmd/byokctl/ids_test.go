package main

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// lyingServer is a fake that answers a GET or a PATCH of key mine with the
// key victim as it stands (without changing it), as a server mixing up its
// keys, or one in an attacker's hands, could. It records every request
// byokctl sent, before the lie.
type lyingServer struct {
	mu       sync.Mutex
	mine     string
	victim   string
	requests []string // "METHOD /path", as sent
}

// middleware is the lie, for byoktest.WithMiddleware.
func (l *lyingServer) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.requests = append(l.requests, r.Method+" "+r.URL.EscapedPath())
		mine, victim := l.mine, l.victim
		l.mu.Unlock()
		if victim != "" && r.URL.Path == "/byok/v1/keys/"+mine && (r.Method == http.MethodGet || r.Method == http.MethodPatch) {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
			r.URL.Path, r.URL.RawPath = "/byok/v1/keys/"+victim, ""
			r.Body, r.ContentLength = http.NoBody, 0
			r.Header.Del("Content-Type")
		}
		next.ServeHTTP(w, r)
	})
}

// lie makes the server answer for mine with victim, and forgets the
// requests so far.
func (l *lyingServer) lie(mine, victim string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mine, l.victim, l.requests = mine, victim, nil
}

// naming returns the requests sent so far whose path names key id.
func (l *lyingServer) naming(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.requests {
		if strings.HasSuffix(r, "/byok/v1/keys/"+id) {
			out = append(out, r)
		}
	}
	return out
}

// TestCommandsActOnTheKeyAskedFor checks that a server answering for key
// mine with another key (the victim) makes delete, update, get, wait and
// grants fail with a message that says so, print nothing on stdout and send
// nothing about the victim. Before, delete sent DELETE for the victim, and
// grants printed (and --policy merged) the victim's statements.
func TestCommandsActOnTheKeyAskedFor(t *testing.T) {
	for name, args := range map[string][]string{
		"delete":          {"delete", "MINE", "--force"},
		"update":          {"update", "MINE", "--display-name", "renamed"},
		"get":             {"get", "MINE"},
		"wait":            {"wait", "MINE"},
		"grants":          {"grants", "MINE"},
		"grants --policy": {"grants", "MINE", "--policy", "POLICY"},
	} {
		t.Run(name, func(t *testing.T) {
			var lying lyingServer
			f := newFixture(t, byoktest.WithMiddleware(lying.middleware))
			victim, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
			mine, _ := createdKey(t, f, "aws", "--key-arn", strings.Replace(exampleARN, "1234abcd-", "5678abcd-", 1))
			policy := filepath.Join(t.TempDir(), "policy.json")
			writeFile(t, policy, `{"Version": "2012-10-17", "Statement": []}`)
			args = slices.Clone(args)
			for i, a := range args {
				args[i] = strings.NewReplacer("MINE", mine, "POLICY", policy).Replace(a)
			}

			lying.lie(mine, victim)
			r := f.run(args...)
			expect(t, r, exitFailure)
			want := "the answer is about key " + victim + ", not " + mine
			if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "(request id byoktest-") {
				t.Errorf("stderr %q does not say %q with the request id", r.stderr, want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if sent := lying.naming(victim); len(sent) > 0 {
				t.Errorf("byokctl %s sent %q", name, sent)
			}
			if k, ok := f.srv.Key(victim); !ok || k.DisplayName != nil && *k.DisplayName == "renamed" {
				t.Errorf("byokctl %s changed the victim: %v", name, k)
			}
			if _, ok := f.srv.Key(mine); !ok {
				t.Errorf("byokctl %s deleted %s after a wrong answer", name, mine)
			}
		})
	}
}

// TestCreateAnswerWithoutID checks that a create answered with a key
// without an id fails, says that the key may have been created, and gives
// the command that looks for it; before, it printed a key without id and
// "byokctl grants ”".
func TestCreateAnswerWithoutID(t *testing.T) {
	f, env := fixtureAnswering(t, `{"api_version":"byok/v1","kind":"Key","key":{"kind":"AwsKey","key_arn":"`+exampleARN+`","roles":["arn:aws:iam::1:role/r"]},"provider":"AWS","state":"AVAILABLE","validation":{"phase":"INITIALIZING"}}`)
	r := f.runEnv(env, "create", "aws", "--key-arn", exampleARN)
	expect(t, r, exitFailure)
	for _, want := range []string{"create key: outcome unknown", "answer has no key id; expected one such as cck-12345",
		"list the keys before creating it again: byokctl list --key " + exampleARN + "\n"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not say %q", r.stderr, want)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

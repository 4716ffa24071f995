package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// waitMetric waits until the process's /metrics has the sample line
// (name, labels and value), reading it again every 10 ms for at most 20 s.
func waitMetric(t *testing.T, p *proc, line string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := body(t, p.addr["admin"]+"/metrics")
		if strings.Contains(m, "\n"+line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metric sample %q:\n%s", line, m)
		}
		time.Sleep(10 * time.Millisecond) // polling the child's state, not waiting for a timer
	}
}

// hasMetric reports whether the process's /metrics has the sample line.
func hasMetric(t *testing.T, p *proc, line string) bool {
	t.Helper()
	return strings.Contains(body(t, p.addr["admin"]+"/metrics"), "\n"+line+"\n")
}

// wantStatus asks GET /me with tok and checks the status; a 401 for a
// revoked token says so in its challenge.
func wantStatus(t *testing.T, p *proc, tok string, want int, why string) {
	t.Helper()
	resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil)
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", why, resp.StatusCode, want)
	}
	if want == 401 && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error_description="revoked"`) {
		t.Errorf("%s: challenge %q, want error_description=\"revoked\"", why, resp.Header.Get("WWW-Authenticate"))
	}
}

// postRevocation sends POST /revocations to p's admin listener.
func postRevocation(t *testing.T, p *proc, secret, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", p.addr["admin"]+revocationsPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// line is a deny list line revoking value of kind for a day.
func line(kind revocation.Kind, value string) string {
	return revocation.Entry{Kind: kind, Value: value, Expires: revocation.ExpiresFor(time.Now())}.String() + "\n"
}

// TestRevocationOnSIGHUP: a token verifies (and is cached); the file gets
// its jti and a SIGHUP; the same token is refused 401 revoked, counted. A
// broken file on the next SIGHUP keeps the list held.
func TestRevocationOnSIGHUP(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "revocation:\n  file: revoked.jsonl\n  poll_interval: 0s\n")
	file := filepath.Join(filepath.Dir(cfg), "revoked.jsonl")
	os.WriteFile(file, []byte("# nothing revoked\n"), 0o600)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	alice := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithClaim("jti", "jti-alice"))
	bob := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithClaim("jti", "jti-bob"))
	wantStatus(t, p, alice, 200, "before")
	waitLog(t, p, "deny list loaded")

	writeRenamed(t, file, "# alice signed out\n"+line(revocation.JTI, "jti-alice"))
	if hasMetric(t, p, `cognito_gate_revocation_entries{list="file"} 1`) {
		t.Fatal("loaded before the SIGHUP (poll_interval 0s)")
	}
	p.signal(t, syscall.SIGHUP)
	waitLog(t, p, "revocation reloaded")
	wantStatus(t, p, alice, 401, "after the SIGHUP (a cached token)")
	wantStatus(t, p, bob, 200, "another token")
	for _, m := range []string{
		`cognito_gate_requests_total{reason="revoked",result="denied"} 1`,
		`cognito_gate_revocation_entries{list="file"} 1`,
		`cognito_gate_revocation_loads_total{result="loaded"} 2`,
		`cognito_gate_revocation_last_load_success 1`,
	} {
		waitMetric(t, p, m)
	}

	// A broken file keeps the list held.
	writeRenamed(t, file, line(revocation.JTI, "jti-alice")+"not json\n"+line(revocation.JTI, "jti-bob"))
	p.signal(t, syscall.SIGHUP)
	waitLog(t, p, "revocation reload failed; keeping the entries held")
	if !strings.Contains(p.stderr.String(), "revoked.jsonl:2: not a JSON object") {
		t.Errorf("the log does not name the line:\n%s", p.stderr.String())
	}
	wantStatus(t, p, alice, 401, "after a broken file")
	wantStatus(t, p, bob, 200, "an entry of the broken file")
	waitMetric(t, p, `cognito_gate_revocation_loads_total{result="refused"} 1`)
	waitMetric(t, p, `cognito_gate_revocation_last_load_success 0`)
	waitMetric(t, p, `cognito_gate_requests_total{reason="revoked",result="denied"} 2`)
}

// TestRevocationSharedFile: two gates read one file. An entry added on
// one's admin endpoint is in force there at once and, through the poll,
// on the other; so are an edit of the file and `cognito-gate revoke`.
func TestRevocationSharedFile(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	shared := filepath.Join(t.TempDir(), "revoked.jsonl")
	os.WriteFile(shared, nil, 0o600)
	cfgA := writeConfig(t, pool, up.URL, e2ePolicy, "revocation:\n  file: "+shared+"\n  poll_interval: 100ms\n  admin_token_file: admin.token\n")
	os.WriteFile(filepath.Join(filepath.Dir(cfgA), "admin.token"), []byte(testAdminSecret+"\n"), 0o600)
	cfgB := writeConfig(t, pool, up.URL, e2ePolicy, "revocation:\n  file: "+shared+"\n  poll_interval: 100ms\n")
	a := start(t, []string{"proxy", "admin"}, "serve", "--config", cfgA)
	b := start(t, []string{"proxy", "admin"}, "serve", "--config", cfgB)

	signIn := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithClaim("origin_jti", "sign-in-1"))
	for _, p := range []*proc{a, b} {
		wantStatus(t, p, signIn, 200, "before")
	}

	// The admin endpoint: refused without the secret, then added.
	if code, _ := postRevocation(t, a, "wrong-"+testAdminSecret, `{"origin_jti":"sign-in-1"}`); code != 401 {
		t.Fatalf("a wrong secret: %d", code)
	}
	if code, _ := postRevocation(t, b, testAdminSecret, `{"origin_jti":"sign-in-1"}`); code != 404 {
		t.Fatalf("a gate without admin_token_file: %d, want 404", code)
	}
	code, ans := postRevocation(t, a, testAdminSecret, `{"origin_jti":"sign-in-1","note":"RevokeToken, ticket 4711"}`)
	if code != 201 || !strings.Contains(ans, `"scope":"file"`) || !strings.Contains(ans, `"line":1`) {
		t.Fatalf("POST: %d %s", code, ans)
	}
	wantStatus(t, a, signIn, 401, "on the gate that added it, at once")
	waitMetric(t, b, `cognito_gate_revocation_entries{list="file"} 1`)
	wantStatus(t, b, signIn, 401, "on the other gate, after its poll")
	waitMetric(t, a, `cognito_gate_revocation_admin_requests_total{result="unauthorized"} 1`)
	waitMetric(t, a, `cognito_gate_revocation_admin_requests_total{result="file"} 1`)
	waitLog(t, a, "revocation added")

	// An edit of the file: a global sign-out of bob, whose later sign-in
	// passes.
	early := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithSubject("sub-bob"), cognitotest.WithIssuedAt(time.Now().Add(-10*time.Minute)))
	late := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithSubject("sub-bob"))
	wantStatus(t, b, early, 200, "bob before his sign-out")
	signOut := revocation.Entry{Kind: revocation.Subject, Value: "sub-bob", IssuedBefore: time.Now().Add(-5 * time.Minute).Truncate(time.Second),
		Expires: revocation.ExpiresFor(time.Now())}.String()
	writeRenamed(t, shared, readFile(t, shared)+signOut+"\n")
	for _, p := range []*proc{a, b} {
		waitMetric(t, p, `cognito_gate_revocation_entries{list="file"} 2`)
		wantStatus(t, p, early, 401, "bob's sign-in before the watermark")
		wantStatus(t, p, late, 200, "bob's sign-in after it")
	}
	waitLog(t, b, "revocation file changed; loaded")

	// The revoke subcommand.
	carol := pool.AccessToken(cognitotest.WithUsername("carol"))
	wantStatus(t, b, carol, 200, "carol before")
	if err := runBinary(t, "revoke", "--config", cfgB, "--username", "carol", "--note", "disabled"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if err := runBinary(t, "revoke", "--config", cfgB, "--username", "dave", "--expires", "25h"); err == nil {
		t.Fatal("revoke accepted an entry beyond the bound")
	} else if code := err.(*exec.ExitError).ExitCode(); code != 1 {
		t.Fatalf("revoke beyond the bound: exit %d, want 1", code)
	}
	for _, p := range []*proc{a, b} {
		waitMetric(t, p, `cognito_gate_revocation_entries{list="file"} 3`)
		wantStatus(t, p, carol, 401, "carol after revoke")
	}

	// A broken file seen by the poll is refused; the entries stay.
	writeRenamed(t, shared, readFile(t, shared)+"{\"jti\":\"x\"}\n")
	waitLog(t, b, "revocation file refused; keeping the entries held")
	waitMetric(t, b, `cognito_gate_revocation_last_load_success 0`)
	wantStatus(t, b, carol, 401, "carol after a broken file")
	if code, ans := postRevocation(t, a, testAdminSecret, `{"jti":"y"}`); code != 409 || !strings.Contains(ans, "revoked.jsonl:4: expires: required") {
		t.Errorf("POST onto a broken file: %d %s", code, ans)
	}
	for _, p := range []*proc{a, b} {
		if strings.Contains(p.stderr.String(), testAdminSecret) {
			t.Error("the admin secret is in the logs")
		}
	}
}

// TestRevocationStartUpRefusesBrokenFile: a gate never serves without the
// deny list its configuration names.
func TestRevocationStartUpRefusesBrokenFile(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	for name, text := range map[string]string{
		"bad line": line(revocation.JTI, "a") + "{\"jti\":\"b\",\"expires\":\"2099-01-01T00:00:00Z\"}\n",
		"missing":  "",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := writeConfig(t, pool, up.URL, e2ePolicy, "revocation:\n  file: revoked.jsonl\n")
			if text != "" {
				os.WriteFile(filepath.Join(filepath.Dir(cfg), "revoked.jsonl"), []byte(text), 0o600)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, binary, "serve", "--config", cfg).CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			want := "revoked.jsonl:2: expires: 2099-01-01T00:00:00Z is"
			if text == "" {
				want = "revoked.jsonl: cannot read"
			}
			if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) || strings.Contains(string(out), "listening") {
				t.Errorf("serve: %v\n%s\nwant exit 1 with %q", err, out, want)
			}
		})
	}
}

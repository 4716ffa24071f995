package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestReloadAssertionKeys reloads an instance in process, on an injected
// clock, through the three steps of a fleet's rotation and what can go
// wrong around them: each reload re-reads key_files; the key that signed
// stays published for retain after it stopped, whatever the files say,
// and is withdrawn then; a broken key file or a new retain changes
// nothing; generate_key makes one key and keeps it across reloads; with
// the section removed the key set is not served, and its keys are kept
// for when it comes back.
func TestReloadAssertionKeys(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	dir := t.TempDir()
	k1, k2 := writeAssertionKey(t, dir, "k1"), writeAssertionKey(t, dir, "k2")
	os.WriteFile(filepath.Join(dir, "garbage.pem"), []byte("garbage\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(e2ePolicy), 0o600)
	path := filepath.Join(dir, "gate.yaml")
	write := func(section string) {
		t.Helper()
		text := reloadConfigText(up.URL, "forward_authorization: false\nlog:\n  level: error\n", pool)
		text = strings.Replace(text, "log:\n  level: debug\n", "", 1) + section
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(files ...string) string { return assertionYAML(files) }

	write("")
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := newInstance(cfg, commandServe, "proxy", (*gate).proxyHandler, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.close)
	clock := time.Now()
	in.assertionKeys.now = func() time.Time { return clock }

	// published returns the kids the admin listener serves (nil for a
	// 404).
	published := func() []string {
		t.Helper()
		rec := httptest.NewRecorder()
		in.current().admin.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		switch rec.Code {
		case http.StatusNotFound:
			return nil
		case http.StatusOK:
			return kidsOf(t, rec.Body.Bytes())
		}
		t.Fatalf("the key set: %d %s", rec.Code, rec.Body)
		return nil
	}
	// signer returns the kid of the assertion a request through the
	// current generation carries, after verifying it under the published
	// key set as an upstream would.
	tok := pool.AccessToken()
	signer := func() string {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		in.current().main.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("GET /me: %d %s", rec.Code, rec.Body)
		}
		jrec := httptest.NewRecorder()
		in.current().admin.ServeHTTP(jrec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		v, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: testAssertionIssuer, Audience: testAssertionAudience, JWKS: jrec.Body.Bytes(),
			Now: func() time.Time { return clock }, Binding: assertion.Binding{HostHeader: "X-Forwarded-Host"}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		last := up.last(t).WithContext(t.Context())
		got, err := v.VerifyRequest(last, last.Header.Get(defaultAssertionHeader))
		if err != nil {
			t.Fatalf("the upstream refuses the assertion (%s): %v", claims.ReasonOf(err), err)
		}
		return got.KeyID
	}
	reload := func(section string) {
		t.Helper()
		write(section)
		in.reload(t.Context())
	}
	want := func(step string, signing string, kids ...string) {
		t.Helper()
		if got := published(); !slices.Equal(got, kids) {
			t.Errorf("%s: published %q, want %q", step, got, kids)
		}
		if signing != "" {
			if got := signer(); got != signing {
				t.Errorf("%s: signed by %s, want %s", step, got, signing)
			}
		}
	}

	want("no assertion section", "")
	reload(keys("k1.pem"))
	want("turned on", k1.kid, k1.kid)
	reload(keys("k1.pem", "k2.pub"))
	want("step 1, the next key published", k1.kid, k1.kid, k2.kid)
	reload(keys("k2.pem", "k1.pem"))
	want("step 2, the next key signs", k2.kid, k2.kid, k1.kid)
	reload(keys("k2.pem"))
	want("step 3, withdrawn from the files", k2.kid, k2.kid, k1.kid)
	clock = clock.Add(assertion.DefaultRetain - time.Second)
	want("step 3, just before retain", "", k2.kid, k1.kid)
	clock = clock.Add(2 * time.Second)
	want("step 3, after retain", k2.kid, k2.kid)

	gen := in.current()
	for _, bad := range []string{keys("k2.pem", "garbage.pem"), keys("k2.pem") + "  retain: 100s\n", keys("k1.pub")} {
		reload(bad)
		if in.current() != gen {
			t.Errorf("a reload with %q was applied", bad)
		}
		want("after a refused reload", k2.kid, k2.kid)
	}

	generate := strings.Replace(keys(), "key_files: []", "generate_key: true", 1)
	reload(generate)
	made := signer()
	want("generate_key", made, made, k2.kid)
	reload(generate)
	want("generate_key, reloaded", made, made, k2.kid)

	reload("")
	want("section removed", "")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	in.current().main.ServeHTTP(rec, req)
	if a := up.last(t).Header.Get(defaultAssertionHeader); rec.Code != 200 || a != "" {
		t.Errorf("without the section: %d, assertion %q", rec.Code, a)
	}
	reload(keys("k1.pem"))
	want("back on, the generated key and k2 still retained", k1.kid, k1.kid, made, k2.kid)
}

// TestAssertionRotationWithTraffic rotates the running binary's key
// through the three steps with SIGHUP while requests flow, every one
// verified by the upstream with the key set it fetches from the admin
// listener: no request fails, a broken key file on the way changes
// nothing, and both keys signed. The upstream's key fetch cooldown is
// short here: it stands for the wait of step 1 (the upstream's refresh
// interval), after which every upstream holds the next key.
func TestAssertionRotationWithTraffic(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	var verifier atomic.Pointer[assertion.Verifier]
	var mu sync.Mutex
	signedBy := map[string]int{}
	var refused []string
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		tok, err := verifier.Load().VerifyRequest(r, r.Header.Get(defaultAssertionHeader))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			refused = append(refused, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		signedBy[tok.KeyID]++
	})
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "forward_authorization: false\n"+assertionYAML([]string{"k1.pem"}))
	dir := filepath.Dir(cfg)
	k1, k2 := writeAssertionKey(t, dir, "k1"), writeAssertionKey(t, dir, "k2")
	os.WriteFile(filepath.Join(dir, "garbage.pem"), []byte("garbage\n"), 0o600)
	text, _ := os.ReadFile(cfg)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	jwksURL := p.addr["admin"] + "/.well-known/jwks.json"
	verifier.Store(upstreamVerifier(t, p.addr["admin"], "", jwks.Config{Cooldown: time.Millisecond, MaxBackoff: time.Millisecond}))

	tok := pool.AccessToken()
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", p.addr["proxy"]+"/me", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
				sent.Add(1)
			}
		}()
	}
	// flowing waits until more requests went through since the last step.
	flowing := func() {
		t.Helper()
		n := sent.Load()
		deadline := time.Now().Add(10 * time.Second)
		for sent.Load() < n+50 {
			if time.Now().After(deadline) {
				t.Fatal("no traffic")
			}
			time.Sleep(5 * time.Millisecond) // polling the load goroutines' counter
		}
	}
	step := func(log string, files ...string) {
		t.Helper()
		next := strings.Replace(string(text), "key_files: [k1.pem]", "key_files: ["+strings.Join(files, ", ")+"]", 1)
		if err := os.WriteFile(cfg, []byte(next), 0o600); err != nil {
			t.Fatal(err)
		}
		p.signal(t, syscall.SIGHUP)
		waitLog(t, p, log)
		flowing()
	}

	flowing()
	wantKIDs(t, jwksURL, k1.kid)
	step("configuration reloaded", "k1.pem", "k2.pub")
	wantKIDs(t, jwksURL, k1.kid, k2.kid)
	step("reload failed", "k1.pem", "garbage.pem")
	wantKIDs(t, jwksURL, k1.kid, k2.kid)
	step("configuration reloaded", "k2.pem", "k1.pem")
	wantKIDs(t, jwksURL, k2.kid, k1.kid)
	step("configuration reloaded", "k2.pem")
	wantKIDs(t, jwksURL, k2.kid, k1.kid) // k1 signed: published for retain more
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if failed.Load() > 0 || len(refused) > 0 {
		t.Errorf("%d of %d requests failed; the upstream refused %d assertions: %q", failed.Load(), sent.Load(), len(refused), refused[:min(len(refused), 3)])
	}
	if signedBy[k1.kid] == 0 || signedBy[k2.kid] == 0 {
		t.Errorf("assertions verified by kid: %v; want both keys", signedBy)
	}
	t.Logf("%d requests, by kid %v", sent.Load(), signedBy)
}

// TestAssertionKeyFilesWatched: with reload.watch, a key file replaced in
// place (as a Kubernetes secret volume swaps it) reloads the
// configuration without a signal; the new key signs, the old one stays
// published.
func TestAssertionKeyFilesWatched(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "http://127.0.0.1:1", e2ePolicy, "reload:\n  watch: true\n  poll_interval: 100ms\n"+assertionYAML([]string{"signing.pem"}))
	dir := filepath.Dir(cfg)
	k1, k2 := writeAssertionKey(t, dir, "k1"), writeAssertionKey(t, dir, "k2")
	link := func(k testAssertionKey) {
		t.Helper()
		data, err := os.ReadFile(k.private)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "signing.pem.new"), data, 0o600)
		}
		if err == nil {
			err = os.Rename(filepath.Join(dir, "signing.pem.new"), filepath.Join(dir, "signing.pem"))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	link(k1)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	jwksURL := p.addr["admin"] + "/.well-known/jwks.json"
	wantKIDs(t, jwksURL, k1.kid)
	link(k2)
	waitLog(t, p, "configuration reloaded")
	wantKIDs(t, jwksURL, k2.kid, k1.kid)
}

package main

// The cognito-local end-to-end test: tokens from a real sign-in flow of a
// user pool emulator we do not control, checked through the real binary.
// docs/compatibility.md records what it found.
//
// It runs when COGNITO_LOCAL_DIR names the folder where cognito-local is
// installed (scripts/cognito-local, after scripts/cognito-local/install.sh)
// and skips otherwise, so that go test ./... passes offline.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// clPackage finds the cognito-local package under COGNITO_LOCAL_DIR (the
// install folder, or the package folder itself), or skips the test.
func clPackage(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("COGNITO_LOCAL_DIR")
	if dir == "" && os.Getenv("CI") != "" {
		t.Fatal("COGNITO_LOCAL_DIR is not set in CI; .ci/run installs cognito-local and sets it")
	}
	if dir == "" {
		t.Skip("COGNITO_LOCAL_DIR is not set: skipping the cognito-local end-to-end test " +
			"(run scripts/cognito-local/install.sh, then COGNITO_LOCAL_DIR=$PWD/scripts/cognito-local; .ci/run does both)")
	}
	// go test runs in the package folder: a relative path is taken from
	// cmd/cognito-gate, so use an absolute one.
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{filepath.Join(dir, "node_modules", "cognito-local"), dir} {
		raw, err := os.ReadFile(filepath.Join(pkg, "package.json"))
		if err != nil {
			continue
		}
		var meta struct{ Name, Version string }
		if json.Unmarshal(raw, &meta) == nil && meta.Name == "cognito-local" {
			if !strings.HasPrefix(meta.Version, "5.") {
				t.Fatalf("cognito-local %s in %s; this test expects 5.x", meta.Version, pkg)
			}
			t.Logf("cognito-local %s from %s", meta.Version, pkg)
			return pkg
		}
	}
	t.Fatalf("COGNITO_LOCAL_DIR=%s holds no cognito-local package (want node_modules/cognito-local under it; a relative path is taken from cmd/cognito-gate); run scripts/cognito-local/install.sh", dir)
	return ""
}

// clEmulator is a running cognito-local.
type clEmulator struct {
	base string // http://127.0.0.1:<port>
	out  *proctest.Buffer
}

// startCognitoLocal starts cognito-local on 127.0.0.1 with a free port and
// a fresh data folder, and waits until it answers /health. The process is
// stopped when the test ends.
func startCognitoLocal(t *testing.T, pkg string) *clEmulator {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("COGNITO_LOCAL_DIR is set but node is not on PATH")
	}
	var last string
	// The port is chosen before the emulator binds it (its issuer URL must
	// name the port), so another process may take it in between: retry.
	for attempt := 0; attempt < 3; attempt++ {
		data := t.TempDir()
		// cognito-local reads .cognito/config.json from its working
		// folder and keeps its database under .cognito/db. By default
		// pools use the email address as the username; plain usernames
		// keep the username claim readable.
		if err := os.MkdirAll(filepath.Join(data, ".cognito"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, ".cognito", "config.json"), []byte(`{"UserPoolDefaults":{"UsernameAttributes":[]}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		port := proctest.FreePort(t)
		e := &clEmulator{base: fmt.Sprintf("http://127.0.0.1:%d", port), out: &proctest.Buffer{}}
		cmd := exec.Command(node, filepath.Join(pkg, "lib", "bin", "start.js"))
		cmd.Dir = data
		cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "DEBUG=", "COGNITO_LOCAL_DEVMODE=", "NODE_NO_WARNINGS=1")
		done := proctest.Start(t, "cognito-local", cmd, e.out)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-done:
				last = e.out.String()
				deadline = time.Time{} // exited: try another port
				continue
			default:
			}
			resp, err := http.Get(e.base + "/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return e
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		if deadline.IsZero() {
			continue
		}
		t.Fatalf("cognito-local did not answer on %s within 30s:\n%s", e.base, e.out.String())
	}
	t.Fatalf("cognito-local did not start:\n%s", last)
	return nil
}

// clError is an error answer of the AWS JSON 1.1 protocol.
type clError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (e *clError) Error() string { return e.Type + ": " + e.Message }

// try calls one AWSCognitoIdentityProviderService operation with the AWS
// JSON 1.1 protocol and decodes the answer into out. The emulator needs no
// request signature.
func (e *clEmulator) try(op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", e.base+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		ce := &clError{}
		if json.Unmarshal(raw, ce) != nil || ce.Type == "" {
			return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, raw)
		}
		return fmt.Errorf("%s: %w", op, ce)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %v: %s", op, err, raw)
	}
	return nil
}

func (e *clEmulator) call(t *testing.T, op string, in, out any) {
	t.Helper()
	if err := e.try(op, in, out); err != nil {
		t.Fatal(err)
	}
}

// clAuth is the answer of InitiateAuth and RespondToAuthChallenge.
type clAuth struct {
	ChallengeName        string
	Session              string
	ChallengeParameters  map[string]string
	AuthenticationResult *struct {
		AccessToken, IdToken, RefreshToken string
		ExpiresIn                          int
		TokenType                          string
	}
}

func (e *clEmulator) createPool(t *testing.T, name string) string {
	t.Helper()
	var out struct{ UserPool struct{ Id string } }
	e.call(t, "CreateUserPool", map[string]any{
		"PoolName": name,
		"Schema":   []map[string]any{{"Name": "tenant", "AttributeDataType": "String", "Mutable": true}},
	}, &out)
	if out.UserPool.Id == "" {
		t.Fatal("CreateUserPool returned no pool id")
	}
	return out.UserPool.Id
}

// createClient creates an app client; validity, when not zero, is the
// lifetime of its access and ID tokens.
func (e *clEmulator) createClient(t *testing.T, pool, name string, validity time.Duration) string {
	t.Helper()
	in := map[string]any{
		"UserPoolId":        pool,
		"ClientName":        name,
		"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
	}
	if validity != 0 {
		// Real Cognito accepts 5 minutes to 1 day; the emulator takes
		// seconds, which the expiry checks need.
		s := int(validity / time.Second)
		in["AccessTokenValidity"], in["IdTokenValidity"] = s, s
		in["TokenValidityUnits"] = map[string]string{"AccessToken": "seconds", "IdToken": "seconds"}
	}
	var out struct{ UserPoolClient struct{ ClientId string } }
	e.call(t, "CreateUserPoolClient", in, &out)
	if out.UserPoolClient.ClientId == "" {
		t.Fatal("CreateUserPoolClient returned no client id")
	}
	return out.UserPoolClient.ClientId
}

// createUser creates a user with attributes (name, value pairs); with a
// password it is set as permanent, otherwise the user keeps the temporary
// password and must change it at the first sign-in.
func (e *clEmulator) createUser(t *testing.T, pool, username, temporary, password string, groups []string, attrs ...string) {
	t.Helper()
	var list []map[string]string
	for i := 0; i+1 < len(attrs); i += 2 {
		list = append(list, map[string]string{"Name": attrs[i], "Value": attrs[i+1]})
	}
	var out struct {
		User struct{ Username, UserStatus string }
	}
	e.call(t, "AdminCreateUser", map[string]any{
		"UserPoolId": pool, "Username": username, "TemporaryPassword": temporary,
		"MessageAction": "SUPPRESS", "UserAttributes": list,
	}, &out)
	if out.User.Username != username || out.User.UserStatus != "FORCE_CHANGE_PASSWORD" {
		t.Fatalf("AdminCreateUser %s: %+v", username, out.User)
	}
	if password != "" {
		e.call(t, "AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": username, "Password": password, "Permanent": true}, nil)
	}
	for _, g := range groups {
		e.call(t, "AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": username, "GroupName": g}, nil)
	}
}

// clTokens are one sign-in's tokens.
type clTokens struct{ access, id, refresh string }

// signIn signs a user in with USER_PASSWORD_AUTH and expects tokens, not a
// challenge.
func (e *clEmulator) signIn(t *testing.T, client, username, password string) clTokens {
	t.Helper()
	var out clAuth
	e.call(t, "InitiateAuth", map[string]any{
		"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": username, "PASSWORD": password},
	}, &out)
	return authTokens(t, "InitiateAuth "+username, out)
}

func authTokens(t *testing.T, what string, out clAuth) clTokens {
	t.Helper()
	r := out.AuthenticationResult
	if out.ChallengeName != "" || r == nil || r.AccessToken == "" || r.IdToken == "" {
		t.Fatalf("%s: no tokens: %+v", what, out)
	}
	return clTokens{r.AccessToken, r.IdToken, r.RefreshToken}
}

// jwtPart decodes the header (0) or the claims (1) of a token.
func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token of %d segments", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func numClaim(t *testing.T, m map[string]any, name string) int64 {
	t.Helper()
	n, ok := m[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %v, want a number", name, m[name])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %v: %v", name, n, err)
	}
	return v
}

// assertNames checks that m holds exactly the names want.
func assertNames(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(m))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: names %q, want %q (update docs/compatibility.md if the emulator changed)", what, got, want)
	}
}

// clGet sends GET url with token and returns the status and, for a
// denial, the reason of the JSON body.
func clGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct{ Reason string }
	if resp.StatusCode != 200 {
		json.Unmarshal(raw, &body)
	}
	return resp.StatusCode, body.Reason
}

// clPolicy tells tokens apart by token_use and groups.
const clPolicy = `default: deny
rules:
  - name: admin
    route: /admin/
    token_use: access
    groups_any: [admin]
  - name: api
    route: GET /api/
    token_use: access
  - name: profile
    route: GET /profile
    token_use: id
  - name: tenant
    route: GET /tenants/{tenant}/
    token_use: id
    claims:
      - claim: custom:tenant
        equals: "{tenant}"
`

// clConfig writes a gate configuration for the pools (YAML list items)
// and returns its path.
func clConfig(t *testing.T, upstream, pools, extra string) string {
	t.Helper()
	dir := t.TempDir()
	text := "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n"
	if upstream != "" {
		text += "upstream: " + upstream + "\n"
	}
	text += "pools:\n" + pools + extra + "policy_file: policy.yaml\nlog:\n  level: debug\n"
	if err := os.WriteFile(filepath.Join(dir, "gate.yaml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(clPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "gate.yaml")
}

// clVerify runs cognito-gate verify and returns its output and exit code.
func clVerify(t *testing.T, cfg, token string) (string, int) {
	t.Helper()
	out, err := exec.Command(binary, "verify", "--config", cfg, token).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestCognitoLocal(t *testing.T) {
	pkg := clPackage(t)
	began := time.Now()
	em := startCognitoLocal(t, pkg)
	t.Logf("cognito-local up on %s in %s", em.base, time.Since(began).Round(time.Millisecond))

	// --- The pools, from the emulator's own API (AWS JSON 1.1). ---
	pool := em.createPool(t, "gate-e2e")
	issuer := em.base + "/" + pool
	jwksURL := issuer + "/.well-known/jwks.json"
	for _, g := range []string{"admin", "readers"} {
		em.call(t, "CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": g, "Description": g}, nil)
	}
	web := em.createClient(t, pool, "web", 0)
	mobile := em.createClient(t, pool, "mobile", 0)           // not accepted by the gateway
	short := em.createClient(t, pool, "short", 5*time.Second) // short-lived tokens
	em.createUser(t, pool, "alice", "Temp0rary!1", "Al1ce-pass!", []string{"admin"},
		"email", "alice@example.com", "email_verified", "true", "custom:tenant", "acme")
	em.createUser(t, pool, "bob", "Temp0rary!2", "B0b-pass!", []string{"readers"},
		"email", "bob@example.com", "email_verified", "false", "custom:tenant", "globex")
	// carol keeps her temporary password: her first sign-in is challenged.
	em.createUser(t, pool, "carol", "Temp0rary!3", "", []string{"readers"}, "email", "carol@example.com")

	pool2 := em.createPool(t, "other")
	em.call(t, "CreateGroup", map[string]any{"UserPoolId": pool2, "GroupName": "admin"}, nil)
	web2 := em.createClient(t, pool2, "web", 0)
	em.createUser(t, pool2, "alice", "Temp0rary!4", "Al1ce-pass!", []string{"admin"}, "email", "alice@example.com")

	// --- Sign-ins. ---
	alice := em.signIn(t, web, "alice", "Al1ce-pass!")
	bob := em.signIn(t, web, "bob", "B0b-pass!")
	aliceMobile := em.signIn(t, mobile, "alice", "Al1ce-pass!")
	alice2 := em.signIn(t, web2, "alice", "Al1ce-pass!")
	if err := em.try("InitiateAuth", map[string]any{"ClientId": web, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "alice", "PASSWORD": "wrong"}}, nil); err == nil {
		t.Error("a wrong password signed in")
	}

	var ch clAuth
	em.call(t, "InitiateAuth", map[string]any{"ClientId": web, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "carol", "PASSWORD": "Temp0rary!3"}}, &ch)
	if ch.ChallengeName != "NEW_PASSWORD_REQUIRED" || ch.Session == "" || ch.AuthenticationResult != nil {
		t.Fatalf("carol's first sign-in: want the NEW_PASSWORD_REQUIRED challenge, got %+v", ch)
	}
	var done clAuth
	em.call(t, "RespondToAuthChallenge", map[string]any{"ClientId": web, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": ch.Session,
		"ChallengeResponses": map[string]string{"USERNAME": "carol", "NEW_PASSWORD": "Car0l-new-pass!"}}, &done)
	carol := authTokens(t, "RespondToAuthChallenge carol", done)
	if again := em.signIn(t, web, "carol", "Car0l-new-pass!"); again.access == "" {
		t.Fatal("carol cannot sign in with her new password")
	}
	if r := done.AuthenticationResult; r.ExpiresIn == 0 || r.TokenType == "" {
		t.Logf("finding: AuthenticationResult without ExpiresIn/TokenType (%d, %q); Cognito returns 3600 and Bearer", r.ExpiresIn, r.TokenType)
	}

	// --- What the emulator's tokens and keys are (docs/compatibility.md). ---
	for _, tok := range []string{alice.access, alice.id} {
		h := jwtPart(t, tok, 0)
		assertNames(t, "header", h, "alg", "kid", "typ")
		if h["alg"] != "RS256" || h["kid"] != "CognitoLocal" || h["typ"] != "JWT" {
			t.Errorf("header %v", h)
		}
	}
	ac := jwtPart(t, alice.access, 1)
	assertNames(t, "access token", ac, "auth_time", "client_id", "cognito:groups", "event_id", "exp", "iat", "iss", "jti", "scope", "sub", "token_use", "username")
	if ac["iss"] != issuer || ac["client_id"] != web || ac["token_use"] != "access" || ac["username"] != "alice" ||
		ac["scope"] != "aws.cognito.signin.user.admin" || fmt.Sprint(ac["cognito:groups"]) != "[admin]" {
		t.Errorf("access token claims %v", ac)
	}
	if life := numClaim(t, ac, "exp") - numClaim(t, ac, "iat"); life != 24*3600 {
		t.Errorf("default access token lifetime %ds, want 24h (Cognito: 1h)", life)
	}
	ic := jwtPart(t, alice.id, 1)
	assertNames(t, "ID token", ic, "aud", "auth_time", "cognito:groups", "cognito:username", "custom:tenant", "email", "email_verified",
		"event_id", "exp", "iat", "iss", "jti", "sub", "token_use")
	if ic["aud"] != web || ic["token_use"] != "id" || ic["cognito:username"] != "alice" || ic["email_verified"] != true || ic["sub"] != ac["sub"] {
		t.Errorf("ID token claims %v", ic)
	}
	if bc := jwtPart(t, bob.id, 1); bc["email_verified"] != false {
		t.Logf("finding: bob's email_verified attribute is \"false\" but his ID token says %v", bc["email_verified"])
	}
	if _, ok := jwtPart(t, carol.access, 1)["cognito:groups"]; !ok {
		t.Error("carol's token from RespondToAuthChallenge has no cognito:groups")
	}
	rh := jwtPart(t, alice.refresh, 0)
	assertNames(t, "refresh token header", rh, "alg", "typ")

	// The key set: one RSA-2048 key with kid CognitoLocal, the same for
	// every pool, and the very key shipped in the npm package — whose
	// private half ships there too.
	var set struct{ Keys []map[string]any }
	for _, u := range []string{jwksURL, em.base + "/" + pool2 + "/.well-known/jwks.json", em.base + "/local_NoSuchPool/.well-known/jwks.json"} {
		raw := body(t, u)
		set.Keys = nil
		if err := json.Unmarshal([]byte(raw), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("%s: %s (%v)", u, raw, err)
		}
	}
	k := set.Keys[0]
	n, err := base64.RawURLEncoding.DecodeString(fmt.Sprint(k["n"]))
	if err != nil || new(big.Int).SetBytes(n).BitLen() != 2048 || k["kid"] != "CognitoLocal" || k["use"] != "sig" || k["alg"] != "RS256" || k["kty"] != "RSA" {
		t.Errorf("key %v (%d bits, %v)", k, new(big.Int).SetBytes(n).BitLen(), err)
	}
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	json.Unmarshal([]byte(body(t, issuer+"/.well-known/openid-configuration")), &disc)
	if disc.Issuer != issuer || disc.JWKSURI != jwksURL {
		t.Logf("finding: the discovery document names issuer %q and jwks_uri %q, not %q and %q", disc.Issuer, disc.JWKSURI, issuer, jwksURL)
	}
	signer := clPackageKey(t, pkg)
	if signer.N.Cmp(new(big.Int).SetBytes(n)) != 0 {
		t.Error("the served key is not the package's keys/cognitoLocal.private.json")
	}

	// --- The real binary, configured with the emulator's issuer and key
	// set URL (plain http, explicitly allowed). ---
	up := newUpstream(t, nil)
	pool1YAML := fmt.Sprintf(`  - issuer: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s, %s]
    token_use: any
`, issuer, jwksURL, web, short)
	extra := "no_leeway: true\njwks:\n  cooldown: 1ms\n  max_backoff: 1ms\nidentity_headers:\n  claims:\n    custom:tenant: X-Auth-Tenant\n"
	cfg := clConfig(t, up.URL, pool1YAML, extra)
	gate := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	base := gate.addr["proxy"]

	// Short-lived tokens, used at once; they are checked again after they
	// expire, at the end.
	shortToks := em.signIn(t, short, "alice", "Al1ce-pass!")
	sc := jwtPart(t, shortToks.access, 1)
	shortExp := time.Unix(numClaim(t, sc, "exp"), 0)
	if life := numClaim(t, sc, "exp") - numClaim(t, sc, "iat"); life != 5 {
		t.Fatalf("the short client's tokens live %ds, want 5", life)
	}
	if st, r := clGet(t, base+"/admin/x", shortToks.access); st != 200 {
		t.Fatalf("fresh short-lived access token: %d %s", st, r)
	}

	if st, _ := clGet(t, gate.addr["admin"]+"/readyz", ""); st != 200 {
		t.Errorf("/readyz with the emulator's key set: %d", st)
	}

	tamper := alice.access[:strings.LastIndexByte(alice.access, '.')] + bob.access[strings.LastIndexByte(bob.access, '.'):]
	tests := []struct {
		name, path, token string
		status            int
		reason            string
	}{
		{"admin's access token, admin route", "/admin/users", alice.access, 200, ""},
		{"reader's access token, admin route", "/admin/users", bob.access, 403, "group_denied"},
		{"challenged user's access token, admin route", "/admin/users", carol.access, 403, "group_denied"},
		{"challenged user's access token, api route", "/api/x", carol.access, 200, ""},
		{"reader's access token, api route", "/api/x", bob.access, 200, ""},
		{"admin's ID token, admin route", "/admin/users", alice.id, 401, "wrong_token_use"},
		{"ID token, api route", "/api/x", bob.id, 401, "wrong_token_use"},
		{"ID token, ID route", "/profile", alice.id, 200, ""},
		{"access token, ID route", "/profile", alice.access, 401, "wrong_token_use"},
		{"ID token, own tenant", "/tenants/acme/x", alice.id, 200, ""},
		{"ID token, other tenant", "/tenants/acme/x", bob.id, 403, "claim_denied"},
		{"second app client, access", "/api/x", aliceMobile.access, 401, "wrong_client"},
		{"second app client, ID", "/profile", aliceMobile.id, 401, "wrong_client"},
		{"second pool, access", "/admin/users", alice2.access, 401, "wrong_issuer"},
		{"second pool, ID", "/profile", alice2.id, 401, "wrong_issuer"},
		{"refresh token", "/api/x", alice.refresh, 401, "malformed"},
		{"tampered signature", "/api/x", tamper, 401, "bad_signature"},
		{"no token", "/api/x", "", 401, "missing_token"},
	}
	for _, tt := range tests {
		before := up.count()
		st, reason := clGet(t, base+tt.path, tt.token)
		if st != tt.status || reason != tt.reason {
			t.Errorf("%s: GET %s = %d %q, want %d %q", tt.name, tt.path, st, reason, tt.status, tt.reason)
			continue
		}
		if (st == 200) != (up.count() == before+1) {
			t.Errorf("%s: the upstream count went from %d to %d", tt.name, before, up.count())
		}
	}

	// The identity the upstream receives, from the emulator's claims.
	clGet(t, base+"/admin/users", alice.access)
	want := map[string]string{"X-Auth-Sub": fmt.Sprint(ac["sub"]), "X-Auth-Username": "alice", "X-Auth-Groups": "admin",
		"X-Auth-Scopes": "aws.cognito.signin.user.admin", "X-Auth-Client-Id": web, "X-Auth-Token-Use": "access", "X-Auth-Issuer": issuer}
	for h, v := range want {
		if got := up.last(t).Header.Get(h); got != v {
			t.Errorf("access token: upstream %s = %q, want %q", h, got, v)
		}
	}
	clGet(t, base+"/profile", alice.id)
	want = map[string]string{"X-Auth-Username": "alice", "X-Auth-Client-Id": web, "X-Auth-Token-Use": "id", "X-Auth-Tenant": "acme", "X-Auth-Scopes": ""}
	for h, v := range want {
		if got := up.last(t).Header.Get(h); got != v {
			t.Errorf("ID token: upstream %s = %q, want %q", h, got, v)
		}
	}

	// --- The same tokens through cognito-gate verify with other
	// configurations. ---
	// Access tokens only: the ID token is refused by the verifier itself.
	accessOnly := clConfig(t, "", strings.Replace(pool1YAML, "token_use: any", "token_use: access", 1), "")
	if out, code := clVerify(t, accessOnly, alice.id); code != 1 || !strings.HasPrefix(out, "invalid: wrong_token_use (HTTP 401)") {
		t.Errorf("ID token against an access-only pool: exit %d\n%s", code, out)
	}
	if out, code := clVerify(t, accessOnly, alice.access); code != 0 || !strings.Contains(out, `"kid": "CognitoLocal"`) {
		t.Errorf("access token against an access-only pool: exit %d\n%s", code, out)
	}
	// Both pools listed (the key set URL left to its default): each
	// issuer has its own key set, though both hold the same kid.
	both := clConfig(t, "", pool1YAML+fmt.Sprintf("  - issuer: %s/%s\n    allow_http: true\n    client_ids: [%s]\n    token_use: access\n", em.base, pool2, web2), "")
	for _, tok := range []string{alice.access, alice2.access} {
		if out, code := clVerify(t, both, tok); code != 0 {
			t.Errorf("two pools configured: exit %d\n%s", code, out)
		}
	}
	if out, code := clVerify(t, both, alice2.id); code != 1 || !strings.HasPrefix(out, "invalid: wrong_token_use") {
		t.Errorf("second pool's ID token, access-only: exit %d\n%s", code, out)
	}
	// Plain http needs allow_http.
	noHTTP := clConfig(t, "", strings.Replace(pool1YAML, "    allow_http: true\n", "", 1), "")
	if out, err := exec.Command(binary, "check", "--config", noHTTP).CombinedOutput(); err == nil || !strings.Contains(string(out), "http") {
		t.Errorf("an http issuer without allow_http was accepted: %v\n%s", err, out)
	}

	// The emulator's pool ids (local_<8 characters>) are not
	// <region>_<id>: such a pool is configured by its issuer alone.
	withID := clConfig(t, "", strings.Replace(pool1YAML, "  - issuer:", "  - user_pool_id: "+pool+"\n    issuer:", 1), "")
	if out, err := exec.Command(binary, "check", "--config", withID).CombinedOutput(); err == nil || !strings.Contains(string(out), "<region>_<id>") {
		t.Errorf("user_pool_id %s was accepted: %v\n%s", pool, err, out)
	}

	// The emulator's private key is public: a token minted with it, for
	// any user and group, is as good as one from a sign-in.
	forged := clMint(t, signer, map[string]any{
		"sub": "00000000-0000-0000-0000-000000000000", "username": "mallory", "cognito:groups": []string{"admin"},
		"iss": issuer, "client_id": web, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "jti": "forged",
	})
	if st, r := clGet(t, base+"/admin/users", forged); st != 200 {
		t.Errorf("a token signed with the package's key: %d %s; documented as accepted", st, r)
	}

	// --- Expiry, in process: the verifier's clock moved past the 24 h
	// tokens' exp. The token cache is off so every check runs in full. ---
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{Issuer: issuer, JWKSURL: jwksURL, AllowHTTP: true, ClientIDs: []string{web}, TokenUse: claims.AnyToken}},
		Now:   func() time.Time { return time.Unix(0, now.Load()) },
		Cache: claims.CacheConfig{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Hydrate(hctx); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at, err := v.Verify(ctx, alice.access)
	if err != nil {
		t.Fatalf("alice's access token in process: %v", err)
	}
	if at.Use != claims.AccessToken || at.Username != "alice" || at.ClientID != web || !slices.Equal(at.Groups, []string{"admin"}) ||
		!at.HasScope("aws.cognito.signin.user.admin") || at.Version != 0 || at.OriginJTI != "" || at.EventID == "" ||
		at.KeyID != "CognitoLocal" || at.Algorithm != "RS256" || at.Subject == "" || !at.NotBefore.IsZero() || at.AuthTime.IsZero() {
		t.Errorf("access token: %+v", at)
	}
	it, err := v.Verify(ctx, alice.id)
	if err != nil {
		t.Fatalf("alice's ID token in process: %v", err)
	}
	if tenant, _ := it.Custom("tenant"); it.Use != claims.IDToken || it.Username != "alice" || it.ClientID != web || it.Email != "alice@example.com" ||
		!it.EmailVerified || tenant != "acme" || it.Subject != at.Subject || it.Roles != nil || it.Identities != nil {
		t.Errorf("ID token: %+v", it)
	}
	for _, step := range []struct {
		at     time.Time
		reason claims.Reason
	}{
		{at.Expiry.Add(-time.Second), claims.ReasonOK},
		{at.Expiry.Add(claims.DefaultLeeway - time.Second), claims.ReasonOK},
		{at.Expiry.Add(claims.DefaultLeeway + time.Second), claims.ReasonExpired},
		{at.IssuedAt.Add(-claims.DefaultLeeway - time.Second), claims.ReasonIssuedInFuture},
	} {
		now.Store(step.at.UnixNano())
		for _, tok := range []string{alice.access, alice.id} {
			if _, err := v.Verify(ctx, tok); claims.ReasonOf(err) != step.reason {
				t.Errorf("at exp%+v: %v, want %s", step.at.Sub(at.Expiry), err, step.reason)
			}
		}
	}

	// --- Expiry through the binary (no leeway configured): the short
	// client's access token, already verified and cached, and its ID
	// token, never seen before. ---
	if wait := time.Until(shortExp.Add(time.Second)); wait > 0 {
		if wait > 10*time.Second {
			t.Fatalf("short-lived token expires in %s", wait)
		}
		time.Sleep(wait)
	}
	if st, r := clGet(t, base+"/admin/x", shortToks.access); st != 401 || r != "expired" {
		t.Errorf("expired access token (cached): %d %s, want 401 expired", st, r)
	}
	if st, r := clGet(t, base+"/profile", shortToks.id); st != 401 || r != "expired" {
		t.Errorf("expired ID token: %d %s, want 401 expired", st, r)
	}

	assertNoToken(t, gate.stderr.String(), alice.access, alice.id, bob.access, shortToks.access)
	t.Logf("done in %s", time.Since(began).Round(time.Millisecond))
}

// clPackageKey reads the emulator's signing key, which its npm package
// ships in keys/cognitoLocal.private.json.
func clPackageKey(t *testing.T, pkg string) *rsa.PrivateKey {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(pkg, "lib", "keys", "cognitoLocal.private.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ PEM string }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(f.PEM))
	if blk == nil {
		t.Fatal("keys/cognitoLocal.private.json: no PEM block")
	}
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// clMint signs claims as the emulator does (RS256, kid CognitoLocal).
func clMint(t *testing.T, key *rsa.PrivateKey, c map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "CognitoLocal"})
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

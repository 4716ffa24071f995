package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
	"github.com/cognito-gate/cognito-gate/jwks"
)

const validConfig = `listen: 127.0.0.1:8080
upstream: http://127.0.0.1:3000
pools:
  - user_pool_id: us-east-1_AbC123
    client_ids: [abc]
    token_use: access
policy:
  rules:
    - name: all
      route: /
`

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // file:line: field: message fragment
	}{
		{"unknown key", validConfig + "listne: x\n", "gate.yaml:11: listne: unknown key"},
		{"repeated key", validConfig + "listen: 127.0.0.1:1\n", `gate.yaml:11: listen: key "listen" repeated (first on line 1)`},
		{"bad listen", strings.Replace(validConfig, "127.0.0.1:8080", "8080", 1), "gate.yaml:1: listen: want host:port"},
		{"bad upstream", strings.Replace(validConfig, "http://127.0.0.1:3000", "ftp://x", 1), "gate.yaml:2: upstream: want an http or https URL"},
		{"no pools", strings.Replace(validConfig, "pools:\n  - user_pool_id: us-east-1_AbC123\n    client_ids: [abc]\n    token_use: access\n", "", 1), "pools: at least one user pool"},
		{"bad pool id", strings.Replace(validConfig, "us-east-1_AbC123", "nope", 1), "gate.yaml:4: pools[0].user_pool_id: \"nope\" is not <region>_<id>"},
		{"bad token use", strings.Replace(validConfig, "token_use: access", "token_use: refresh", 1), `gate.yaml:6: pools[0].token_use: "refresh": want "access", "id" or "any"`},
		{"missing token use", strings.Replace(validConfig, "    token_use: access\n", "", 1), `gate.yaml:4: pools[0].token_use: required: "access", "id" or "any"`},
		{"no client ids", strings.Replace(validConfig, "    client_ids: [abc]\n", "", 1), "gate.yaml:4: pools[0].client_ids: empty; list the app clients or set skip_client_id_check"},
		{"client ids not a list", strings.Replace(validConfig, "[abc]", "abc", 1), "gate.yaml:5: pools[0].client_ids: want a list"},
		{"bad duration", validConfig + "leeway: soon\n", "gate.yaml:11: leeway: want a non-negative duration"},
		{"huge leeway", validConfig + "leeway: 1h\n", "gate.yaml:11: leeway: 1h0m0s is over 5m0s"},
		{"bad algorithm", validConfig + "algorithms: [HS256]\n", "gate.yaml:11: algorithms: \"HS256\" is not supported; want RS256, RS384, RS512"},
		{"bad jwks timing", validConfig + "jwks:\n  refresh_interval: 1s\n", "gate.yaml:12: jwks.refresh_interval: 1s is shorter than jwks.cooldown (10s)"},
		{"bad bool", validConfig + "cors_preflight: maybe\n", "gate.yaml:11: cors_preflight: want true or false"},
		{"bad size", validConfig + "token_cache:\n  max_bytes: lots\n", "gate.yaml:12: token_cache.max_bytes: want a non-negative whole number"},
		{"bad log level", validConfig + "log:\n  level: loud\n", "gate.yaml:12: log.level: want debug, info, warn or error"},
		{"negative heap floor", validConfig + "server:\n  heap_floor: -1\n", "gate.yaml:12: server.heap_floor: want"},
		{"huge heap floor", validConfig + "server:\n  heap_floor: 17GiB\n", "gate.yaml:12: server.heap_floor: want 0 (off) up to 16GiB, got 18253611008"},
		{"bad header", validConfig + "identity_headers:\n  sub: \"X Sub\"\n", "gate.yaml:12: identity_headers.sub: not a valid header name"},
		{"reserved header", validConfig + "identity_headers:\n  sub: Authorization\n", "identity_headers.sub: Authorization cannot carry identity"},
		{"bad cookie name", validConfig + "tokens:\n  cookie: \"a=b; c\"\n", "gate.yaml:12: tokens.cookie: not a valid cookie name"},
		{"reserved header, folded", validConfig + "identity_headers:\n  sub: Content_Length\n", "identity_headers.sub: Content_Length cannot carry identity"},
		{"duplicate header", validConfig + "identity_headers:\n  sub: X-User\n  username: X-User\n", "is also used by"},
		{"no token source", validConfig + "tokens:\n  authorization: false\n", "gate.yaml:11: tokens: no token source"},
		{"policy and policy file", validConfig + "policy_file: p.yaml\n", "set policy or policy_file, not both"},
		{"no policy", strings.Split(validConfig, "policy:")[0], "policy: no policy"},
		{"empty policy file", strings.Split(validConfig, "policy:")[0] + "policy_file: \"\"\n", "gate.yaml:7: policy_file: empty; name the policy file"},
		{"bad inline policy", strings.Replace(validConfig, "route: /", "route: GET admin", 1), "gate.yaml:10: policy.rules[0].route"},
		{"unknown policy key", validConfig + "  extra: 1\n", "gate.yaml:11: policy.extra"},
		{"unset env var", strings.Replace(validConfig, "us-east-1_AbC123", "${COGNITO_POOL_ID}", 1), "gate.yaml:4: pools[0].user_pool_id: environment variable COGNITO_POOL_ID is not set"},
		{"anchor", validConfig + "log: &x\n  level: info\n", "anchors and aliases are not supported"},
		{"look-alike duplicate header", validConfig + "identity_headers:\n  sub: X-User\n  username: X_User\n", "gate.yaml:13: identity_headers.username: header X_User is also used by identity_headers.sub"},
		{"proxy header as identity", validConfig + "identity_headers:\n  sub: X-Real-IP\n", "identity_headers.sub: X-Real-IP is a proxy header"},
		{"forwarded header as identity", validConfig + "identity_headers:\n  sub: X-Forwarded-User\n", "identity_headers.sub: X-Forwarded-User is a proxy header"},
		{"claim header turned off", validConfig + "identity_headers:\n  claims:\n    custom:x: \"-\"\n", "identity_headers.claims.custom:x: \"-\" turns off only a built-in header"},
		{"keep an unknown header", validConfig + "request_headers:\n  keep: [X-Custom]\n", "gate.yaml:12: request_headers.keep[0]: X-Custom is not a header the gate strips"},
		{"keep X-Forwarded-For", validConfig + "request_headers:\n  keep: [X-Forwarded-For]\n", "request_headers.keep[0]: X-Forwarded-For is not a header the gate strips"},
		{"bad forward-auth mode", validConfig + "forward_auth:\n  mode: guess\n", "gate.yaml:12: forward_auth.mode: want headers or envoy"},
		{"headers in envoy mode", validConfig + "forward_auth:\n  mode: envoy\n  uri_header: X-Uri\n", "forward_auth.uri_header: not read in mode envoy"},
		{"prefix in headers mode", validConfig + "forward_auth:\n  path_prefix: /x\n", "forward_auth.path_prefix: only for mode envoy"},
		{"bad prefix", validConfig + "forward_auth:\n  mode: envoy\n  path_prefix: /x/../y\n", "forward_auth.path_prefix: want a clean path"},
		{"same forward-auth header twice", validConfig + "forward_auth:\n  uri_header: X-Forwarded-Method\n", "forward_auth.uri_header: X-Forwarded-Method is also forward_auth.method_header"},
		{"identity header as forward-auth header", validConfig + "forward_auth:\n  host_header: X-Auth-Sub\n", "forward_auth.host_header: X-Auth-Sub is an identity header"},
		{"second document", validConfig + "---\nlisten: 127.0.0.1:1\n", "gate.yaml:11: a second YAML document; want exactly one"},
		{"empty document", "# nothing\n", "gate.yaml: empty configuration"},
		{"null value", validConfig + "realm:\n", "gate.yaml:11: realm: want a string, got null"},
		{"quoted bool", validConfig + "cors_preflight: \"true\"\n", `gate.yaml:11: cors_preflight: want true or false, got the string "true"`},
		{"bool from an unset variable", validConfig + "cors_preflight: ${NOPE:-maybe}\n", `gate.yaml:11: cors_preflight: want true or false, got "maybe"`},
		{"inline policy: unset variable", strings.Replace(validConfig, "route: /", "route: ${ROUTE}", 1), "gate.yaml:10: policy.rules[0].route: environment variable ROUTE is not set"},
		{"inline policy: anchor", strings.Replace(validConfig, "policy:\n", "policy: &p\n", 1), "gate.yaml:7: policy: anchors and aliases are not supported"},
		{"policy file missing", strings.Split(validConfig, "policy:")[0] + "policy_file: /nonexistent/p.yaml\n", "gate.yaml:7: policy_file: open /nonexistent/p.yaml: no such file or directory"},
		{"http key set", strings.Replace(validConfig, "    token_use: access\n", "    token_use: access\n    jwks_url: http://127.0.0.1:9/jwks.json\n", 1), `gate.yaml:4: pools[0].allow_http: jwks_url "http://127.0.0.1:9/jwks.json" is plain http`},
		{"two key-set timings", validConfig + "jwks:\n  cooldown: 1m\n  max_backoff: 2s\n", "gate.yaml:13: jwks.max_backoff: 2s is shorter than jwks.cooldown (1m0s)"},
		{"duplicate issuer", strings.Replace(validConfig, "policy:", "  - user_pool_id: us-east-1_AbC123\n    client_ids: [def]\n    token_use: id\npolicy:", 1), `gate.yaml:7: pools[1].user_pool_id: "us-east-1_AbC123" makes issuer "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", which is also pool 0's`},
		{"not yaml", "listen: [\n", "gate.yaml:"},
		{"list document", "- a\n", "want a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.text), "gate.yaml", func(string) (string, bool) { return "", false })
			if err == nil {
				t.Fatalf("parseConfig succeeded, want an error with %q", tt.want)
			}
			var ce *yamlstrict.Error
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "gate.yaml") {
				t.Errorf("error %v names no file", err)
			}
		})
	}
}

func TestParseConfigEnvAndDefaults(t *testing.T) {
	env := map[string]string{"POOL": "eu-west-1_Xyz", "CLIENT": "client1"}
	text := strings.NewReplacer("us-east-1_AbC123", "${POOL}", "[abc]", "[\"${CLIENT}\", \"${OTHER:-client2}\"]").Replace(validConfig)
	cfg, err := parseConfig([]byte(text), "gate.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.claims.Pools[0]
	if p.UserPoolID != "eu-west-1_Xyz" || strings.Join(p.ClientIDs, ",") != "client1,client2" {
		t.Errorf("pool = %+v", p)
	}
	if cfg.raw.AdminListen != defaultAdminListen || cfg.raw.Server.ReadHeaderTimeout != defaultReadHeaderTimeout ||
		cfg.raw.Server.MaxHeaderBytes != defaultMaxHeaderBytes || !cfg.forwardAuthorization || len(cfg.sources) != 1 {
		t.Errorf("defaults not applied: %+v", cfg.raw)
	}
	if cfg.headers.sub != "X-Auth-Sub" || cfg.raw.ForwardAuth.URIHeader != "X-Forwarded-Uri" {
		t.Errorf("header defaults: %+v %+v", cfg.headers, cfg.raw.ForwardAuth)
	}
}

func TestExampleConfigsLoad(t *testing.T) {
	for _, path := range []string{"../../examples/gate.yaml"} {
		t.Setenv("COGNITO_POOL_ID", "us-east-1_Example1")
		t.Setenv("COGNITO_CLIENT_ID", "exampleclient")
		if _, err := loadConfig(path, nil); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte(validConfig), 0o600)
	os.WriteFile(bad, []byte(strings.Replace(validConfig, "[abc]", "abc", 1)+"bogus: 1\n"), 0o600)

	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"check", "--config", good}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok for serve: 1 user pool(s), 1 policy rule(s), default deny") {
		t.Errorf("check good: %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code := run(t.Context(), []string{"check", "--config", bad}, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), bad+":5: pools[0].client_ids: want a list") || !strings.Contains(errOut.String(), bad+":11: bogus: unknown key") {
		t.Errorf("check bad: %d\n%s", code, errOut.String())
	}
	// The binary agrees.
	if err := runBinary(t, "check", "--config", bad); err == nil {
		t.Error("the binary's check accepted a broken file")
	}
	if code := run(t.Context(), []string{"check", "--config", filepath.Join(dir, "missing.yaml")}, nil, &out, &errOut); code != 1 {
		t.Errorf("missing file: %d", code)
	}
	if code := run(t.Context(), []string{"check", "--bogus"}, nil, &out, &errOut); code != 2 {
		t.Errorf("bad flag: %d", code)
	}
	if code := run(t.Context(), []string{"frobnicate"}, nil, &out, &errOut); code != 2 {
		t.Errorf("unknown command: %d", code)
	}
	out.Reset()
	if code := run(t.Context(), []string{"--version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "cognito-gate ") {
		t.Errorf("--version: %d %q", code, out.String())
	}
	for _, cmd := range []string{"serve", "forward-auth", "demo", "verify", "explain", "check", "revoke"} {
		errOut.Reset()
		if code := run(t.Context(), []string{cmd, "--help"}, nil, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage: cognito-gate "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, errOut.String())
		}
	}
}

// TestCheckMatchesStartUp guards finding 19: check refuses exactly what
// the command refuses at start-up, and says what the command would warn
// about.
func TestCheckMatchesStartUp(t *testing.T) {
	noUpstream := strings.Replace(validConfig, "upstream: http://127.0.0.1:3000\n", "", 1)
	tests := []struct {
		name, text, cmd string
		wantErr         string // "" for a configuration that starts
		wantWarn        string
	}{
		{"serve without upstream", noUpstream, "serve", "upstream: required for serve", ""},
		{"forward-auth without upstream", noUpstream, "forward-auth", "", ""},
		{"http key set without allow_http", strings.Replace(validConfig, "    token_use: access\n", "    token_use: access\n    jwks_url: http://127.0.0.1:9/jwks.json\n", 1), "serve", "pools[0]", ""},
		{"forward-auth on all addresses", strings.Replace(noUpstream, "127.0.0.1:8080", "0.0.0.0:8080", 1), "forward-auth", "", "listen 0.0.0.0:8080 is not a loopback address"},
		{"serve on all addresses", strings.Replace(validConfig, "127.0.0.1:8080", "0.0.0.0:8080", 1), "serve", "", ""},
		{"admin on all addresses", validConfig + "admin_listen: 0.0.0.0:9091\n", "serve", "", "admin_listen 0.0.0.0:9091 is not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gate.yaml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut strings.Builder
			code := run(t.Context(), []string{"check", "--config", path, "--command", tt.cmd}, nil, &out, &errOut)
			if tt.wantErr != "" {
				if code != 1 || !strings.Contains(errOut.String(), tt.wantErr) {
					t.Errorf("check: %d %q, want a failure with %q", code, errOut.String(), tt.wantErr)
				}
			} else if code != 0 {
				t.Errorf("check: %d %q", code, errOut.String())
			}
			if tt.wantWarn != "" && !strings.Contains(out.String(), "warning: "+tt.wantWarn) {
				t.Errorf("check output %q lacks the warning %q", out.String(), tt.wantWarn)
			}
			// Start-up agrees: the same configuration fails (or passes)
			// the same checks.
			cfg, err := loadConfig(path, nil)
			if err == nil {
				err = cfg.forCommand(tt.cmd)
			}
			if (err != nil) != (tt.wantErr != "") {
				t.Errorf("start-up checks: %v, check: %q", err, errOut.String())
			}
		})
	}
}

// TestParseConfigReportsEverything checks that one load reports every
// problem of a file, whatever its kind (YAML types, unknown keys,
// validation, the verifier's checks, the inline policy), in the order of
// their lines, and the same way on every run.
func TestParseConfigReportsEverything(t *testing.T) {
	text := `listen: 8080
pools:
  - user_pool_id: us-east-1_AbC123
    client_ids: abc
    token_use: access
leeway: soon
identity_headers:
  claims:
    custom:b: X-User
    custom:a: X_User
    custom:c: X-Auth-Sub
log:
  levle: debug
forward_auth:
  mode: guess
policy:
  rules:
    - name: all
      route: GET admin
`
	want := []string{
		`gate.yaml:1: listen: want host:port, e.g. 127.0.0.1:8080, got "8080"`,
		`gate.yaml:4: pools[0].client_ids: want a list, got the string "abc"`,
		`gate.yaml:6: leeway: want a non-negative duration such as 500ms, 10s or 1h, got "soon"`,
		`gate.yaml:10: identity_headers.claims.custom:a: header X_User is also used by identity_headers.claims.custom:b`,
		`gate.yaml:11: identity_headers.claims.custom:c: header X-Auth-Sub is also used by identity_headers.sub`,
		`gate.yaml:13: log.levle: unknown key "levle"; want one of level, format`,
		`gate.yaml:15: forward_auth.mode: want headers or envoy, got "guess"`,
		`gate.yaml:19: policy.rules[0].route: bad pattern "GET admin"`,
	}
	var first string
	for i := range 20 {
		_, err := parseConfig([]byte(text), "gate.yaml", func(string) (string, bool) { return "", false })
		if err == nil {
			t.Fatal("parseConfig succeeded")
		}
		if i == 0 {
			first = err.Error()
			got := strings.Split(first, "\n")
			if len(got) != len(want) {
				t.Fatalf("errors:\n%s\nwant %d of them", first, len(want))
			}
			for j, w := range want {
				if !strings.HasPrefix(got[j], w) {
					t.Errorf("error %d:\n%s\nwant it to start with\n%s", j, got[j], w)
				}
			}
		} else if err.Error() != first {
			t.Fatalf("run %d:\n%v\nrun 0:\n%s", i, err, first)
		}
	}
}

// TestParseConfigBoundsReport checks that a file with very many problems
// gets the first 20 of them and a count of the rest.
func TestParseConfigBoundsReport(t *testing.T) {
	_, err := parseConfig([]byte(validConfig+strings.Repeat("x: 1\n", 30)), "gate.yaml", nil)
	if err == nil {
		t.Fatal("parseConfig succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "gate.yaml: 10 more problems not shown" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// TestConfigMessagesUseYAMLKeys checks that the verifier's problems reach
// the operator in the file's terms: at the pool's key (or the pool, when
// the key is absent), and naming settings by their keys, never by the Go
// fields behind them.
func TestConfigMessagesUseYAMLKeys(t *testing.T) {
	pool := func(lines string) string {
		return strings.Replace(validConfig, "  - user_pool_id: us-east-1_AbC123\n    client_ids: [abc]\n    token_use: access\n", lines, 1)
	}
	tests := []struct {
		name, text, want string
	}{
		{"no id", pool("  - client_ids: [abc]\n    token_use: access\n"), "gate.yaml:4: pools[0].user_pool_id: required unless issuer is set"},
		{"region", pool("  - user_pool_id: us-east-1_AbC123\n    region: eu-west-1\n    client_ids: [abc]\n    token_use: access\n"), "gate.yaml:5: pools[0].region:"},
		{"http issuer", pool("  - issuer: http://localhost:9229/us-east-1_X\n    client_ids: [abc]\n    token_use: access\n"), "gate.yaml:4: pools[0].allow_http:"},
		{"both client settings", pool("  - user_pool_id: us-east-1_AbC123\n    client_ids: [abc]\n    skip_client_id_check: true\n    token_use: access\n"), "gate.yaml:6: pools[0].skip_client_id_check: set together with client_ids"},
		{"padded client", pool("  - user_pool_id: us-east-1_AbC123\n    client_ids: [\" abc\"]\n    token_use: access\n"), "gate.yaml:5: pools[0].client_ids: entry 0"},
		{"empty algorithms", validConfig + "algorithms: []\n", "gate.yaml:11: algorithms: empty"},
		{"key-set timings, absent key", validConfig + "jwks:\n  cooldown: 2h\n", "gate.yaml:11: jwks.refresh_interval: 1h0m0s is shorter than jwks.cooldown (2h0m0s)"},
		{"negative concurrent fetches", validConfig + "jwks:\n  max_concurrent_fetches: -1\n", "gate.yaml:12: jwks.max_concurrent_fetches:"},
	}
	goNames := []string{"UserPoolID", "Region", "Issuer", "JWKSURL", "AllowHTTP", "ClientIDs", "SkipClientIDCheck", "TokenUse",
		"Algorithms", "Leeway", "RefreshInterval", "Cooldown", "MaxBackoff", "MaxStaleness", "FetchTimeout", "MaxResponseBytes", "MaxConcurrentFetches", "Cache."}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.text), "gate.yaml", func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
			for _, n := range goNames {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error names the Go field %s:\n%v", n, err)
				}
			}
		})
	}
}

// TestJWKSSettingsReachTheCache: every key of the jwks section is handed
// to the key cache's configuration as written.
func TestJWKSSettingsReachTheCache(t *testing.T) {
	text := validConfig + "jwks:\n  refresh_interval: 2h\n  cooldown: 20s\n  max_backoff: 6m\n  max_staleness: 12h\n" +
		"  fetch_timeout: 4s\n  max_response_bytes: 512KiB\n  max_concurrent_fetches: 3\n"
	cfg, err := parseConfig([]byte(text), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := jwks.Config{RefreshInterval: 2 * time.Hour, Cooldown: 20 * time.Second, MaxBackoff: 6 * time.Minute,
		MaxStaleness: 12 * time.Hour, FetchTimeout: 4 * time.Second, MaxResponseBytes: 512 << 10, MaxConcurrentFetches: 3}
	got := cfg.claims.JWKS
	got.Observer = nil // the gate's logger, set when it starts
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jwks.Config = %+v, want %+v", got, want)
	}
}

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{"repeated key", validConfig + "listen: 127.0.0.1:1\n", "gate.yaml:11: listen: repeated key"},
		{"bad listen", strings.Replace(validConfig, "127.0.0.1:8080", "8080", 1), "gate.yaml:1: listen: want host:port"},
		{"bad upstream", strings.Replace(validConfig, "http://127.0.0.1:3000", "ftp://x", 1), "gate.yaml:2: upstream: want an http or https URL"},
		{"no pools", strings.Replace(validConfig, "pools:\n  - user_pool_id: us-east-1_AbC123\n    client_ids: [abc]\n    token_use: access\n", "", 1), "pools: at least one user pool"},
		{"bad pool id", strings.Replace(validConfig, "us-east-1_AbC123", "nope", 1), "gate.yaml:4: pools[0]: user pool id \"nope\""},
		{"bad token use", strings.Replace(validConfig, "token_use: access", "token_use: refresh", 1), "gate.yaml:6: pools[0].token_use: want access, id or any"},
		{"missing token use", strings.Replace(validConfig, "    token_use: access\n", "", 1), "gate.yaml:4: pools[0]: token_use is required"},
		{"no client ids", strings.Replace(validConfig, "    client_ids: [abc]\n", "", 1), "pools[0]: no ClientIDs"},
		{"client ids not a list", strings.Replace(validConfig, "[abc]", "abc", 1), "gate.yaml:5: pools[0].client_ids: want a list"},
		{"bad duration", validConfig + "leeway: soon\n", "gate.yaml:11: leeway: want a non-negative duration"},
		{"huge leeway", validConfig + "leeway: 1h\n", "gate.yaml:11: leeway: at most 5m0s"},
		{"bad algorithm", validConfig + "algorithms: [HS256]\n", "algorithms: algorithm \"HS256\""},
		{"bad jwks timing", validConfig + "jwks:\n  refresh_interval: 1s\n", "jwks: RefreshInterval 1s is shorter than Cooldown"},
		{"bad bool", validConfig + "cors_preflight: maybe\n", "gate.yaml:11: cors_preflight: want true or false"},
		{"bad size", validConfig + "token_cache:\n  max_bytes: lots\n", "gate.yaml:12: token_cache.max_bytes: want a non-negative whole number"},
		{"bad log level", validConfig + "log:\n  level: loud\n", "gate.yaml:12: log.level: want debug, info, warn or error"},
		{"bad header", validConfig + "identity_headers:\n  sub: \"X Sub\"\n", "gate.yaml:12: identity_headers.sub: not a valid header name"},
		{"reserved header", validConfig + "identity_headers:\n  sub: Authorization\n", "identity_headers.sub: Authorization cannot carry identity"},
		{"duplicate header", validConfig + "identity_headers:\n  sub: X-User\n  username: X-User\n", "is also used by"},
		{"no token source", validConfig + "tokens:\n  authorization: false\n", "gate.yaml:11: tokens: no token source"},
		{"policy and policy file", validConfig + "policy_file: p.yaml\n", "set policy or policy_file, not both"},
		{"no policy", strings.Split(validConfig, "policy:")[0], "policy: no policy"},
		{"bad inline policy", strings.Replace(validConfig, "route: /", "route: GET admin", 1), "gate.yaml:10: policy.rules[0].route"},
		{"unknown policy key", validConfig + "  extra: 1\n", "gate.yaml:11: policy.extra"},
		{"unset env var", strings.Replace(validConfig, "us-east-1_AbC123", "${COGNITO_POOL_ID}", 1), "gate.yaml:4: pools[0].user_pool_id: environment variable COGNITO_POOL_ID is not set"},
		{"anchor", validConfig + "log: &x\n  level: info\n", "anchors and aliases are not supported"},
		{"not yaml", "listen: [\n", "gate.yaml:"},
		{"list document", "- a\n", "want a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.text), "gate.yaml", func(string) (string, bool) { return "", false })
			if err == nil {
				t.Fatalf("parseConfig succeeded, want an error with %q", tt.want)
			}
			var ce *configError
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
	if code := run(t.Context(), []string{"check", "--config", good}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok: 1 user pool(s), 1 policy rule(s), default deny") {
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
	for _, cmd := range []string{"serve", "forward-auth", "demo", "verify", "explain", "check"} {
		errOut.Reset()
		if code := run(t.Context(), []string{cmd, "--help"}, nil, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage: cognito-gate "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, errOut.String())
		}
	}
}

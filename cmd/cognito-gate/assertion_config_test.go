package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// assertionConfigText is validConfig (10 lines) with an assertion section
// from line 11 on: the header line, then lines, each indented under it.
func assertionConfigText(lines ...string) string {
	var b strings.Builder
	b.WriteString(validConfig + "assertion:\n")
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// TestAssertionConfigErrors: every problem of the assertion section is
// reported at its file, line and key, in the file's terms (never a Go
// field), and a configuration that would sign nothing or sign wrongly is
// refused.
func TestAssertionConfigErrors(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := writeAssertionKey(t, dir, "k1"), writeAssertionKey(t, dir, "k2")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a key\n"), 0o600)
	sec1 := filepath.Join(dir, "sec1.pem")
	os.WriteFile(sec1, []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"), 0o600)
	ok := []string{"header: X-Auth-Assertion", "issuer: https://gate.example.com", "key_files: [" + k1.private + "]"}
	with := func(replace map[string]string, more ...string) string {
		var lines []string
		for _, l := range ok {
			key, _, _ := strings.Cut(l, ":")
			if r, found := replace[key]; found {
				if r != "" {
					lines = append(lines, key+": "+r)
				}
				continue
			}
			lines = append(lines, l)
		}
		return assertionConfigText(append(lines, more...)...)
	}
	tests := []struct {
		name, text, want string
	}{
		{"no header", with(map[string]string{"header": ""}), "gate.yaml:11: assertion.header: required"},
		{"bad header", with(map[string]string{"header": `"X Assertion"`}), "gate.yaml:12: assertion.header: not a valid header name"},
		{"reserved header", with(map[string]string{"header": "Authorization"}), "gate.yaml:12: assertion.header: Authorization cannot carry identity"},
		{"proxy header", with(map[string]string{"header": "X-Forwarded-Assertion"}), "gate.yaml:12: assertion.header: X-Forwarded-Assertion is a proxy header"},
		{"identity header", with(map[string]string{"header": "X_Auth_Sub"}), "gate.yaml:12: assertion.header: header X_Auth_Sub is also used by identity_headers"},
		{"renamed identity header's default", with(map[string]string{"header": "X-Auth-Groups"}), "assertion.header: header X-Auth-Groups is also used by identity_headers"},
		{"identity claim header", validConfig + "identity_headers:\n  claims:\n    email: X-Gate-Assertion\n" + strings.TrimPrefix(with(map[string]string{"header": "X-Gate-Assertion"}), validConfig),
			"gate.yaml:15: assertion.header: header X-Gate-Assertion is also used by identity_headers"},
		{"token header", validConfig + "tokens:\n  header: X-Token\n" + strings.TrimPrefix(with(map[string]string{"header": "x.token"}), validConfig), "gate.yaml:14: assertion.header: header x.token is also used by tokens.header"},
		{"no issuer", with(map[string]string{"issuer": ""}), "gate.yaml:11: assertion.issuer: required"},
		{"issuer with a space", with(map[string]string{"issuer": `"gate one"`}), `gate.yaml:13: assertion.issuer: "gate one" contains spaces`},
		{"audience with a space", with(nil, `audience: "a b"`), `gate.yaml:15: assertion.audience: "a b" contains spaces`},
		{"lifetime too long", with(nil, "lifetime: 61s"), "gate.yaml:15: assertion.lifetime: 1m1s is outside 1s to 1m0s"},
		{"lifetime not whole seconds", with(nil, "lifetime: 1500ms"), "gate.yaml:15: assertion.lifetime: 1.5s is not whole seconds"},
		{"lifetime not a duration", with(nil, "lifetime: soon"), "gate.yaml:15: assertion.lifetime: want a non-negative duration"},
		{"retain shorter than lifetime", with(nil, "lifetime: 60s", "retain: 1m"), "gate.yaml:16: assertion.retain: the key set's retain (1m0s) is shorter than lifetime + 5s"},
		{"reserved claim", with(nil, "claims: [email, sub]"), `gate.yaml:15: assertion.claims[1]: entry 1, "sub", is written by the assertion itself`},
		{"claim twice", with(nil, "claims:", "  - email", "  - email"), `gate.yaml:17: assertion.claims[1]: entry 1, "email", is listed twice`},
		{"max_bytes too small", with(nil, "max_bytes: 100"), "gate.yaml:15: assertion.max_bytes: 100 is too small"},
		{"no key", with(map[string]string{"key_files": ""}), "gate.yaml:11: assertion.key_files: required"},
		{"empty key list", with(map[string]string{"key_files": "[]"}), "gate.yaml:14: assertion.key_files: required"},
		{"key files and generate_key", with(nil, "generate_key: true"), "gate.yaml:15: assertion.generate_key: set key_files or generate_key, not both"},
		{"public key first", with(map[string]string{"key_files": "[" + k2.public + ", " + k1.private + "]"}), "gate.yaml:14: assertion.key_files[0]: " + k2.public + " is a PUBLIC KEY: the first key signs"},
		{"same key twice", with(map[string]string{"key_files": ""}, "key_files:", "  - "+k1.private, "  - "+k2.public, "  - "+k1.public),
			fmt.Sprintf("gate.yaml:17: assertion.key_files[2]: %s holds the key of key_files[0] (kid %s)", k1.public, k1.kid)},
		{"missing key file", with(map[string]string{"key_files": "[nope.pem]"}), "gate.yaml:14: assertion.key_files[0]: open nope.pem: no such file or directory"},
		{"not a key", with(map[string]string{"key_files": "[" + garbage + "]"}), "gate.yaml:14: assertion.key_files[0]: " + garbage + ": no PEM block"},
		{"SEC 1 key", with(map[string]string{"key_files": "[" + sec1 + "]"}), "assertion.key_files[0]: " + sec1 + `: a SEC 1 "EC PRIVATE KEY"; convert it to PKCS #8`},
		{"relative jwks_path", with(nil, "jwks_path: jwks.json"), `gate.yaml:15: assertion.jwks_path: want a clean path such as /.well-known/jwks.json, got "jwks.json"`},
		{"unclean jwks_path", with(nil, "jwks_path: /a/../jwks.json"), "gate.yaml:15: assertion.jwks_path: want a clean path"},
		{"escaped jwks_path", with(nil, "jwks_path: /jwks%2ejson"), "gate.yaml:15: assertion.jwks_path: want a clean path"},
		{"jwks_path of resource_metadata", validConfig + "resource_metadata:\n  resource: https://api.example.com\n" + strings.TrimPrefix(with(nil, "jwks_path: /.well-known/oauth-protected-resource"), validConfig),
			"gate.yaml:17: assertion.jwks_path: /.well-known/oauth-protected-resource is where resource_metadata's document is served"},
		{"unknown key", with(nil, "signing_key: k.pem"), "gate.yaml:15: assertion.signing_key: unknown key"},
		{"the gRPC listener", validConfig + "forward_auth:\n  grpc_listen: 127.0.0.1:8082\n" + strings.TrimPrefix(with(nil), validConfig),
			"gate.yaml:12: forward_auth.grpc_listen: not with assertion: the ext_authz answer does not carry the assertion"},
		{"forward-auth header is X-Auth-Assertion, renamed", validConfig + "forward_auth:\n  uri_header: X-Auth-Assertion\n" + strings.TrimPrefix(with(map[string]string{"header": "X-Gate-Assertion"}), validConfig),
			"gate.yaml:12: forward_auth.uri_header: X-Auth-Assertion is an identity header"},
		{"forward-auth header is the renamed assertion's", validConfig + "forward_auth:\n  uri_header: X.Gate.Assertion\n" + strings.TrimPrefix(with(map[string]string{"header": "X-Gate-Assertion"}), validConfig),
			"gate.yaml:12: forward_auth.uri_header: X.Gate.Assertion is an identity header"},
	}
	goNames := []string{"Issuer:", "Audience:", "Lifetime:", "Claims:", "MaxBytes", "Keys:", "Key:", "Retain:", "SignerConfig", "KeySet"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.text), "gate.yaml", func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q\nin:\n%s", err, tt.want, tt.text)
			}
			for _, n := range goNames {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error names the Go field %s:\n%v", n, err)
				}
			}
		})
	}
	// The valid variants load, with their keys.
	for _, text := range []string{
		with(nil),
		with(map[string]string{"key_files": "[" + k1.private + ", " + k2.public + "]"}, "audience: orders", "lifetime: 60s", "retain: 65s", "claims: [email, custom:tenant]", "max_bytes: 8KiB", "jwks_path: /.well-known/jwks.json"),
		with(map[string]string{"key_files": ""}, "generate_key: true"),
	} {
		gc, err := parseConfig([]byte(text), "gate.yaml", nil)
		if err != nil {
			t.Errorf("%v\nin:\n%s", err, text)
			continue
		}
		if s := gc.assertion; s == nil || s.header != "X-Auth-Assertion" || (len(s.keys) == 0) != s.generate {
			t.Errorf("assertion setup %+v", gc.assertion)
		}
	}
}

// TestAssertionHeaderNames: with an assertion section, the assertion
// header and X-Auth-Assertion (when renamed) are identity header names, so
// that every client-sent spelling is stripped (serve) and refused
// (forward-auth) as an identity header's is. Without one, the gate leaves
// X-Auth-Assertion alone, as it does any header it does not own.
func TestAssertionHeaderNames(t *testing.T) {
	k1 := writeAssertionKey(t, t.TempDir(), "k1")
	tests := []struct {
		name, text string
		identity   []string // spellings that must be identity headers
	}{
		{"no assertion section", validConfig, nil},
		{"default header", assertionConfigText("header: X-Auth-Assertion", "issuer: g", "key_files: ["+k1.private+"]"), []string{"X-Auth-Assertion", "X~Auth~Assertion"}},
		{"renamed", assertionConfigText("header: X-Gate-Assertion", "issuer: g", "key_files: ["+k1.private+"]"), []string{"X-Auth-Assertion", "X-Gate-Assertion", "x_gate.assertion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gc, err := parseConfig([]byte(tt.text), "gate.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.identity {
				if !gc.headers.isIdentity(n) {
					t.Errorf("%s is not an identity header name", n)
				}
			}
			if tt.identity == nil && gc.headers.isIdentity(defaultAssertionHeader) {
				t.Errorf("%s is an identity header name without an assertion section", defaultAssertionHeader)
			}
			if gc.headers.isIdentity("X-Auth-Assertions") || gc.headers.isIdentity("X-Assertion") {
				t.Error("a name that is not the assertion's is an identity header")
			}
			// Each name once.
			for i, n := range gc.headers.names {
				if slices.ContainsFunc(gc.headers.names[:i], func(m string) bool { return sameHeader(m, n) }) {
					t.Errorf("%s listed twice in %q", n, gc.headers.names)
				}
			}
		})
	}
}

// TestAssertionCheck: check says what serve and forward-auth would refuse
// or warn about: jwks_path is refused for forward-auth (every 200 there
// allows a request) at its line; generate_key, a missing audience,
// forward_authorization and a jwks_path a rule also matches are warned
// about, each for the commands it concerns.
func TestAssertionCheck(t *testing.T) {
	dir := t.TempDir()
	k1 := writeAssertionKey(t, dir, "k1")
	base := []string{"header: X-Auth-Assertion", "issuer: https://gate.example.com", "audience: orders", "key_files: [" + k1.private + "]"}
	warnings := map[string]string{
		"generate":  "warning: assertion.generate_key is set",
		"audience":  "warning: assertion.audience is not set",
		"forward":   "warning: forward_authorization is on",
		"jwks rule": `warning: assertion.jwks_path /keys is also a path of policy rule "all"`,
	}
	tests := []struct {
		name, cmd, text string
		want            []string // keys of warnings
		err             string
	}{
		{"serve", "serve", assertionConfigText(base...) + "forward_authorization: false\n", nil, ""},
		{"serve forwarding the token", "serve", assertionConfigText(base...), []string{"forward"}, ""},
		{"forward-auth", "forward-auth", assertionConfigText(base...), nil, ""},
		{"no audience", "forward-auth", assertionConfigText(slices.Delete(slices.Clone(base), 2, 3)...), []string{"audience"}, ""},
		{"generate_key", "forward-auth", assertionConfigText(append(slices.Clone(base[:3]), "generate_key: true")...), []string{"generate"}, ""},
		{"jwks_path a rule matches", "serve", assertionConfigText(append(slices.Clone(base), "jwks_path: /keys")...) + "forward_authorization: false\n", []string{"jwks rule"}, ""},
		{"jwks_path for forward-auth", "forward-auth", assertionConfigText(append(slices.Clone(base), "jwks_path: /keys")...), nil,
			"gate.yaml:16: assertion.jwks_path: not for forward-auth, whose every 200 allows a request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gate.yaml")
			os.WriteFile(path, []byte(tt.text), 0o600)
			var out, errOut strings.Builder
			code := run(t.Context(), []string{"check", "--config", path, "--command", tt.cmd}, nil, &out, &errOut)
			if tt.err != "" {
				if code != 1 || !strings.Contains(errOut.String(), strings.Replace(tt.err, "gate.yaml", path, 1)) {
					t.Fatalf("check: %d\n%s\nwant %q", code, errOut.String(), tt.err)
				}
				return
			}
			if code != 0 {
				t.Fatalf("check: %d\n%s", code, errOut.String())
			}
			for key, w := range warnings {
				if got, want := strings.Contains(out.String(), w), slices.Contains(tt.want, key); got != want {
					t.Errorf("warning %q printed: %v, want %v\n%s", w, got, want, out.String())
				}
			}
		})
	}
}

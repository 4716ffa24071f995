package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// revokeRun runs `cognito-gate revoke` in this process.
func revokeRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(t.Context(), append([]string{"revoke"}, args...), nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

// lastEntry decodes the last line of the deny list file.
func lastEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, path)), "\n")
	var m map[string]string
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

func TestRevokeCommand(t *testing.T) {
	cfg := revocationDir(t, "revocation:\n  file: revoked.jsonl\n", map[string]string{"revoked.jsonl": "# deny list\n"})
	file := filepath.Join(filepath.Dir(cfg), "revoked.jsonl")
	iss := "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"

	t.Run("defaults", func(t *testing.T) {
		before := time.Now()
		code, out, errOut := revokeRun(t, "--config", cfg, "--origin-jti", "o-1", "--note", "RevokeToken, ticket 4711")
		after := time.Now()
		if code != 0 || !strings.HasPrefix(out, file+":2: added {\"origin_jti\":\"o-1\",\"expires\":") || !strings.Contains(out, "within 10s (revocation.poll_interval)") {
			t.Fatalf("revoke: %d %q %q", code, out, errOut)
		}
		e := lastEntry(t, file)
		exp, _ := time.Parse(time.RFC3339, e["expires"])
		if exp.Before(revocation.ExpiresFor(before)) || exp.After(revocation.ExpiresFor(after)) || e["note"] != "RevokeToken, ticket 4711" {
			t.Errorf("entry %v, want expires ExpiresFor(now) = %s", e, revocation.ExpiresFor(before))
		}
	})
	t.Run("global sign-out", func(t *testing.T) {
		before := time.Now()
		code, out, errOut := revokeRun(t, "--config", cfg, "--sub", "s-1", "--issued-before", "now", "--iss", iss, "--expires", "2h")
		if code != 0 {
			t.Fatalf("revoke: %d %q %q", code, out, errOut)
		}
		e := lastEntry(t, file)
		ib, _ := time.Parse(time.RFC3339, e["issued_before"])
		exp, _ := time.Parse(time.RFC3339, e["expires"])
		if e["sub"] != "s-1" || e["iss"] != iss || ib.Before(before.Truncate(time.Second)) || ib.After(before.Add(2*time.Second)) ||
			exp.Sub(ib) < 2*time.Hour-2*time.Second || exp.Sub(ib) > 2*time.Hour+2*time.Second {
			t.Errorf("entry %v", e)
		}
	})
	t.Run("an RFC 3339 expiry", func(t *testing.T) {
		at := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		if code, _, errOut := revokeRun(t, "--config", cfg, "--client-id", "abc", "--expires", at); code != 0 || lastEntry(t, file)["expires"] != at {
			t.Fatalf("revoke: %d %q, entry %v", code, errOut, lastEntry(t, file))
		}
	})

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", nil, "want exactly one of --jti, --origin-jti, --sub, --username, --client-id; got none"},
		{"two kinds", []string{"--jti", "a", "--sub", "b"}, "got --jti and --sub"},
		{"bad expires", []string{"--jti", "a", "--expires", "tomorrow"}, "--expires: \"tomorrow\": want an RFC 3339 time such as 2026-11-22T12:00:00Z, or a duration such as 2h"},
		{"negative expires", []string{"--jti", "a", "--expires", "-1h"}, "--expires: -1h: want a positive duration"},
		{"expires passed", []string{"--jti", "a", "--expires", "2020-01-01T00:00:00Z"}, "--expires: 2020-01-01T00:00:00Z has passed"},
		{"fractional expires", []string{"--jti", "a", "--expires", "2099-01-01T00:00:00.5Z"}, "want whole seconds"},
		{"bad watermark", []string{"--sub", "a", "--issued-before", "yesterday"}, "--issued-before: \"yesterday\""},
		{"empty iss", []string{"--sub", "a", "--iss", ""}, "--iss: empty"},
		{"an argument", []string{"--jti", "a", "extra"}, "unexpected argument \"extra\""},
		{"unknown flag", []string{"--jit", "a"}, "flag provided but not defined: -jit"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			before := readFile(t, file)
			code, _, errOut := revokeRun(t, append([]string{"--config", cfg}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("revoke: %d %q, want 2 and %q", code, errOut, tt.want)
			}
			if readFile(t, file) != before {
				t.Error("the file changed")
			}
		})
	}

	refused := []struct {
		name string
		cfg  string
		args []string
		want string
	}{
		{"beyond the bound", cfg, []string{"--jti", "a", "--expires", "25h"}, "not added; the file is unchanged:\n  " + file + ":5: expires: "},
		{"watermark in the future", cfg, []string{"--username", "a", "--issued-before", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, ":5: issued_before: "},
		{"watermark on a jti", cfg, []string{"--jti", "a", "--issued-before", "now"}, ":5: issued_before: only for sub, username and client_id"},
		{"empty value", cfg, []string{"--jti", ""}, ":5: jti: empty"},
		{"iss of no pool", cfg, []string{"--sub", "a", "--iss", "https://example.com/x"}, ":5: iss: \"https://example.com/x\" is not the issuer of a configured user pool"},
		{"no deny list", revocationDir(t, "", nil), []string{"--jti", "a"}, "revocation.file is not set"},
		{"broken configuration", revocationDir(t, "bogus: 1\n", nil), []string{"--jti", "a"}, "bogus: unknown key"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := readFile(t, file)
			code, out, errOut := revokeRun(t, append([]string{"--config", tt.cfg}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("revoke: %d %q %q, want 1 and %q", code, out, errOut, tt.want)
			}
			if readFile(t, file) != before {
				t.Error("the file changed")
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		code, _, errOut := revokeRun(t, "--help")
		if code != 0 || !strings.Contains(errOut, "Usage: cognito-gate revoke [--config gate.yaml] (--jti ID") || !strings.Contains(errOut, "-origin-jti origin_jti") {
			t.Errorf("--help: %d %q", code, errOut)
		}
	})
}

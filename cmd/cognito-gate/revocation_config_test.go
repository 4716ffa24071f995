package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// testAdminSecret is the admin secret of the tests' token files.
const testAdminSecret = "0123456789abcdef0123456789abcdef-test"

// revocationDir writes gate.yaml (validConfig plus section) and the files
// named in files into a new directory, and returns the configuration's
// path.
func revocationDir(t *testing.T, section string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(path, []byte(validConfig+section), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// entryLine is a line of a deny list file revoking jti until expires.
func entryLine(kind revocation.Kind, value string, expires time.Time) string {
	return revocation.Entry{Kind: kind, Value: value, Expires: expires.Truncate(time.Second)}.String() + "\n"
}

func TestRevocationConfigErrors(t *testing.T) {
	soon := entryLine(revocation.JTI, "a", time.Now().Add(time.Hour))
	good := map[string]string{"revoked.jsonl": soon, "admin.token": testAdminSecret + "\n"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	yearAhead := time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)
	tests := []struct {
		name, section string
		files         map[string]string
		want          []string // fragments, each in the error
	}{
		{"keys without a file", "revocation:\n  poll_interval: 1s\n  max_entries: 10\n  admin_token_file: admin.token\n  admin_allow_remote: true\n", good,
			[]string{"gate.yaml:12: revocation.poll_interval: set only with revocation.file", "gate.yaml:13: revocation.max_entries: set only with revocation.file",
				"gate.yaml:14: revocation.admin_token_file: set only with revocation.file", "gate.yaml:15: revocation.admin_allow_remote: set only with revocation.file"}},
		{"max_file_bytes without a file", "revocation:\n  max_file_bytes: 1MiB\n", good, []string{"gate.yaml:12: revocation.max_file_bytes: set only with revocation.file"}},
		{"poll too fast", "revocation:\n  file: revoked.jsonl\n  poll_interval: 1ms\n", good, []string{"gate.yaml:13: revocation.poll_interval: at least 100ms (or 0s: only on SIGHUP), got 1ms"}},
		{"negative poll", "revocation:\n  file: revoked.jsonl\n  poll_interval: -1s\n", good, []string{"gate.yaml:13: revocation.poll_interval: want a non-negative duration"}},
		{"too many entries allowed", "revocation:\n  file: revoked.jsonl\n  max_entries: 2000000\n", good, []string{"gate.yaml:13: revocation.max_entries: 2000000: want 1 to 1000000"}},
		{"negative entries", "revocation:\n  file: revoked.jsonl\n  max_entries: -1\n", good, []string{"gate.yaml:13: revocation.max_entries:"}},
		{"file too large allowed", "revocation:\n  file: revoked.jsonl\n  max_file_bytes: 1GiB\n", good, []string{"gate.yaml:13: revocation.max_file_bytes: 1073741824: want 1 to 268435456"}},
		{"bad size", "revocation:\n  file: revoked.jsonl\n  max_file_bytes: lots\n", good, []string{"gate.yaml:13: revocation.max_file_bytes: want a non-negative whole number"}},
		{"unknown key", "revocation:\n  file: revoked.jsonl\n  fiel: x\n", good, []string{"gate.yaml:13: revocation.fiel: unknown key"}},
		{"missing file", "revocation:\n  file: nope.jsonl\n", good, []string{"nope.jsonl: cannot read"}},
		{"bad line", "revocation:\n  file: revoked.jsonl\n", with(map[string]string{"revoked.jsonl": soon + `{"jti":"b","expires":"` + yearAhead + "\"}\n"}),
			[]string{"revoked.jsonl:2: expires: " + yearAhead + " is ", "more than 24h10m0s"}},
		{"every bad line", "revocation:\n  file: revoked.jsonl\n", with(map[string]string{"revoked.jsonl": "{\"jti\":\"\"}\n# ok\nnot json\n"}),
			[]string{"revoked.jsonl:1: jti: empty", "revoked.jsonl:1: expires: required", "revoked.jsonl:3: not a JSON object"}},
		{"issuer of no pool", "revocation:\n  file: revoked.jsonl\n", with(map[string]string{"revoked.jsonl": strings.TrimSuffix(soon, "}\n") + `,"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}` + "\n"}),
			[]string{"revoked.jsonl:1: iss: \"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other\" is not the issuer of a configured user pool"}},
		{"file limit", "revocation:\n  file: revoked.jsonl\n  max_file_bytes: 10\n", good, []string{"revoked.jsonl: ", "more than 10 (revocation.max_file_bytes)"}},
		{"entry limit", "revocation:\n  file: revoked.jsonl\n  max_entries: 1\n", with(map[string]string{"revoked.jsonl": soon + entryLine(revocation.JTI, "b", time.Now().Add(time.Hour))}),
			[]string{"revoked.jsonl:2: more than 1 entries that have not expired (revocation.max_entries)"}},
		{"missing token file", "revocation:\n  file: revoked.jsonl\n  admin_token_file: none.token\n", good, []string{"gate.yaml:13: revocation.admin_token_file: open ", "none.token: no such file"}},
		{"short secret", "revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n", with(map[string]string{"admin.token": "short\n"}),
			[]string{"gate.yaml:13: revocation.admin_token_file: ", "the secret is 5 bytes, want at least 32"}},
		{"secret with a space", "revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n", with(map[string]string{"admin.token": testAdminSecret + " x\n"}),
			[]string{"revocation.admin_token_file: ", "one word of printable ASCII"}},
		{"secret not ASCII", "revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n", with(map[string]string{"admin.token": testAdminSecret + "é\n"}),
			[]string{"revocation.admin_token_file: ", "one word of printable ASCII"}},
		{"huge token file", "revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n", with(map[string]string{"admin.token": strings.Repeat("a", 5000)}),
			[]string{"revocation.admin_token_file: ", "more than the 4096 allowed"}},
		{"remote without a secret", "revocation:\n  file: revoked.jsonl\n  admin_allow_remote: true\n", good, []string{"gate.yaml:13: revocation.admin_allow_remote: set only with revocation.admin_token_file"}},
		{"section and file errors together", "revocation:\n  file: revoked.jsonl\n  poll_interval: 1ms\n", with(map[string]string{"revoked.jsonl": "x\n"}),
			[]string{"gate.yaml:13: revocation.poll_interval", "revoked.jsonl:1: not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := revocationDir(t, tt.section, tt.files)
			_, err := loadConfig(path, nil)
			if err == nil {
				t.Fatalf("loadConfig succeeded, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestRevocationConfig(t *testing.T) {
	soon := entryLine(revocation.Subject, "s", time.Now().Add(time.Hour))
	past := entryLine(revocation.JTI, "old", time.Now().Add(-time.Hour))
	files := map[string]string{"revoked.jsonl": "# deny list\n" + soon + past, "admin.token": "\n  " + testAdminSecret + "\n"}

	t.Run("defaults", func(t *testing.T) {
		cfg, err := loadConfig(revocationDir(t, "revocation:\n  file: revoked.jsonl\n", files), nil)
		if err != nil {
			t.Fatal(err)
		}
		rs := cfg.revocation
		if rs == nil {
			t.Fatal("no revocation setup")
		}
		if !filepath.IsAbs(rs.file) || filepath.Base(rs.file) != "revoked.jsonl" || filepath.Dir(rs.file) != filepath.Dir(cfg.file) {
			t.Errorf("file = %q, want revoked.jsonl next to %s", rs.file, cfg.file)
		}
		if rs.poll != defaultRevocationPoll || rs.tokenFile != "" || rs.allowRemote {
			t.Errorf("setup = %+v", rs)
		}
		st := rs.list.Status()
		if st.Entries != 1 || st.Stale != 1 || st.LastError != nil {
			t.Errorf("list status = %+v, want 1 entry and 1 stale", st)
		}
		want := []string{"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"}
		if strings.Join(rs.opts.Issuers, " ") != strings.Join(want, " ") {
			t.Errorf("issuers = %q, want %q", rs.opts.Issuers, want)
		}
	})
	t.Run("everything", func(t *testing.T) {
		dir := t.TempDir()
		abs := filepath.Join(dir, "elsewhere.jsonl")
		os.WriteFile(abs, []byte(soon), 0o600)
		cfg, err := loadConfig(revocationDir(t, "revocation:\n  file: "+abs+"\n  poll_interval: 0s\n  max_entries: 5\n  max_file_bytes: 1KiB\n  admin_token_file: admin.token\n  admin_allow_remote: true\n", files), nil)
		if err != nil {
			t.Fatal(err)
		}
		rs := cfg.revocation
		if rs.file != abs || rs.poll != 0 || rs.opts.MaxEntries != 5 || rs.opts.MaxFileBytes != 1024 || !rs.allowRemote || filepath.Base(rs.tokenFile) != "admin.token" {
			t.Errorf("setup = %+v", rs)
		}
		d := newDenyList(rs, zapDiscard())
		if !d.authorized([]string{"Bearer " + testAdminSecret}) {
			t.Error("the secret (white space around it in the file) is refused")
		}
		if ws := cfg.revocationWarnings(); len(ws) != 1 || !strings.Contains(ws[0], "admin_allow_remote") {
			t.Errorf("warnings = %q", ws)
		}
	})
	t.Run("none", func(t *testing.T) {
		cfg, err := loadConfig(revocationDir(t, "", nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.revocation != nil || newDenyList(cfg.revocation, zapDiscard()).denylist() != nil {
			t.Error("a deny list without revocation.file")
		}
	})
	t.Run("issuers", func(t *testing.T) {
		section := strings.Replace(validConfig, "pools:\n", "pools:\n  - issuer: http://127.0.0.1:9229/local_Pool\n    allow_http: true\n    jwks_url: http://127.0.0.1:9229/local_Pool/.well-known/jwks.json\n    client_ids: [x]\n    token_use: id\n", 1)
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "revoked.jsonl"), []byte(soon), 0o600)
		path := filepath.Join(dir, "gate.yaml")
		os.WriteFile(path, []byte(section+"revocation:\n  file: revoked.jsonl\n"), 0o600)
		cfg, err := loadConfig(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.revocation.opts.Issuers; len(got) != 3 || got[0] != "http://127.0.0.1:9229/local_Pool" {
			t.Errorf("issuers = %q", got)
		}
	})
}

// TestRevocationRestart: a reload that changes the revocation section
// needs a restart.
func TestRevocationRestart(t *testing.T) {
	files := map[string]string{"revoked.jsonl": "", "admin.token": testAdminSecret}
	load := func(section string) *gateConfig {
		t.Helper()
		cfg, err := loadConfig(revocationDir(t, section, files), nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	base := load("revocation:\n  file: revoked.jsonl\n")
	for _, tt := range []struct {
		section string
		changed bool
	}{
		{"revocation:\n  file: revoked.jsonl\n", false},
		{"", true},
		{"revocation:\n  file: revoked.jsonl\n  poll_interval: 0s\n", true},
		{"revocation:\n  file: revoked.jsonl\n  max_entries: 7\n", true},
		{"revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n", true},
	} {
		err := revocationRestart(base, load(tt.section))
		if (err != nil) != tt.changed || (err != nil && !errors.Is(err, errRestart)) {
			t.Errorf("%q: %v, want a restart: %v", tt.section, err, tt.changed)
		}
	}
}

// TestCheckReportsDenyListErrors: check and start-up refuse a deny list
// file that does not load, with the file's own errors.
func TestCheckReportsDenyListErrors(t *testing.T) {
	path := revocationDir(t, "revocation:\n  file: revoked.jsonl\n", map[string]string{
		"revoked.jsonl": entryLine(revocation.JTI, "a", time.Now().Add(time.Hour)) + "{\"jti\":\"b\",\"expires\":\"2026-01-01T00:00:00.5Z\"}\n",
	})
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"check", "--config", path}, nil, &out, &errOut)
	want := filepath.Join(filepath.Dir(path), "revoked.jsonl") + ":2: expires: \"2026-01-01T00:00:00.5Z\": want whole seconds"
	if code != 1 || !strings.Contains(errOut.String(), want) {
		t.Errorf("check: %d %q, want 1 and %q", code, errOut.String(), want)
	}
	if err := runBinary(t, "check", "--config", path); err == nil {
		t.Error("the binary's check accepted the file")
	}
	os.WriteFile(filepath.Join(filepath.Dir(path), "revoked.jsonl"), []byte(entryLine(revocation.JTI, "a", time.Now().Add(time.Hour))), 0o600)
	out.Reset()
	if code := run(t.Context(), []string{"check", "--config", path}, nil, &out, &errOut); code != 0 {
		t.Errorf("check of a good file: %d", code)
	}
}

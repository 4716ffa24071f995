package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrors checks command-line mistakes as a new user makes them:
// each is explained on stderr, with the command's usage, and exits 2;
// nothing goes to stdout.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		reason string // the first line of stderr
		usage  string // what follows it ("" for nothing)
	}{
		{"verify two tokens", []string{"verify", "TOK1", "TOK2"}, "cognito-gate verify: 2 arguments; want one token (or - to read it from stdin), after the flags", "Usage: cognito-gate verify"},
		{"verify no token", []string{"verify"}, "cognito-gate verify: no token; give one, or - to read it from stdin", "Usage: cognito-gate verify"},
		{"explain relative path", []string{"explain", "--path", "admin"}, `cognito-gate explain: --path "admin": want a path that starts with /, e.g. /admin/users`, "Usage: cognito-gate explain"},
		{"explain no path", []string{"explain"}, "cognito-gate explain: --path is required", "Usage: cognito-gate explain"},
		{"explain two tokens", []string{"explain", "--path", "/x", "a", "b"}, "cognito-gate explain: 2 arguments; want one token", "Usage: cognito-gate explain"},
		{"serve argument", []string{"serve", "gate.yaml"}, `cognito-gate serve: unexpected argument "gate.yaml" (this command takes only flags)`, "Usage: cognito-gate serve"},
		{"serve argument after a flag", []string{"serve", "--config", "x.yaml", "extra"}, `cognito-gate serve: unexpected argument "extra"`, "Usage: cognito-gate serve"},
		{"forward-auth argument", []string{"forward-auth", "now"}, `cognito-gate forward-auth: unexpected argument "now"`, "Usage: cognito-gate forward-auth"},
		{"check argument", []string{"check", "gate.yaml"}, `cognito-gate check: unexpected argument "gate.yaml"`, "Usage: cognito-gate check"},
		{"check bad command", []string{"check", "--command", "verify"}, `cognito-gate check: --command "verify": want serve or forward-auth`, "Usage: cognito-gate check"},
		{"unknown flag", []string{"check", "--bogus"}, "flag provided but not defined: -bogus", "Usage: cognito-gate check"},
		{"unknown command", []string{"frobnicate"}, `cognito-gate: unknown command "frobnicate"`, "Usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(t.Context(), tt.args, strings.NewReader(""), &out, &errOut)
			if code != 2 || out.Len() != 0 {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out.String())
			}
			first, rest, _ := strings.Cut(errOut.String(), "\n")
			if !strings.HasPrefix(first, tt.reason) {
				t.Errorf("stderr:\n%s\nwant it to start with %q", errOut.String(), tt.reason)
			}
			if !strings.Contains(rest, tt.usage) {
				t.Errorf("stderr:\n%s\nwant the usage %q after the reason", errOut.String(), tt.usage)
			}
			if strings.Count(errOut.String(), tt.reason) != 1 || strings.Count(errOut.String(), "Usage:") != 1 {
				t.Errorf("stderr says it more than once:\n%s", errOut.String())
			}
		})
	}
}

// TestUsageErrorsOfTheBinary runs two of them through the binary.
func TestUsageErrorsOfTheBinary(t *testing.T) {
	for _, args := range [][]string{{"verify", "TOK1", "TOK2"}, {"explain", "--path", "admin"}} {
		cmd := exec.Command(binary, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(out) != 0 ||
			!strings.HasPrefix(stderr.String(), "cognito-gate "+args[0]+": ") || !strings.Contains(stderr.String(), "Usage: cognito-gate "+args[0]) {
			t.Errorf("%v: %v, stdout %q, stderr:\n%s", args, err, out, stderr.String())
		}
	}
}

// TestConsoleLogHasNoStackTrace checks that log.format console writes an
// error as one line, without zap's development stack trace.
func TestConsoleLogHasNoStackTrace(t *testing.T) {
	for _, format := range []string{"console", "json"} {
		t.Run(format, func(t *testing.T) {
			zc, err := loggerConfig(logConfig{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "log")
			zc.OutputPaths, zc.ErrorOutputPaths = []string{path}, []string{path}
			logger, err := zc.Build()
			if err != nil {
				t.Fatal(err)
			}
			logger.Warn("a warning")
			logger.Error("upstream failed")
			logger.Sync()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			stack := false
			for _, l := range lines {
				stack = stack || strings.HasPrefix(l, "\t") || strings.Contains(l, "stacktrace")
			}
			if format == "console" && (len(lines) != 2 || stack) {
				t.Errorf("console log:\n%s\nwant two lines without a stack trace", b)
			}
			if !strings.Contains(lines[len(lines)-1], "upstream failed") {
				t.Errorf("log:\n%s", b)
			}
		})
	}
}

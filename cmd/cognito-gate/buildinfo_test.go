package main

import (
	"fmt"
	"os/exec"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

func TestBuildInfoOf(t *testing.T) {
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		goVer    string
		want     string
		revLabel string
	}{
		{"no VCS information", nil, "go1.26.0", "cognito-gate devel (revision unknown, go1.26.0)", "unknown"},
		{"clean tree", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}},
			"go1.26.0", "cognito-gate devel (revision 0123abcd, 2026-01-02T03:04:05Z, go1.26.0)", "0123abcd"},
		{"modified tree", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}},
			"go1.26.0", "cognito-gate devel (revision 0123abcd, modified, go1.26.0)", "0123abcd-modified"},
		{"other settings ignored", []debug.BuildSetting{{Key: "-race", Value: "true"}, {Key: "vcs", Value: "git"}}, "go1.26.0", "cognito-gate devel (revision unknown, go1.26.0)", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bi := buildInfoOf(&debug.BuildInfo{GoVersion: tt.goVer, Main: debug.Module{Path: "github.com/cognito-gate/cognito-gate", Version: "(devel)"}, Settings: tt.settings})
			if got := bi.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := bi.revisionLabel(); got != tt.revLabel {
				t.Errorf("revisionLabel() = %q, want %q", got, tt.revLabel)
			}
		})
	}
}

// TestVersionOfTheBinary checks that --version prints the revision the go
// command recorded in the binary (go version -m reads the same record).
func TestVersionOfTheBinary(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	rev, goVer := "unknown", ""
	for i, line := range strings.Split(string(out), "\n") {
		if i == 0 {
			_, goVer, _ = strings.Cut(line, ": ")
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "build\tvcs.revision="); ok {
			rev = v
		}
	}
	for _, arg := range []string{"--version", "version"} {
		got, err := exec.Command(binary, arg).Output()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if want := "(revision " + rev; !strings.Contains(string(got), want) || !strings.Contains(string(got), strings.TrimSpace(goVer)+")") {
			t.Errorf("%s: %q, want the revision %s and %s", arg, got, rev, goVer)
		}
	}
}

// TestBuildAndLimitMetrics scrapes a running gateway: the build it runs,
// and the key cache limits it was configured with (the defaults applied),
// which the alert rules compare with.
func TestBuildAndLimitMetrics(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	text := body(t, p.addr["admin"]+"/metrics")
	bi := readBuildInfo()
	if want := fmt.Sprintf(`cognito_gate_build_info{goversion=%q,`, bi.GoVersion); !strings.Contains(text, want) {
		t.Errorf("no %s... in /metrics:\n%s", want, grepLines(text, "build_info"))
	}
	for series, want := range map[string]float64{
		"cognito_gate_config_jwks_refresh_interval_seconds": 3600,  // writeConfig's 1h
		"cognito_gate_config_jwks_max_staleness_seconds":    86400, // the default, 24h
		"cognito_gate_config_jwks_max_backoff_seconds":      0.001, // writeConfig's 1ms
	} {
		if got := metric(t, p, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Errorf("exit: %v", err)
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

package main

import (
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestHealthCommand runs `cognito-gate health` against small servers on
// 127.0.0.1: exit 0 for a 2xx answer only, 1 for anything else a broken
// or draining gateway does, 2 for a command-line mistake.
func TestHealthCommand(t *testing.T) {
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				t.Errorf("method %s, want GET", r.Method)
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	ok := httptest.NewServer(answer(200, "ok\n"))
	defer ok.Close()
	notReady := httptest.NewServer(answer(503, "draining\nno usable keys for https://idp.example\n"))
	defer notReady.Close()
	redirect := httptest.NewServer(http.RedirectHandler(ok.URL+"/healthz", http.StatusFound))
	defer redirect.Close()
	tlsOK := httptest.NewTLSServer(answer(200, "ok\n"))
	defer tlsOK.Close()
	closed := httptest.NewServer(answer(200, "ok"))
	closedURL := closed.URL
	closed.Close()

	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsOK.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)

	// Proxy variables are ignored: a health check asks this machine, and a
	// container's HTTP_PROXY would send it elsewhere.
	t.Setenv("HTTP_PROXY", closedURL)
	t.Setenv("HTTPS_PROXY", closedURL)

	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout (code 0 or 1) or stderr (code 2)
	}{
		{"healthy", []string{"--url", ok.URL + "/healthz"}, 0, "healthy: " + ok.URL + "/healthz: 200 OK\nok"},
		{"not ready", []string{"--url", notReady.URL + "/readyz"}, 1, "unhealthy: " + notReady.URL + "/readyz: 503 Service Unavailable\ndraining\nno usable keys"},
		{"redirect not followed", []string{"--url", redirect.URL}, 1, "302 Found"},
		{"nothing listening", []string{"--url", closedURL + "/healthz"}, 1, "unhealthy: " + closedURL + "/healthz: "},
		{"https with the CA", []string{"--url", tlsOK.URL + "/healthz", "--ca-file", caFile}, 0, "healthy"},
		{"https with an unknown CA", []string{"--url", tlsOK.URL + "/healthz"}, 1, "certificate"},
		{"https unverified on request", []string{"--url", tlsOK.URL + "/healthz", "--insecure-skip-verify"}, 0, "healthy"},
		{"CA file without certificates", []string{"--url", tlsOK.URL, "--ca-file", notPEM}, 1, "no PEM certificate in it"},
		{"not a URL", []string{"--url", "127.0.0.1:8081/healthz"}, 2, "--url \"127.0.0.1:8081/healthz\": want an http or https URL"},
		{"other scheme", []string{"--url", "ftp://127.0.0.1/healthz"}, 2, "want an http or https URL"},
		{"zero timeout", []string{"--url", ok.URL, "--timeout", "0s"}, 2, "--timeout 0s: want a positive duration"},
		{"both TLS flags", []string{"--url", tlsOK.URL, "--ca-file", caFile, "--insecure-skip-verify"}, 2, "not both"},
		{"TLS flag for http", []string{"--url", ok.URL, "--insecure-skip-verify"}, 2, "are for https URLs"},
		{"argument", []string{"now"}, 2, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(t.Context(), append([]string{"health"}, tt.args...), nil, &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			got := out.String()
			if tt.code == 2 || tt.name == "CA file without certificates" {
				got = errOut.String()
			}
			if !strings.Contains(got, tt.out) {
				t.Errorf("output:\n%s\nwant it to contain %q", got, tt.out)
			}
		})
	}
}

// TestHealthDefaultURL checks that health asks the default admin
// listener's /healthz, which is not Prometheus's port.
func TestHealthDefaultURL(t *testing.T) {
	if want := "http://127.0.0.1:8081/healthz"; defaultHealthURL != want {
		t.Errorf("default URL %s, want %s", defaultHealthURL, want)
	}
	if strings.HasSuffix(defaultAdminListen, ":9090") {
		t.Errorf("admin_listen defaults to %s, Prometheus's own port", defaultAdminListen)
	}
}

// TestHealthOfTheBinary runs the binary's health command against a running
// gateway's admin listener: alive at once; ready only once keys load.
func TestHealthOfTheBinary(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	pool.SetFault(cognitotest.Fault{Status: 500})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	health := func(path string) (int, string) {
		out, err := exec.Command(binary, "health", "--url", p.addr["admin"]+path).CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &ee):
			return ee.ExitCode(), string(out)
		}
		t.Fatal(err)
		return 0, ""
	}
	if code, out := health("/healthz"); code != 0 || !strings.HasPrefix(out, "healthy: ") {
		t.Errorf("/healthz: exit %d\n%s", code, out)
	}
	if code, out := health("/readyz"); code != 1 || !strings.Contains(out, "503 Service Unavailable") || !strings.Contains(out, "no usable keys for "+pool.Issuer()) {
		t.Errorf("/readyz without keys: exit %d\n%s", code, out)
	}
}

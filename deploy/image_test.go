// Package deploy_test checks the container image definitions
// (Containerfile, Dockerfile) and, where podman is installed, the image
// scripts/build-image.sh builds without a registry.
package deploy_test

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// finalStage returns the instructions of the last stage of a
// Containerfile, continuation lines joined, comments dropped.
func finalStage(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ins []string
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur += rest + " "
			continue
		}
		cur += trimmed
		if strings.HasPrefix(strings.ToUpper(cur), "FROM ") {
			ins = nil
		}
		ins = append(ins, strings.Join(strings.Fields(cur), " "))
		cur = ""
	}
	return ins
}

// TestImageDefinitions checks what the image promises, in both files:
// built FROM scratch (no shell, no package manager), a numeric non-root
// user, the binary as an exec-form entrypoint, a health check that needs
// no shell or curl, the OCI labels; and that the final stages are the same
// but for where the files come from.
func TestImageDefinitions(t *testing.T) {
	stages := map[string][]string{}
	for _, file := range []string{"Containerfile", "Dockerfile"} {
		ins := finalStage(t, file)
		stages[file] = ins
		if ins[0] != "FROM scratch" {
			t.Errorf("%s: the final stage is %q, want FROM scratch", file, ins[0])
		}
		has := func(prefix string) string {
			for _, in := range ins {
				if strings.HasPrefix(in, prefix) {
					return in
				}
			}
			t.Errorf("%s: no %s in the final stage", file, prefix)
			return ""
		}
		if u := has("USER "); u != "USER 65532:65532" {
			t.Errorf("%s: %q, want a numeric non-root user and group", file, u)
		}
		if e := has("ENTRYPOINT "); e != `ENTRYPOINT ["/cognito-gate"]` {
			t.Errorf("%s: %q, want the binary in exec form", file, e)
		}
		if h := has("HEALTHCHECK "); !strings.Contains(h, `CMD ["/cognito-gate", "health", "--url", "http://127.0.0.1:8081/healthz"]`) {
			t.Errorf("%s: %q, want the health command in exec form", file, h)
		}
		if c := has("CMD "); !strings.HasPrefix(c, `CMD ["serve"`) {
			t.Errorf("%s: %q, want serve in exec form", file, c)
		}
		for _, in := range ins {
			if strings.HasPrefix(in, "RUN ") || strings.HasPrefix(in, "SHELL ") {
				t.Errorf("%s: %q in the final stage, which has no shell", file, in)
			}
		}
		labels := has("LABEL ")
		for _, l := range []string{"title", "description", "source", "licenses", "version", "revision", "created"} {
			if !strings.Contains(labels, "org.opencontainers.image."+l+"=") {
				t.Errorf("%s: no org.opencontainers.image.%s label", file, l)
			}
		}
		if !strings.Contains(has("COPY "), "ca-certificates.crt /etc/ssl/certs/ca-certificates.crt") {
			t.Errorf("%s: the CA certificates are not copied to /etc/ssl/certs/ca-certificates.crt", file)
		}
	}
	normalize := func(ins []string) []string {
		out := slices.Clone(ins)
		for i, in := range out {
			in = strings.Replace(in, "--from=build ", "", 1)
			in = strings.Replace(in, "/out/", "", 1)
			out[i] = in
		}
		return out
	}
	if a, b := normalize(stages["Containerfile"]), normalize(stages["Dockerfile"]); !slices.Equal(a, b) {
		t.Errorf("the final stages differ:\nContainerfile: %q\nDockerfile:    %q", a, b)
	}
}

// imageConfig is the part of an image's configuration the test reads.
type imageConfig struct {
	Config struct {
		User         string
		Entrypoint   []string
		Cmd          []string
		Labels       map[string]string
		Healthcheck  struct{ Test []string }
		ExposedPorts map[string]struct{}
	} `json:"config"`
}

// TestImageBuild builds the image from scratch with podman, without a
// registry, and checks it: its configuration (user, entrypoint, labels,
// health check), that its files are exactly the binary and the CA
// certificates (no shell), and that its binary serves /healthz, /readyz, a
// 401 and a 200 against a fake user pool. The binary is run from the
// image's layer on this machine when containers cannot run here (this
// sandbox refuses the OCI runtime's setrlimit), and in a container where
// they can. Skipped without podman, unless COGNITO_GATE_IMAGE_TEST=1 (CI,
// which installs it), where a missing podman fails.
func TestImageBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	podman, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv("COGNITO_GATE_IMAGE_TEST") == "1" {
			t.Fatal("podman is not installed (apt-get install podman)")
		}
		t.Skip("podman not installed (apt-get install podman); set COGNITO_GATE_IMAGE_TEST=1 to require it")
	}
	tag := fmt.Sprintf("localhost/cognito-gate:test-%d", time.Now().UnixNano())
	build := exec.Command("../scripts/build-image.sh", tag)
	build.Env = append(os.Environ(), "VERSION=v0.0.0-test")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(podman, "rmi", "-f", tag).Run() })

	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	if out, err := exec.Command(podman, "save", "--format", "docker-archive", "-o", archive, tag).CombinedOutput(); err != nil {
		t.Fatalf("podman save: %v\n%s", err, out)
	}
	cfg, files := readImage(t, archive, dir)

	c := cfg.Config
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/cognito-gate"}) || !slices.Equal(c.Cmd, []string{"serve", "--config", "/etc/cognito-gate/gate.yaml"}) {
		t.Errorf("entrypoint %q, cmd %q", c.Entrypoint, c.Cmd)
	}
	if got := c.Healthcheck.Test; !slices.Equal(got, []string{"CMD", "/cognito-gate", "health", "--url", "http://127.0.0.1:8081/healthz"}) {
		t.Errorf("health check %q", got)
	}
	rev, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	if got, want := c.Labels["org.opencontainers.image.revision"], strings.TrimSpace(string(rev)); want != "" && got != want {
		t.Errorf("revision label %q, want %q", got, want)
	}
	if got := c.Labels["org.opencontainers.image.version"]; got != "v0.0.0-test" {
		t.Errorf("version label %q", got)
	}
	slices.Sort(files)
	if want := []string{"cognito-gate", "etc/ssl/certs/ca-certificates.crt"}; !slices.Equal(files, want) {
		t.Errorf("the image's files: %q, want only %q (no shell, nothing else)", files, want)
	}

	bin := filepath.Join(dir, "cognito-gate")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "cognito-gate v0.0.0-test (revision ") {
		t.Errorf("the image's binary --version: %q %v", out, err)
	}
	// Can containers run here? This sandbox refuses the runtime's
	// setrlimit; elsewhere the container itself is checked.
	run := exec.Command(podman, "run", "--rm", "--network", "host", "--no-healthcheck", tag, "--version")
	if out, err := run.CombinedOutput(); err != nil {
		t.Logf("containers cannot run on this machine (%v: %s); checking the image's binary outside one", err, strings.TrimSpace(string(out)))
		serveAndCheck(t, dir, func(config string, args ...string) *exec.Cmd {
			return exec.Command(bin, append(args, "--config", config)...)
		})
		return
	}
	serveAndCheck(t, dir, func(config string, args ...string) *exec.Cmd {
		return exec.Command(podman, append([]string{"run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL",
			"-v", filepath.Dir(config) + ":/etc/cognito-gate:ro", tag}, append(args, "--config", "/etc/cognito-gate/gate.yaml")...)...)
	})
}

// readImage reads a docker-archive: the image configuration, and the files
// of its layers (extracting the binary into dir).
func readImage(t *testing.T, archive, dir string) (imageConfig, []string) {
	t.Helper()
	entries := map[string][]byte{}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		entries[h.Name] = b
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest: %v", err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(entries[manifest[0].Config], &cfg); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, l := range manifest[0].Layers {
		lr := tar.NewReader(strings.NewReader(string(entries[l])))
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeDir {
				continue
			}
			files = append(files, strings.TrimPrefix(h.Name, "/"))
			if h.Name == "cognito-gate" || h.Name == "/cognito-gate" {
				if h.Mode&0o111 == 0 || h.Mode&0o222 != 0 {
					t.Errorf("the binary's mode %o, want read and execute only", h.Mode)
				}
				b, _ := io.ReadAll(lr)
				if err := os.WriteFile(filepath.Join(dir, "cognito-gate"), b, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return cfg, files
}

// serveAndCheck runs `serve` (through start, which adds --config) against
// a fake pool and an upstream on 127.0.0.1 and checks the answers.
func serveAndCheck(t *testing.T, dir string, start func(config string, args ...string) *exec.Cmd) {
	t.Helper()
	pool := cognitotest.New(t, cognitotest.Config{})
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "upstream ok") }), ReadHeaderTimeout: time.Second}
	upPort := proctest.FreePort(t)
	up.Addr = fmt.Sprintf("127.0.0.1:%d", upPort)
	go up.ListenAndServe()
	t.Cleanup(func() { up.Close() })
	listen, admin := proctest.FreePort(t), proctest.FreePort(t)
	cfgDir := filepath.Join(dir, "config")
	os.MkdirAll(cfgDir, 0o755)
	config := filepath.Join(cfgDir, "gate.yaml")
	text := fmt.Sprintf(`listen: 127.0.0.1:%d
admin_listen: 127.0.0.1:%d
upstream: http://127.0.0.1:%d
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s]
    token_use: access
policy:
  default: deny
  rules:
    - name: me
      route: GET /me
`, listen, admin, upPort, pool.PoolID(), pool.JWKSURL(), pool.ClientID())
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := start(config, "serve")
	var out proctest.Buffer
	proctest.Start(t, "cognito-gate", cmd, &out)

	base, adminURL := fmt.Sprintf("http://127.0.0.1:%d", listen), fmt.Sprintf("http://127.0.0.1:%d", admin)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(adminURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the process's start-up
	}
	for _, c := range []struct {
		url, token string
		want       int
	}{
		{adminURL + "/healthz", "", 200},
		{adminURL + "/readyz", "", 200},
		{base + "/me", "", 401},
		{base + "/me", pool.AccessToken(), 200},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.url, resp.StatusCode, c.want)
		}
	}
}

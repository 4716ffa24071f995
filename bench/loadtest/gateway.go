package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// buildGateway builds the cognito-gate binary into dir, in the main
// module's directory (so that its own go.mod and go.sum decide the build,
// not the bench module's).
func buildGateway(ctx context.Context, dir string, race bool) (string, error) {
	root, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/cognito-gate/cognito-gate").Output()
	if err != nil {
		return "", fmt.Errorf("finding the cognito-gate module: %w", err)
	}
	bin := filepath.Join(dir, "cognito-gate")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/cognito-gate")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = strings.TrimSpace(string(root))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build (run from the module, or pass --binary): %w", err)
	}
	return bin, nil
}

// policyYAML has an anonymous route, an authenticated route and an
// admin-only route; anything else is denied.
const policyYAML = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: api
    route: /api/
  - name: admin
    route: /admin/
    groups_any: [admin]
`

// writeGatewayConfig writes the gateway's configuration and policy into
// dir and returns the configuration's path.
func writeGatewayConfig(dir string, pool *fakepool.Pool, upstreamURL string, cooldown time.Duration, logLevel string, tokenCache bool) (string, error) {
	text := fmt.Sprintf(`listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
upstream: %s
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s]
    token_use: access
jwks:
  cooldown: %s
  max_backoff: 1s
  refresh_interval: 1h
token_cache:
  disabled: %t
server:
  shutdown_timeout: 5s
log:
  level: %s
policy_file: policy.yaml
`, upstreamURL, pool.PoolID(), pool.JWKSURL(), pool.ClientID(), cooldown, !tokenCache, logLevel)
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policyYAML), 0o600); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "gate.yaml")
	return path, os.WriteFile(path, []byte(text), 0o600)
}

// gateway is a running cognito-gate serve process.
type gateway struct {
	cmd     *exec.Cmd
	done    chan error
	proxy   string // http://host:port
	admin   string
	logPath string
}

// startGateway runs bin serve with the configuration and waits until it
// listens. Its stderr (the logs) goes to logPath.
func startGateway(ctx context.Context, bin, config, logPath string) (*gateway, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Stderr = logf
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gateway{cmd: cmd, done: make(chan error, 1), logPath: logPath}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nothing more is expected on stdout
			}
		}
		io.Copy(io.Discard, stdout)
		close(lines)
	}()
	go func() { g.done <- cmd.Wait() }()

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for g.proxy == "" || g.admin == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				g.stop()
				return nil, fmt.Errorf("cognito-gate exited before listening; see %s", logPath)
			}
			if rest, ok := strings.CutPrefix(line, "proxy listening on "); ok {
				g.proxy = "http://" + rest
			}
			if rest, ok := strings.CutPrefix(line, "admin listening on "); ok {
				g.admin = "http://" + rest
			}
		case <-deadline.C:
			g.stop()
			return nil, fmt.Errorf("cognito-gate did not listen within 30s; see %s", logPath)
		case <-ctx.Done():
			g.stop()
			return nil, ctx.Err()
		}
	}
	return g, nil
}

// stop sends SIGTERM and waits up to 10 s for a graceful exit, then kills
// the process. It returns the exit error of a graceful stop.
func (g *gateway) stop() error {
	if g == nil || g.cmd.Process == nil {
		return nil
	}
	select {
	case err := <-g.done:
		g.done <- err
		return err
	default:
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case err := <-g.done:
		g.done <- err
		return err
	case <-t.C:
		g.cmd.Process.Kill()
		err := <-g.done
		g.done <- err
		return errors.New("cognito-gate did not stop within 10s of SIGTERM; killed")
	}
}

// get fetches url with a client of its own (no connection kept) and
// returns the status and body.
func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, string(b), err
}

// scrape reads the gateway's metrics.
func (g *gateway) scrape(ctx context.Context) ([]sample, error) {
	status, text, err := get(ctx, g.admin+"/metrics")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", status)
	}
	return parseMetrics(text), nil
}

// waitReady polls /readyz until it answers 200.
func (g *gateway) waitReady(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		status, _, err := get(ctx, g.admin+"/readyz")
		if err == nil && status == http.StatusOK {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("/readyz not 200 within %s (last status %d, %v)", limit, status, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling a child process
		}
	}
}

// awaitGC scrapes the metrics every second until the gateway has run a
// garbage collection since prev was scraped, for at most limit, and returns
// that scrape and how long it took.
func (g *gateway) awaitGC(ctx context.Context, prev []sample, limit time.Duration) ([]sample, time.Duration, error) {
	start := time.Now()
	n0, _ := value(prev, "go_gc_duration_seconds_count", nil)
	for time.Since(start) < limit {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Second): // waiting for the child's runtime
		}
		s, err := g.scrape(ctx)
		if err != nil {
			return nil, 0, err
		}
		if n, _ := value(s, "go_gc_duration_seconds_count", nil); n > n0 {
			return s, time.Since(start), nil
		}
	}
	return nil, 0, fmt.Errorf("no garbage collection within %s", limit)
}

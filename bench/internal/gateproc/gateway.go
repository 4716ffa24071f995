package gateproc

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
)

// Build builds the cognito-gate binary into dir, in the main module's
// directory (so that its own go.mod and go.sum decide the build, not the
// bench module's), and returns its path.
func Build(ctx context.Context, dir string, race bool) (string, error) {
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

// Gateway is a running cognito-gate process (serve or forward-auth).
type Gateway struct {
	cmd     *exec.Cmd
	done    chan error
	Main    string // http://host:port of the proxy or forward-auth listener
	Admin   string // http://host:port of the admin listener
	LogPath string
	// Started is when the process was started, for start-up times.
	Started time.Time
}

// Start runs `bin command --config config` (command is "serve" or
// "forward-auth") and waits until both its listeners listen. Its stderr
// (the logs) goes to logPath. env ("NAME=value") is added to this
// process's environment for the child.
func Start(ctx context.Context, bin, command, config, logPath string, env ...string) (*Gateway, error) {
	mainName := map[string]string{"serve": "proxy", "forward-auth": "forward-auth"}[command]
	if mainName == "" {
		return nil, fmt.Errorf("gateproc: unknown command %q", command)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, command, "--config", config)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = logf
	cmd.SysProcAttr = ChildAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	g := &Gateway{cmd: cmd, done: make(chan error, 1), LogPath: logPath, Started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
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
	for g.Main == "" || g.Admin == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				g.Stop()
				return nil, fmt.Errorf("cognito-gate exited before listening; see %s", logPath)
			}
			if rest, ok := strings.CutPrefix(line, mainName+" listening on "); ok {
				g.Main = "http://" + rest
			}
			if rest, ok := strings.CutPrefix(line, "admin listening on "); ok {
				g.Admin = "http://" + rest
			}
		case <-deadline.C:
			g.Stop()
			return nil, fmt.Errorf("cognito-gate did not listen within 30s; see %s", logPath)
		case <-ctx.Done():
			g.Stop()
			return nil, ctx.Err()
		}
	}
	return g, nil
}

// Pid returns the process id.
func (g *Gateway) Pid() int { return g.cmd.Process.Pid }

// Stop sends SIGTERM and waits up to 10 s for a graceful exit, then kills
// the process. It returns the exit error of a graceful stop.
func (g *Gateway) Stop() error {
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

// Get fetches url with a client of its own (no connection kept) and
// returns the status and body.
func Get(ctx context.Context, url string) (int, string, error) {
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

// Scrape reads the gateway's metrics.
func (g *Gateway) Scrape(ctx context.Context) ([]Sample, error) {
	status, text, err := Get(ctx, g.Admin+"/metrics")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", status)
	}
	return ParseMetrics(text), nil
}

// WaitReady polls /readyz until it answers 200, and returns how long
// that took from the call.
func (g *Gateway) WaitReady(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		status, _, err := Get(ctx, g.Admin+"/readyz")
		if err == nil && status == http.StatusOK {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("/readyz not 200 within %s (last status %d, %v)", limit, status, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond): // polling a child process
		}
	}
}

// AwaitGC scrapes the metrics every second until the gateway has run a
// garbage collection since prev was scraped, for at most limit, and returns
// that scrape and how long it took.
func (g *Gateway) AwaitGC(ctx context.Context, prev []Sample, limit time.Duration) ([]Sample, time.Duration, error) {
	start := time.Now()
	n0, _ := Value(prev, "go_gc_duration_seconds_count", nil)
	for time.Since(start) < limit {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Second): // waiting for the child's runtime
		}
		s, err := g.Scrape(ctx)
		if err != nil {
			return nil, 0, err
		}
		if n, _ := Value(s, "go_gc_duration_seconds_count", nil); n > n0 {
			return s, time.Since(start), nil
		}
	}
	return nil, 0, fmt.Errorf("no garbage collection within %s", limit)
}

// LoadAverage returns the 1, 5 and 15 minute load averages, or "?".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

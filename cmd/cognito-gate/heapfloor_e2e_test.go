package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// envWithout is the process environment less the variables named.
func envWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && name != n
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}

// TestHeapFloor runs the binary and reads the collector's percent
// (go_gc_gogc_percent) on /metrics, each scrape allocating enough for the
// collections to come: server.heap_floor's default raises it above 100
// once a collection has found the small heap live (and no higher than the
// 32 MiB floor needs: the runtime's 4 MiB heap minimum scaled by 8); a
// reload to heap_floor 0 puts it back to 100; heap_floor 0 keeps 100
// through collections; GOGC in the environment stands, and the log says
// the floor is not applied.
func TestHeapFloor(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	const percent, cycles = "go_gc_gogc_percent", "go_gc_duration_seconds_count"
	run := func(t *testing.T, cfg string, env []string) *proc {
		cmd := exec.Command(binary, "serve", "--config", cfg)
		cmd.Env = env
		return startCmd(t, []string{"proxy", "admin"}, cmd)
	}

	t.Run("default, then reloaded to 0", func(t *testing.T) {
		cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
		p := run(t, cfg, envWithout("GOGC"))
		waitFor(t, "a percent above 100", func() bool { return metric(t, p, percent) > 100 })
		if got := metric(t, p, percent); got > 800 {
			t.Errorf("percent %v, want at most 800 (the runtime's heap minimum at 8× is the 32 MiB floor)", got)
		}
		text, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, append(text, "server:\n  heap_floor: 0\n"...), 0o600); err != nil {
			t.Fatal(err)
		}
		p.signal(t, syscall.SIGHUP)
		waitLog(t, p, "configuration reloaded")
		if got := metric(t, p, percent); got != 100 {
			t.Errorf("after a reload to heap_floor 0: percent %v, want 100", got)
		}
	})
	t.Run("off", func(t *testing.T) {
		p := run(t, writeConfig(t, pool, up.URL, e2ePolicy, "server:\n  heap_floor: 0\n"), envWithout("GOGC"))
		waitFor(t, "two collections", func() bool { return metric(t, p, cycles) >= 2 })
		if got := metric(t, p, percent); got != 100 {
			t.Errorf("heap_floor 0: percent %v, want 100", got)
		}
	})
	t.Run("GOGC set", func(t *testing.T) {
		p := run(t, writeConfig(t, pool, up.URL, e2ePolicy, "server:\n  heap_floor: 64MiB\n"), append(envWithout("GOGC"), "GOGC=50"))
		waitLog(t, p, "server.heap_floor not applied: GOGC is set")
		waitFor(t, "two collections", func() bool { return metric(t, p, cycles) >= 2 })
		if got := metric(t, p, percent); got != 50 {
			t.Errorf("GOGC=50: percent %v, want 50", got)
		}
	})
}

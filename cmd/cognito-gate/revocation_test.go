package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// TestDenyListWatch: the watch loads a changed file (logged once the next
// tick shows the poll is over), reports a refused one, and ends with its
// context. The ticks are the test's own.
func TestDenyListWatch(t *testing.T) {
	d, logs := testDenyList(t, "revocation:\n  file: revoked.jsonl\n", map[string]string{"revoked.jsonl": ""})
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() { defer close(ended); d.watch(ctx, ticks) }()
	// Three ticks: the second waits for the first poll, the third for
	// the logging that follows it.
	poll := func() {
		for range 3 {
			ticks <- time.Now()
		}
	}
	tok := &claims.Token{JTI: "j"}

	poll()
	if n := logs.FilterMessage("revocation file changed; loaded").Len(); n != 0 {
		t.Errorf("an unchanged file logged %d loads", n)
	}
	writeRenamed(t, d.setup.file, line(revocation.JTI, "j"))
	poll()
	if !d.denylist().Revoked(tok, time.Now()) {
		t.Fatal("the change was not loaded")
	}
	if e := logs.FilterMessage("revocation file changed; loaded").All(); len(e) != 1 || e[0].ContextMap()["entries"] != int64(1) {
		t.Errorf("load logs: %v", logs.All())
	}
	writeRenamed(t, d.setup.file, "bad\n")
	poll()
	if !d.denylist().Revoked(tok, time.Now()) {
		t.Error("a refused file dropped the entries held")
	}
	if e := logs.FilterMessage("revocation file refused; keeping the entries held").All(); len(e) != 1 || !strings.Contains(e[0].ContextMap()["error"].(string), "revoked.jsonl:1: not a JSON object") {
		t.Errorf("refusal logs: %v", logs.All())
	}
	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not end with its context")
	}
}

// TestDenyListStartClose: start runs the watch only with a poll interval;
// close ends it (and may be called twice); a nil deny list does nothing.
func TestDenyListStartClose(t *testing.T) {
	d, _ := testDenyList(t, "revocation:\n  file: revoked.jsonl\n  poll_interval: 1h\n", map[string]string{"revoked.jsonl": ""})
	d.start()
	if d.stop == nil {
		t.Fatal("no watch started")
	}
	d.close()
	select {
	case <-d.done:
	default:
		t.Error("close returned before the watch ended")
	}
	d.close()

	off, _ := testDenyList(t, "revocation:\n  file: revoked.jsonl\n  poll_interval: 0s\n", map[string]string{"revoked.jsonl": ""})
	off.start()
	if off.stop != nil {
		t.Error("a watch with poll_interval 0s")
	}
	var none *denyList
	none.start()
	none.reload()
	none.close()
	if none.collectors() != nil || none.denylist() != nil {
		t.Error("a nil deny list has metrics or a Denylist")
	}
}

// TestDenyListReload: SIGHUP loads the file again and logs it, with
// counts; a broken file keeps the entries held.
func TestDenyListReload(t *testing.T) {
	d, logs := testDenyList(t, "revocation:\n  file: revoked.jsonl\n", map[string]string{"revoked.jsonl": ""})
	writeRenamed(t, d.setup.file, line(revocation.Subject, "s")+revocation.Entry{Kind: revocation.JTI, Value: "old", Expires: time.Now().Add(-time.Minute).Truncate(time.Second)}.String()+"\n")
	d.reload()
	if e := logs.FilterMessage("revocation reloaded").All(); len(e) != 1 || e[0].ContextMap()["entries"] != int64(1) || e[0].ContextMap()["stale"] != int64(1) {
		t.Errorf("reload logs: %v", logs.All())
	}
	writeRenamed(t, d.setup.file, "{}\n")
	d.reload()
	if e := logs.FilterMessage("revocation reload failed; keeping the entries held").All(); len(e) != 1 || e[0].ContextMap()["entries"] != int64(1) {
		t.Errorf("refusal logs: %v", logs.All())
	}
	if !d.denylist().Revoked(&claims.Token{Subject: "s"}, time.Now()) {
		t.Error("the entries held were dropped")
	}
	// The watch does not log the loads SIGHUP logged.
	d.logLoads()
	if n := logs.FilterMessage("revocation file changed; loaded").Len(); n != 0 {
		t.Errorf("a SIGHUP's load logged again by the watch: %d", n)
	}
}

// TestReplicaEntries: this replica's entries are checked like the
// file's, and those that expired are dropped at the next add.
func TestReplicaEntries(t *testing.T) {
	d, _ := testDenyList(t, adminSection, adminFiles())
	r := d.replica
	now := time.Now()
	first := revocation.Entry{Kind: revocation.JTI, Value: "a", Expires: now.Add(time.Minute).Truncate(time.Second)}
	if n, err := r.add(first, now); n != 1 || err != nil {
		t.Fatalf("add: %d %v", n, err)
	}
	later := now.Add(2 * time.Minute)
	second := revocation.Entry{Kind: revocation.JTI, Value: "b", Expires: later.Add(time.Hour).Truncate(time.Second)}
	if n, err := r.add(second, later); n != 1 || err != nil {
		t.Fatalf("add: %d %v", n, err)
	}
	if r.list.Revoked(&claims.Token{JTI: "a"}, now) || !r.list.Revoked(&claims.Token{JTI: "b"}, now) {
		t.Error("the expired entry was kept, or the new one not held")
	}
	dir := r.dir
	d.close()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the replica's directory %s is left: %v", dir, err)
	}
}

// TestRevocationMetrics: the collector passes the linter and reports the
// lists' state.
func TestRevocationMetrics(t *testing.T) {
	d, _ := testDenyList(t, adminSection, map[string]string{"revoked.jsonl": line(revocation.JTI, "a"), "admin.token": testAdminSecret})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(d.collectors()...)
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	want := `
# HELP cognito_gate_revocation_entries Deny list entries in force (not expired), by list: file (revocation.file) or replica (added on this replica alone, the file being read-only).
# TYPE cognito_gate_revocation_entries gauge
cognito_gate_revocation_entries{list="file"} 1
cognito_gate_revocation_entries{list="replica"} 0
# HELP cognito_gate_revocation_last_load_success 1 when the last load of the deny list file succeeded, 0 when it was refused and an older list is in force.
# TYPE cognito_gate_revocation_last_load_success gauge
cognito_gate_revocation_last_load_success 1
# HELP cognito_gate_revocation_loads_total Loads of the deny list file (start-up, SIGHUP, changes seen by the poll, admin additions), by result: loaded, or refused (the entries held stay).
# TYPE cognito_gate_revocation_loads_total counter
cognito_gate_revocation_loads_total{result="loaded"} 1
cognito_gate_revocation_loads_total{result="refused"} 0
# HELP cognito_gate_config_revocation_max_entries revocation.max_entries, the default applied: a deny list file with more entries in force is refused.
# TYPE cognito_gate_config_revocation_max_entries gauge
cognito_gate_config_revocation_max_entries 100000
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cognito_gate_revocation_entries", "cognito_gate_revocation_last_load_success",
		"cognito_gate_revocation_loads_total", "cognito_gate_config_revocation_max_entries"); err != nil {
		t.Error(err)
	}
	writeRenamed(t, d.setup.file, "x\n")
	d.reload()
	want = `
# HELP cognito_gate_revocation_last_load_success 1 when the last load of the deny list file succeeded, 0 when it was refused and an older list is in force.
# TYPE cognito_gate_revocation_last_load_success gauge
cognito_gate_revocation_last_load_success 0
# HELP cognito_gate_revocation_loads_total Loads of the deny list file (start-up, SIGHUP, changes seen by the poll, admin additions), by result: loaded, or refused (the entries held stay).
# TYPE cognito_gate_revocation_loads_total counter
cognito_gate_revocation_loads_total{result="loaded"} 1
cognito_gate_revocation_loads_total{result="refused"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cognito_gate_revocation_last_load_success", "cognito_gate_revocation_loads_total"); err != nil {
		t.Error(err)
	}
}

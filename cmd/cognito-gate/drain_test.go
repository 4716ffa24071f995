package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// drainRig is a runner on two listeners of 127.0.0.1 (a main one answering
// "ok", an admin one with /healthz and /readyz) whose signals and drain
// timer the test controls.
type drainRig struct {
	r            *runner
	main, admin  string // base URLs
	sigs         chan os.Signal
	timerStarted chan time.Duration
	fire         chan time.Time
	reloads      atomic.Int32
	done         chan error    // run's result
	finished     chan struct{} // closed when run returned
}

func newDrainRig(t *testing.T, delay time.Duration) *drainRig {
	t.Helper()
	rig := &drainRig{sigs: make(chan os.Signal, 4), timerStarted: make(chan time.Duration, 1), fire: make(chan time.Time), done: make(chan error, 1), finished: make(chan struct{})}
	d := &drainState{}
	admin := http.NewServeMux()
	admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	admin.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ready\n") })
	lns := []listener{
		{name: "main", srv: &http.Server{Handler: d.closeConnections(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })), ReadHeaderTimeout: time.Second}},
		{name: "admin", srv: &http.Server{Handler: d.readiness(admin), ReadHeaderTimeout: time.Second}, drain: d.start},
	}
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i].ln = ln
	}
	rig.main, rig.admin = "http://"+lns[0].ln.Addr().String(), "http://"+lns[1].ln.Addr().String()
	rig.r = &runner{
		logger: zap.NewNop(), lns: lns, reload: func() { rig.reloads.Add(1) },
		drainDelay: delay, shutdownTimeout: 5 * time.Second, signals: rig.sigs,
		after: func(d time.Duration) <-chan time.Time { rig.timerStarted <- d; return rig.fire },
	}
	go func() { rig.done <- rig.r.run(context.Background()); close(rig.finished) }()
	t.Cleanup(func() {
		select {
		case <-rig.finished:
		default:
			rig.sigs <- syscall.SIGTERM
			rig.sigs <- syscall.SIGTERM
			<-rig.finished
		}
	})
	return rig
}

// status GETs url on a new connection and returns the status, or 0 and the
// error.
func status(url string) (int, bool, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Close, nil
}

func mustStatus(t *testing.T, url string, want int) {
	t.Helper()
	got, _, err := status(url)
	if err != nil || got != want {
		t.Fatalf("GET %s: %d %v, want %d", url, got, err, want)
	}
}

// TestRunnerDrain checks the order of a stop, with the drain timer in the
// test's hands: at the signal /readyz turns 503 at once while both
// listeners go on serving (/healthz too) as long as the timer has not
// fired; when it fires the listeners close.
func TestRunnerDrain(t *testing.T) {
	rig := newDrainRig(t, 10*time.Second)
	mustStatus(t, rig.admin+"/readyz", 200)
	mustStatus(t, rig.main+"/", 200)
	rig.sigs <- syscall.SIGHUP
	rig.sigs <- syscall.SIGTERM
	if d := <-rig.timerStarted; d != 10*time.Second {
		t.Errorf("drain timer %s, want 10s", d)
	}
	for range 3 {
		mustStatus(t, rig.admin+"/readyz", 503)
		mustStatus(t, rig.admin+"/healthz", 200)
		got, closed, err := status(rig.main + "/")
		if err != nil || got != 200 || !closed {
			t.Fatalf("main listener while draining: %d, Connection: close %v, %v; want 200 and close", got, closed, err)
		}
	}
	// A SIGHUP while draining does not reload.
	rig.sigs <- syscall.SIGHUP
	mustStatus(t, rig.main+"/", 200)
	select {
	case err := <-rig.done:
		t.Fatalf("run returned before the drain timer fired: %v", err)
	default:
	}
	rig.fire <- time.Now()
	if err := <-rig.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, _, err := status(rig.main + "/"); err == nil {
		t.Error("the main listener still serves after the shutdown")
	}
	if n := rig.reloads.Load(); n != 1 {
		t.Errorf("%d reloads, want 1 (the SIGHUP before the stop)", n)
	}
}

// TestRunnerDrainCutShort checks that a second stop signal ends the drain
// without waiting for its timer, and that no delay means no timer.
func TestRunnerDrainCutShort(t *testing.T) {
	t.Run("second signal", func(t *testing.T) {
		rig := newDrainRig(t, time.Hour)
		rig.sigs <- syscall.SIGTERM
		<-rig.timerStarted
		mustStatus(t, rig.admin+"/readyz", 503)
		rig.sigs <- os.Interrupt
		if err := <-rig.done; err != nil {
			t.Fatalf("run: %v", err)
		}
	})
	t.Run("no delay", func(t *testing.T) {
		rig := newDrainRig(t, 0)
		rig.sigs <- syscall.SIGTERM
		if err := <-rig.done; err != nil {
			t.Fatalf("run: %v", err)
		}
		select {
		case d := <-rig.timerStarted:
			t.Errorf("a drain timer of %s with no drain_delay", d)
		default:
		}
	})
}

// TestDrainOnSIGTERM stops the real binary under a stream of requests,
// each on a new connection: /readyz turns 503 while the stream is still
// served, and no connection is refused before the gateway logged that it
// was shutting down (after server.drain_delay).
func TestDrainOnSIGTERM(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "server:\n  drain_delay: 300ms\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)

	type event struct {
		at     time.Time
		status int
		err    error
	}
	var (
		mu     sync.Mutex
		events []event
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, _, err := status(p.addr["proxy"] + "/public/x")
			mu.Lock()
			events = append(events, event{time.Now(), code, err})
			mu.Unlock()
			if err != nil {
				return // the listener is gone: the stream ends
			}
		}
	}()
	successes := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, e := range events {
			if e.err == nil && e.status == 200 {
				n++
			}
		}
		return n
	}
	for successes() < 3 {
		time.Sleep(time.Millisecond) // let the stream get going
	}

	p.signal(t, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, err := status(p.addr["admin"] + "/readyz")
		if err != nil {
			t.Fatalf("/readyz while draining: %v", err)
		}
		if code == 503 {
			break
		}
		if code != 200 || time.Now().After(deadline) {
			t.Fatalf("/readyz after SIGTERM: %d, want 503", code)
		}
	}
	notReadyAt := time.Now()
	served := successes()
	for successes() < served+3 {
		// The stream goes on being served after /readyz said 503.
		mu.Lock()
		failed := len(events) > 0 && events[len(events)-1].err != nil
		mu.Unlock()
		if failed {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	close(stop)
	wg.Wait()

	shutdownAt := logTime(t, p.stderr.String(), "shutting down")
	drainAt := logTime(t, p.stderr.String(), "draining")
	if drainAt.After(notReadyAt) {
		t.Errorf("/readyz answered 503 at %s, before the drain started at %s", notReadyAt, drainAt)
	}
	after := 0
	for _, e := range events {
		switch {
		case e.err != nil && e.at.Before(shutdownAt):
			t.Errorf("request refused at %s, before the shutdown at %s: %v", e.at.Format(time.StampMicro), shutdownAt.Format(time.StampMicro), e.err)
		case e.err == nil && e.status != 200:
			t.Errorf("request answered %d during the drain", e.status)
		case e.err == nil && e.at.After(notReadyAt):
			after++
		}
	}
	if after < 3 {
		t.Errorf("%d requests served after /readyz turned 503, want the stream to go on (3 or more)", after)
	}
	// The stream ends at the shutdown: a refused connection, or one the
	// kernel had queued and the closing listener reset.
	if last := events[len(events)-1]; last.err == nil || last.at.Before(shutdownAt) {
		t.Errorf("the stream ended with %v at %s, want an error once the listener closed at %s", last.err, last.at.Format(time.StampMicro), shutdownAt.Format(time.StampMicro))
	}
	if t.Failed() {
		t.Logf("drain at %s, /readyz 503 seen at %s, shutdown at %s; %d requests", drainAt.Format(time.StampMicro), notReadyAt.Format(time.StampMicro), shutdownAt.Format(time.StampMicro), len(events))
		for _, e := range events[max(0, len(events)-10):] {
			t.Logf("  %s %d %v", e.at.Format(time.StampMicro), e.status, e.err)
		}
	}
}

// logTime returns the time of the first JSON log line whose message
// contains msg.
func logTime(t *testing.T, logs, msg string) time.Time {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			TS  float64 `json:"ts"`
			Msg string  `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && strings.Contains(l.Msg, msg) {
			sec := int64(l.TS)
			return time.Unix(sec, int64((l.TS-float64(sec))*1e9))
		}
	}
	t.Fatalf("no log line %q:\n%s", msg, logs)
	return time.Time{}
}

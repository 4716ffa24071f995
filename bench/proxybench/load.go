package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// workload is what one path is sent. Every request carries one credential
// line: "Authorization: Bearer <token>" or, on the anonymous route, a
// padding header of the same length, so that every path reads and
// forwards the same number of header bytes.
type workload struct {
	// reqs are the raw requests, cycled in order by all connections.
	reqs [][]byte
	// want is the status every answer must have; a 200 must carry
	// upstreamBody.
	want int
	// limit, when positive, ends the run after that many requests.
	limit int64
}

// newWorkload builds the raw requests for host: one per token (cycled),
// path and the credential line. tokens empty means no token: pad has the
// length of the credential line to imitate.
func newWorkload(host, path string, tokens []string, padTo, want int) workload {
	var w workload
	if len(tokens) == 0 {
		tokens = []string{""}
	}
	for _, tok := range tokens {
		var b bytes.Buffer
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: proxybench\r\nAccept: */*\r\n", path, host)
		if tok != "" {
			fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", tok)
		} else {
			const name = "X-Bench-Pad: "
			fmt.Fprintf(&b, "%s%s\r\n", name, bytes.Repeat([]byte("p"), max(padTo-len(name), 1)))
		}
		b.WriteString("\r\n")
		w.reqs = append(w.reqs, b.Bytes())
	}
	w.want = want
	return w
}

// credLine returns the length of "Authorization: Bearer <tok>".
func credLine(tok string) int { return len("Authorization: Bearer ") + len(tok) }

// outcome is what one load run measured.
type outcome struct {
	requests  int64 // answered in the measured window
	wrong     int64 // warm-up included: a status other than want, a 200 without the upstream's body, a transport error
	reconnect int64 // connections the server closed (then reopened)
	elapsed   time.Duration
	latencies []time.Duration // of the measured requests
	samples   []string        // the first wrong answers
}

// drive sends w to addr over conns keep-alive connections: warm untimed,
// then for dur, with onStart and onEnd called at the measured window's
// edges (to read CPU counters). Every answer is checked.
func drive(ctx context.Context, addr string, w workload, conns int, warm, dur time.Duration, onStart, onEnd func()) outcome {
	var (
		next      atomic.Int64
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex
		out       outcome
		wg        sync.WaitGroup
	)
	perConn := make([][]time.Duration, conns)
	counts := make([][3]int64, conns) // requests, wrong, reconnects in the window
	note := func(s string) {
		mu.Lock()
		if len(out.samples) < 5 {
			out.samples = append(out.samples, s)
		}
		mu.Unlock()
	}
	for c := range conns {
		wg.Go(func() {
			var conn net.Conn
			var br *bufio.Reader
			var body bytes.Buffer
			lat := make([]time.Duration, 0, 1<<14)
			for !stop.Load() && ctx.Err() == nil {
				if conn == nil {
					var err error
					if conn, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						counts[c][1]++
						note("dial: " + err.Error())
						time.Sleep(10 * time.Millisecond) // a refused connection must not spin
						continue
					}
					br = bufio.NewReaderSize(conn, 16<<10)
				}
				i := next.Add(1) - 1
				if w.limit > 0 && i >= w.limit {
					break
				}
				req := w.reqs[int(i)%len(w.reqs)]
				in := measuring.Load()
				start := time.Now()
				conn.SetDeadline(start.Add(10 * time.Second))
				_, err := conn.Write(req)
				var resp *http.Response
				if err == nil {
					resp, err = http.ReadResponse(br, nil)
				}
				if err == nil {
					body.Reset()
					_, err = io.Copy(&body, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(start)
				wrong := ""
				switch {
				case err != nil:
					wrong = "transport: " + err.Error()
				case resp.StatusCode != w.want:
					wrong = fmt.Sprintf("status %d, want %d", resp.StatusCode, w.want)
				case w.want == http.StatusOK && body.String() != upstreamBody:
					wrong = fmt.Sprintf("200 with body %.40q, not the upstream's", body.String())
				case w.want != http.StatusOK && body.String() == upstreamBody:
					wrong = "a denied request reached the upstream"
				}
				closed := err != nil || resp.Close
				if in && measuring.Load() {
					counts[c][0]++
					lat = append(lat, d)
					if closed && err == nil {
						counts[c][2]++
					}
				}
				if wrong != "" {
					counts[c][1]++ // warm-up included: nothing wrong goes unreported
					note(wrong)
				}
				if closed {
					conn.Close()
					conn = nil
				}
			}
			if conn != nil {
				conn.Close()
			}
			perConn[c] = lat
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	sleep(ctx, warm)
	onStart()
	start := time.Now()
	measuring.Store(true)
	t := time.NewTimer(dur)
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-done: // a limited run sent all its requests
	}
	t.Stop()
	measuring.Store(false)
	out.elapsed = time.Since(start)
	onEnd()
	stop.Store(true)
	<-done
	for c := range conns {
		out.requests += counts[c][0]
		out.wrong += counts[c][1]
		out.reconnect += counts[c][2]
		out.latencies = append(out.latencies, perConn[c]...)
	}
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

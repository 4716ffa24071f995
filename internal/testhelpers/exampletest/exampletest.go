// Package exampletest runs the programs under examples/ in their tests:
// it starts one in the background and replays the curl commands it prints,
// checking that each answers the status its comment promises.
package exampletest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Run is the signature of an example's run function: serve on addr until
// ctx ends, print the curl lines to out, send the address to ready once
// listening.
type Run func(ctx context.Context, addr string, out io.Writer, ready chan<- string) error

// curlLine matches `curl -i [-H 'Authorization: Bearer TOKEN'] [-X METHOD] URL   # STATUS ...`.
var curlLine = regexp.MustCompile(`^curl -i (?:-H 'Authorization: Bearer (\S+)' )?(?:-X (\S+) )?(\S+)\s+# (\d{3})`)

// ReplayCurl starts run on 127.0.0.1, replays every curl line it prints (see
// Replay) and returns how many it replayed. It stops run before returning.
func ReplayCurl(t *testing.T, run Run) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", &out, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	}
	n := Replay(t, out.String())
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	return n
}

// Replay replays every curl line in text and returns how many it replayed.
func Replay(t *testing.T, text string) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		m := curlLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		method := m[2]
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequest(method, m[3], nil)
		if err != nil {
			t.Fatal(err)
		}
		if m[1] != "" {
			req.Header.Set("Authorization", "Bearer "+m[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Status[:3]; got != m[4] {
			t.Errorf("%s %s: status %s, the example says %s", method, m[3], got, m[4])
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package jwks_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// slowEndpoint is a key set server behind an in-memory dialer: every
// connection the default HTTP client dials is a net.Pipe whose far end
// reads one request, waits delay (fake time inside a synctest bubble)
// and answers with body. It lets the real default client — its Timeout,
// ResponseHeaderTimeout and transport — run inside the bubble.
type slowEndpoint struct {
	delay time.Duration
	body  []byte
	wg    sync.WaitGroup // the connections being served
}

func (e *slowEndpoint) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	e.wg.Go(func() { e.serve(server) })
	return client, nil
}

func (e *slowEndpoint) serve(conn net.Conn) {
	defer conn.Close()
	if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
		return
	}
	time.Sleep(e.delay)
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(e.body)) + "\r\n\r\n" + string(e.body)
	_, _ = conn.Write([]byte(resp))
}

// slowIssuer is served by slowEndpoint, over plain http.
const slowIssuer = "http://keys.test/pool"

// TestDefaultClientFollowsFetchTimeout guards finding 20: the default HTTP
// client had a hard-coded 3 s Timeout and ResponseHeaderTimeout, so a
// FetchTimeout above 3 s for a slow key endpoint had no effect. The client
// is now built from FetchTimeout; the test runs the default client itself
// (only its dialer is replaced) against an endpoint that answers late.
func TestDefaultClientFollowsFetchTimeout(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name         string
		fetchTimeout time.Duration
		delay        time.Duration
		wantOK       bool
	}{
		{"default timeout, quick answer", 0, 2 * time.Second, true},
		{"default timeout, answer after 5s", 0, 5 * time.Second, false},
		{"10s timeout, answer after 5s", 10 * time.Second, 5 * time.Second, true},
		{"10s timeout, answer after 9s", 10 * time.Second, 9 * time.Second, true},
		{"10s timeout, answer after 11s", 10 * time.Second, 11 * time.Second, false},
		{"1s timeout, answer after 2s", time.Second, 2 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ep := &slowEndpoint{delay: tt.delay, body: set(k.a)}
				cfg := jwks.WithDialer(jwks.Config{FetchTimeout: tt.fetchTimeout}, ep.dial)
				c, err := jwks.New(cfg, jwks.Source{Issuer: slowIssuer, AllowHTTP: true})
				if err != nil {
					t.Fatal(err)
				}
				// Close the cache, then let the endpoint finish its late
				// answers (to closed connections) before the bubble ends.
				defer ep.wg.Wait()
				defer c.Close()
				start := time.Now()
				err = c.Hydrate(bg)
				took := time.Since(start)
				if tt.wantOK {
					if err != nil {
						t.Fatalf("Hydrate after %s: %v", took, err)
					}
					if took != tt.delay {
						t.Errorf("Hydrate took %s, want %s", took, tt.delay)
					}
					return
				}
				if !errors.Is(err, jwks.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Hydrate: %v, want ErrUnavailable caused by a timeout", err)
				}
				want := tt.fetchTimeout
				if want == 0 {
					want = jwks.DefaultFetchTimeout
				}
				if took != want {
					t.Errorf("Hydrate gave up after %s, want %s", took, want)
				}
				if got := c.Set(slowIssuer).Status().Fetches["timeout"]; got != 1 {
					t.Errorf("timeout fetches = %d, want 1", got)
				}
			})
		})
	}
}

// TestDefaultClientTimeouts checks the default client's settings for a few
// FetchTimeouts, and that a client given in the configuration is used as
// it is.
func TestDefaultClientTimeouts(t *testing.T) {
	tests := []struct {
		fetchTimeout, want, connect time.Duration
	}{
		{0, jwks.DefaultFetchTimeout, 2 * time.Second},
		{10 * time.Second, 10 * time.Second, 2 * time.Second},
		{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		c, err := jwks.New(jwks.Config{FetchTimeout: tt.fetchTimeout}, jwks.Source{Issuer: "https://127.0.0.1:1/pool"})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		hc := jwks.HTTPClientOf(c)
		tr := hc.Transport.(*http.Transport)
		if hc.Timeout != tt.want || tr.ResponseHeaderTimeout != tt.want || tr.TLSHandshakeTimeout != tt.connect {
			t.Errorf("FetchTimeout %s: client timeout %s, response header timeout %s, TLS %s; want %s, %s, %s",
				tt.fetchTimeout, hc.Timeout, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tt.want, tt.want, tt.connect)
		}
		if hc.CheckRedirect == nil || hc.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
			t.Errorf("FetchTimeout %s: redirects are followed", tt.fetchTimeout)
		}
	}
	own := &http.Client{}
	c, err := jwks.New(jwks.Config{HTTPClient: own, FetchTimeout: 10 * time.Second}, jwks.Source{Issuer: "https://127.0.0.1:1/pool"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if jwks.HTTPClientOf(c) != own || own.Timeout != 0 {
		t.Error("the configured client was replaced or changed")
	}
	if d := jwks.DefaultHTTPClient(); d.Timeout != jwks.DefaultFetchTimeout {
		t.Errorf("DefaultHTTPClient().Timeout = %s", d.Timeout)
	}
}

package fakepool_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// answer is what a client got from the JWKS endpoint.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// getCtx fetches url with a client of its own (no shared idle
// connections) and reads the whole body.
func getCtx(ctx context.Context, method, url string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return answer{}, err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
}

func httpGet(t *testing.T, url string) (answer, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return getCtx(ctx, http.MethodGet, url)
}

func TestFaults(t *testing.T) {
	p := faultPool(t)
	jwks := p.JWKS()
	huge := bytes.Repeat([]byte("x"), 4<<20)
	tests := []struct {
		name       string
		fault      fakepool.Fault
		wantStatus int
		wantBody   []byte
		wantErr    error // from reading the answer
	}{
		{"none", fakepool.Fault{}, http.StatusOK, jwks, nil},
		{"status", fakepool.Fault{Status: http.StatusInternalServerError, Body: []byte("boom")}, http.StatusInternalServerError, []byte("boom"), nil},
		{"status without body", fakepool.Fault{Status: http.StatusServiceUnavailable}, http.StatusServiceUnavailable, []byte{}, nil},
		{"garbage body", fakepool.Fault{Body: []byte("{not json")}, http.StatusOK, []byte("{not json"), nil},
		{"huge body", fakepool.Fault{Body: huge}, http.StatusOK, huge, nil},
		{"short delay", fakepool.Fault{Delay: 20 * time.Millisecond}, http.StatusOK, jwks, nil},
		{"close mid body", fakepool.Fault{CloseMidBody: true}, http.StatusOK, jwks[:len(jwks)/2], io.ErrUnexpectedEOF},
		{"close mid garbage", fakepool.Fault{Body: []byte("0123456789"), CloseMidBody: true}, http.StatusOK, []byte("01234"), io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.SetFault(tt.fault)
			defer p.ClearFault()
			before := p.Fetches()
			start := time.Now()
			got, err := httpGet(t, p.JWKSURL())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GET error = %v, want %v", err, tt.wantErr)
			}
			if elapsed := time.Since(start); elapsed < tt.fault.Delay {
				t.Errorf("answered after %v, want at least the delay %v", elapsed, tt.fault.Delay)
			}
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if !bytes.Equal(got.body, tt.wantBody) {
				t.Errorf("body = %.80q (%d bytes), want %.80q (%d bytes)", got.body, len(got.body), tt.wantBody, len(tt.wantBody))
			}
			if got, want := p.Fetches(), before+1; got != want {
				t.Errorf("Fetches() = %d, want %d", got, want)
			}
		})
	}
}

func TestFaultBodyIsCopied(t *testing.T) {
	p := faultPool(t)
	body := []byte("first")
	p.SetFault(fakepool.Fault{Body: body})
	defer p.ClearFault()
	copy(body, "later")
	got, err := httpGet(t, p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	if string(got.body) != "first" {
		t.Errorf("body = %q, want %q as it was at SetFault", got.body, "first")
	}
}

func TestFaultDelayHonorsClientTimeout(t *testing.T) {
	p := faultPool(t)
	defer p.ClearFault()
	before := p.Fetches()
	for _, f := range []fakepool.Fault{{Delay: time.Hour}, {Hang: true}} {
		p.SetFault(f)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		_, err := getCtx(ctx, http.MethodGet, p.JWKSURL())
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("fault %+v: GET error = %v, want the client's deadline", f, err)
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Errorf("fault %+v: GET took %v despite a 50ms client timeout", f, elapsed)
		}
	}
	// The endpoint is still usable afterwards.
	p.ClearFault()
	if got, err := httpGet(t, p.JWKSURL()); err != nil || got.status != http.StatusOK {
		t.Errorf("after ClearFault: %d, %v, want 200", got.status, err)
	}
	if got, want := p.Fetches(), before+3; got != want {
		t.Errorf("Fetches() = %d, want %d", got, want)
	}
}

func TestCloseEndsHangingRequests(t *testing.T) {
	p, err := fakepool.New(fakepool.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetFault(fakepool.Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		_, err := getCtx(context.Background(), http.MethodGet, p.JWKSURL())
		errc <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for p.Fetches() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hanging request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return while a request hung")
	}
	if err := <-errc; err == nil {
		t.Errorf("hanging request got an answer, want an error once the pool closed")
	}

	p.Close() // a second Close is a no-op
	if _, err := httpGet(t, p.JWKSURL()); err == nil {
		t.Errorf("jwks still served after Close")
	}
	// Minting does not need the server.
	if tok := p.AccessToken(); strings.Count(tok, ".") != 2 {
		t.Errorf("AccessToken() after Close = %q", tok)
	}
}

func TestFetchesAndRouting(t *testing.T) {
	p := sharedPool(t)
	base := strings.TrimSuffix(p.JWKSURL(), "/"+p.PoolID()+"/.well-known/jwks.json")
	tests := []struct {
		name, method, url string
		wantStatus        int
		counted           bool
	}{
		{"jwks", http.MethodGet, p.JWKSURL(), http.StatusOK, true},
		{"jwks head", http.MethodHead, p.JWKSURL(), http.StatusOK, true},
		{"jwks post", http.MethodPost, p.JWKSURL(), http.StatusMethodNotAllowed, false},
		{"root", http.MethodGet, base + "/", http.StatusNotFound, false},
		{"jwks of another pool", http.MethodGet, base + "/us-east-1_Other/.well-known/jwks.json", http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Fetches()
			got, err := getCtx(context.Background(), tt.method, tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			want := before
			if tt.counted {
				want++
			}
			if got := p.Fetches(); got != want {
				t.Errorf("Fetches() = %d, want %d", got, want)
			}
		})
	}
}

// TestConcurrentUse mints, fetches, rotates and faults at once; run it
// with -race.
func TestConcurrentUse(t *testing.T) {
	p := newPool(t, fakepool.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				opts := []fakepool.TokenOption{fakepool.WithUsername([]string{"a", "b", "c"}[j%3])}
				if i%2 == 0 {
					p.AccessToken(opts...)
				} else {
					p.IDToken(opts...)
				}
				p.KeyIDs()
				p.JWKS()
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = getCtx(ctx, http.MethodGet, p.JWKSURL())
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			p.SetFault(fakepool.Fault{Status: http.StatusBadGateway})
			p.ClearFault()
		}
	})
	wg.Go(func() {
		kid := p.Rotate()
		p.AccessToken(fakepool.WithUnpublishedKey())
		p.Retire(kid)
		p.Fetches()
	})
	time.AfterFunc(200*time.Millisecond, cancel)
	wg.Wait()
}

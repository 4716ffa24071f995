package fakepool

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestEmbeddedKeys(t *testing.T) {
	if got, want := len(embeddedKeys), 16; got != want {
		t.Fatalf("%d embedded keys, want %d", got, want)
	}
	seen := make(map[string]bool)
	for i, load := range embeddedKeys {
		k := load()
		if err := k.Validate(); err != nil {
			t.Errorf("embedded key %d: %v", i, err)
		}
		if k.N.BitLen() != keyBits {
			t.Errorf("embedded key %d has %d bits", i, k.N.BitLen())
		}
		if load() != k {
			t.Errorf("embedded key %d parsed twice", i)
		}
		kid := keyID(&k.PublicKey)
		if seen[kid] {
			t.Errorf("embedded key %d repeats kid %s", i, kid)
		}
		seen[kid] = true
	}
}

// TestNewKeyNeverRepeats hands out keys until the embedded ones are used up
// and checks that newKey then generates fresh ones.
func TestNewKeyNeverRepeats(t *testing.T) {
	var handedOut atomic.Uint64 // not the package's counter: pools keep theirs
	seen := make(map[string]bool)
	for range len(embeddedKeys) + 2 {
		k, err := nextKey(&handedOut)
		if err != nil {
			t.Fatal(err)
		}
		kid := keyID(&k.PublicKey)
		if seen[kid] {
			t.Fatalf("newKey returned kid %s twice", kid)
		}
		seen[kid] = true
		if k.N.BitLen() != keyBits {
			t.Errorf("newKey returned a %d-bit key", k.N.BitLen())
		}
	}
	for _, load := range embeddedKeys {
		delete(seen, keyID(&load().PublicKey))
	}
	if got, want := len(seen), 2; got != want {
		t.Errorf("%d generated keys among those handed out past the embedded ones, want %d", got, want)
	}
}

func TestDelayedHandlerReturnsWhenClientLeaves(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetFault(Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.JWKSURL(), nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("delayed request answered within the client's timeout")
	}
	// The handler notices the closed connection and returns; poll for it
	// rather than sleep a fixed time.
	deadline := time.Now().Add(10 * time.Second)
	for p.inflight.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("handler still waiting on its delay after the client went away")
		}
		time.Sleep(time.Millisecond)
	}
}

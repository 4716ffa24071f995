package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestServeContentEncoding: serve passes Accept-Encoding and the upstream's
// encoded answer through as they are. It asks the upstream for no encoding
// the client did not ask for (Go's transport adds "Accept-Encoding: gzip"
// by default), and decodes nothing: a compressed answer reaches the client
// with its Content-Encoding and Content-Length, byte for byte (by default
// the transport would inflate an answer to a request it had added gzip to,
// and drop both headers).
func TestServeContentEncoding(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("upstream ok, compressed"))
	zw.Close()
	var (
		mu   sync.Mutex
		seen []string // Accept-Encoding of each request, "" when absent
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, strings.Join(r.Header.Values("Accept-Encoding"), ","))
		mu.Unlock()
		// Compressed whatever was asked for, as some upstreams do.
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(gz.Len()))
		w.Write(gz.Bytes())
	}))
	t.Cleanup(up.Close)
	cfg := writeConfig(t, pool, up.URL, boundaryPolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)

	for _, tc := range []struct {
		name  string
		lines []string
		want  string // Accept-Encoding at the upstream
	}{
		{"none", nil, ""},
		{"gzip", []string{"Accept-Encoding: gzip"}, "gzip"},
		{"identity", []string{"Accept-Encoding: identity"}, "identity"},
		{"br, gzip", []string{"Accept-Encoding: br, gzip;q=0.5"}, "br, gzip;q=0.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			resp := rawDo(t, p.addr["proxy"], head("GET", "/public/x", "www.example.com", tc.lines...))
			if resp.status != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.status)
			}
			mu.Lock()
			got := append([]string(nil), seen[n:]...)
			mu.Unlock()
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("Accept-Encoding at the upstream %q, want [%q]", got, tc.want)
			}
			if ce := resp.header.Get("Content-Encoding"); ce != "gzip" {
				t.Errorf("Content-Encoding %q, want gzip (the upstream's, passed on)", ce)
			}
			if cl := resp.header.Get("Content-Length"); cl != strconv.Itoa(gz.Len()) {
				t.Errorf("Content-Length %q, want %d", cl, gz.Len())
			}
			if resp.body != gz.String() {
				t.Errorf("body %q, want the upstream's compressed bytes %q", resp.body, gz.String())
			}
		})
	}
}

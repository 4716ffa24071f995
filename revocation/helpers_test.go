package revocation

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// rfc formats t as the file writes times.
func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// clock is the tests' injected clock.
type clock = fakeclock.Clock

// The issuers of the tests.
const (
	issA = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA"
	issB = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolB"
)

// token returns a verified-looking token of pool A, issued and signed in
// at t0 - 1 min, changed by edit.
func token(edit func(*claims.Token)) *claims.Token {
	t := &claims.Token{
		Use:       claims.AccessToken,
		Issuer:    issA,
		Subject:   "7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01",
		Username:  "alice",
		ClientID:  "1example23456789abcdefghij",
		JTI:       "5f0c7a1e-2b3d-4c5e-8f9a-0b1c2d3e4f50",
		OriginJTI: "9b2e4d6f-8a0c-4e1f-9a2b-3c4d5e6f7a80",
		IssuedAt:  t0.Add(-time.Minute),
		AuthTime:  t0.Add(-time.Minute),
		Expiry:    t0.Add(59 * time.Minute),
	}
	if edit != nil {
		edit(t)
	}
	return t
}

// writeFile writes lines, one per line, to a new file in dir and returns
// its path. It replaces any file there by renaming, as Watch wants.
func writeFile(t testing.TB, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// newList returns a list with opts (its clock c unless set) that has
// loaded lines from a file of its own.
func newList(t testing.TB, opts Options, c *clock, lines ...string) *List {
	t.Helper()
	return loadList(t, opts, c, writeFile(t, t.TempDir(), "revoked.jsonl", lines...))
}

// loadList returns a list with opts (its clock c unless set) that has
// loaded the file at path.
func loadList(t testing.TB, opts Options, c *clock, path string) *List {
	t.Helper()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(path); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l
}

// until is the expires of an entry that lives an hour past t0.
var until = rfc(t0.Add(time.Hour))

// uuid returns the i-th of a series of distinct UUID-shaped values of
// kind k, as Cognito's jti, origin_jti and sub are (and as long).
func uuid(k, i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i, k, i%4096, (i/4096)%4096, i*7919)
}

// bigEntries returns n entries spread over every kind, a quarter of the
// subject and username ones with a watermark, an eighth with an issuer.
func bigEntries(n int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		k := kinds[i%len(kinds)]
		e := Entry{Kind: k, Value: uuid(i%len(kinds), i), Expires: t0.Add(time.Hour)}
		if k.watermarked() && i%4 == 0 {
			e.IssuedBefore = t0
		}
		if i%8 == 0 {
			e.Issuer = issA
		}
		out[i] = e
	}
	return out
}

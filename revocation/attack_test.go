package revocation

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// The attacker's tests. The file is trusted input (whoever can write it
// can revoke anyone), but a mistake in it must never fail open, and
// nothing in a token — which its holder does not choose, but which may
// lack claims — may make it slip past an entry or match one meant for
// another.

// TestTokenWithoutClaimsMatchesNothing: a token without a jti,
// origin_jti or username (an ID token without origin_jti, an M2M token
// without username) matches no entry, since no entry may have an empty
// value; and the file that tries one is refused.
func TestTokenWithoutClaimsMatchesNothing(t *testing.T) {
	c := fakeclock.New(t0)
	for _, k := range kinds {
		line := `{"` + string(k) + `":"","expires":"` + until + `"}`
		l := newList(t, Options{}, c)
		if err := l.Load(writeFile(t, t.TempDir(), "f", line)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: an empty value loaded: %v", k, err)
		}
	}
	l := newList(t, Options{}, c,
		`{"jti":"j","expires":"`+until+`"}`, `{"origin_jti":"o","expires":"`+until+`"}`,
		`{"username":"u","expires":"`+until+`"}`, `{"client_id":"c","expires":"`+until+`"}`, `{"sub":"s","expires":"`+until+`"}`)
	bare := token(func(t *claims.Token) { t.JTI, t.OriginJTI, t.Username, t.ClientID, t.Subject = "", "", "", "", "" })
	if l.Revoked(bare, t0) {
		t.Error("a token without the claims matched")
	}
}

// TestValuesAreComparedExactly: case, Unicode normalisation and white
// space make different values, as they do for Cognito (jti values are
// case-sensitive strings) and for the policy. An entry meant for "alice"
// does not refuse "Alice", who is another user of a case-sensitive pool.
func TestValuesAreComparedExactly(t *testing.T) {
	c := fakeclock.New(t0)
	l := newList(t, Options{}, c,
		`{"username":"alice","expires":"`+until+`"}`,
		`{"jti":"5F0C7A1E","expires":"`+until+`"}`,
		`{"username":"caf\u00e9","expires":"`+until+`"}`, // é, one code point
	)
	for _, tt := range []struct {
		edit func(*claims.Token)
		want bool
	}{
		{func(t *claims.Token) { t.Username = "alice" }, true},
		{func(t *claims.Token) { t.Username = "Alice" }, false},
		{func(t *claims.Token) { t.Username = "ALICE" }, false},
		{func(t *claims.Token) { t.Username = "alice " }, false},
		{func(t *claims.Token) { t.Username = "bob"; t.JTI = "5F0C7A1E" }, true},
		{func(t *claims.Token) { t.Username = "bob"; t.JTI = "5f0c7a1e" }, false},
		{func(t *claims.Token) { t.Username = "café" }, true},
		{func(t *claims.Token) { t.Username = "cafe\u0301" }, false}, // e and a combining accent
	} {
		tok := token(tt.edit)
		if got := l.Revoked(tok, t0); got != tt.want {
			t.Errorf("username %q, jti %q: Revoked = %v, want %v", tok.Username, tok.JTI, got, tt.want)
		}
	}
}

// TestDuplicateKeys: a member given twice, however spelt, refuses the
// file: otherwise one reader could revoke "a" where another revokes "b".
func TestDuplicateKeys(t *testing.T) {
	c := fakeclock.New(t0)
	for _, line := range []string{
		`{"jti":"a","jti":"b","expires":"` + until + `"}`,
		`{"jti":"a","\u006ati":"b","expires":"` + until + `"}`,
		`{"sub":"a","expires":"` + until + `","expires":"` + rfc(t0.Add(2*time.Hour)) + `"}`,
		`{"sub":"a","issued_before":"` + rfc(t0) + `","issued_before":"` + rfc(t0.Add(-time.Hour)) + `","expires":"` + until + `"}`,
	} {
		l := newList(t, Options{}, c)
		if err := l.Load(writeFile(t, t.TempDir(), "f", line)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "duplicate member name") {
			t.Errorf("%s: %v, want a duplicate member refused", line, err)
		}
	}
}

// TestHugeFile: a file larger than MaxFileBytes is refused before it is
// parsed, and one of many valid lines beyond MaxEntries is refused
// without holding more than MaxEntries entries.
func TestHugeFile(t *testing.T) {
	c := fakeclock.New(t0)
	dir := t.TempDir()
	line := `{"jti":"5f0c7a1e-2b3d-4c5e-8f9a-0b1c2d3e4f50","expires":"` + until + `"}` + "\n"
	l := newList(t, Options{MaxFileBytes: 1 << 20}, c, `{"jti":"held","expires":"`+until+`"}`)
	huge := writeFile(t, dir, "huge", strings.Repeat(line, (1<<20)/len(line)+1))
	if err := l.Load(huge); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than 1048576 (revocation.max_file_bytes)") {
		t.Fatalf("Load of a file over the limit: %v", err)
	}

	// Distinct entries past MaxEntries.
	var b strings.Builder
	for i := range 2000 {
		b.WriteString(`{"jti":"` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `-` + strconv.Itoa(i) + `","expires":"` + until + "\"}\n")
	}
	l = newList(t, Options{MaxEntries: 1000}, c, `{"jti":"held","expires":"`+until+`"}`)
	err := l.Load(writeFile(t, dir, "many", b.String()))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), ":1001: more than 1000 entries") {
		t.Fatalf("Load of too many entries: %v", err)
	}
	if st := l.Status(); st.Entries != 1 {
		t.Errorf("%d entries held after the refusal, want the 1 held before", st.Entries)
	}
}

// TestEntriesAreJudgedAtUse: an entry stops matching at its expiry
// whatever the clock of the load said, and a watermark compares the
// token's own times, never the time of the request: a token minted
// before a sign-out stays refused however late it is presented.
func TestEntriesAreJudgedAtUse(t *testing.T) {
	c := fakeclock.New(t0)
	l := newList(t, Options{}, c, `{"sub":"s","issued_before":"`+rfc(t0)+`","expires":"`+until+`"}`)
	old := token(func(t *claims.Token) { t.Subject = "s" })
	for _, at := range []time.Duration{0, time.Minute, 59 * time.Minute} {
		if !l.Revoked(old, t0.Add(at)) {
			t.Errorf("at t0+%v the token from before the sign-out passed", at)
		}
	}
	if l.Revoked(old, t0.Add(time.Hour)) {
		t.Error("the entry matched at its expiry")
	}
	// The list's own clock (of loads) does not decide lookups.
	c.Advance(2 * time.Hour)
	if !l.Revoked(old, t0.Add(time.Minute)) {
		t.Error("the lookup used the list's clock, not the one it was given")
	}
}

// TestBarePoolIDIssuer: an entry's iss that is not an issuer but spells a
// pool id ("eu-west-1_PoolA") is compared exactly, as any issuer that is
// not Cognito's: it matches no token of that pool (whose iss is a URL),
// where keyed as the pool id it refused them all. The binary refuses such
// a file (Options.Issuers; TestLoadErrors); a library use without Issuers
// loads it, and it must not widen the entry.
func TestBarePoolIDIssuer(t *testing.T) {
	c := fakeclock.New(t0)
	l := newList(t, Options{}, c, `{"username":"alice","iss":"eu-west-1_PoolA","expires":"`+until+`"}`)
	alice := token(func(t *claims.Token) { t.Username, t.Issuer = "alice", issA })
	if l.Revoked(alice, t0) {
		t.Errorf("an entry of iss %q refused a token of %s", "eu-west-1_PoolA", issA)
	}
	l = newList(t, Options{}, c, `{"username":"alice","iss":"`+issA+`","expires":"`+until+`"}`)
	if !l.Revoked(alice, t0) {
		t.Errorf("the entry of its issuer did not refuse the token")
	}
}

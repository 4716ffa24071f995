package revocation

import (
	"fmt"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// TestRevoked has a row for every rule: which entries refuse which tokens.
func TestRevoked(t *testing.T) {
	tok := token(nil)
	// A sign-out at t0 - 30 s: the token's sign-in (t0 - 1 min) began before it.
	signOut := rfc(t0.Add(-30 * time.Second))
	tests := []struct {
		name  string
		entry string
		edit  func(*claims.Token) // changes the token asked about
		at    time.Duration       // how long after t0 it is asked
		want  bool
	}{
		{name: "jti", entry: `{"jti":"` + tok.JTI + `","expires":"` + until + `"}`, want: true},
		{name: "jti of another token", entry: `{"jti":"` + tok.JTI + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.JTI = "00000000-0000-4000-8000-000000000000" }},
		{name: "origin_jti: every token of the sign-in", entry: `{"origin_jti":"` + tok.OriginJTI + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.JTI, t.IssuedAt = "refreshed-later", t0 }, want: true},
		{name: "origin_jti does not match a jti", entry: `{"origin_jti":"` + tok.JTI + `","expires":"` + until + `"}`},
		{name: "jti does not match an origin_jti", entry: `{"jti":"` + tok.OriginJTI + `","expires":"` + until + `"}`},
		{name: "sub without watermark", entry: `{"sub":"` + tok.Subject + `","expires":"` + until + `"}`, want: true},
		{name: "sub, token issued before the watermark", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`, want: true},
		{name: "sub, token issued at the watermark", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.IssuedAt, t.AuthTime = t0.Add(-30*time.Second), t0.Add(-30*time.Second) }},
		{name: "sub, token issued after the watermark", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.IssuedAt, t.AuthTime = t0, t0 }},
		{name: "sub, token refreshed after the watermark from a sign-in before it", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.IssuedAt = t0 }, want: true},
		{name: "sub, token without auth_time judged by iat, before", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.AuthTime = time.Time{} }, want: true},
		{name: "sub, token without auth_time judged by iat, after", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.AuthTime, t.IssuedAt = time.Time{}, t0 }},
		{name: "sub, auth_time later than iat: iat decides", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.AuthTime = t0 }, want: true},
		{name: "sub of another user", entry: `{"sub":"` + tok.Subject + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Subject = "8e2f6c9b-1d63-4b9f-8e4a-2a5a3c0d7f12" }},
		{name: "username", entry: `{"username":"alice","expires":"` + until + `"}`, want: true},
		{name: "username with watermark, after", entry: `{"username":"alice","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.IssuedAt, t.AuthTime = t0, t0 }},
		{name: "username of an id token", entry: `{"username":"alice","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Use = claims.IDToken }, want: true},
		{name: "username is not a sub", entry: `{"username":"` + tok.Subject + `","expires":"` + until + `"}`},
		{name: "client", entry: `{"client_id":"` + tok.ClientID + `","expires":"` + until + `"}`, want: true},
		{name: "client of an id token (its aud)", entry: `{"client_id":"` + tok.ClientID + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Use = claims.IDToken }, want: true},
		{name: "client with watermark, before", entry: `{"client_id":"` + tok.ClientID + `","issued_before":"` + signOut + `","expires":"` + until + `"}`, want: true},
		{name: "client with watermark, after", entry: `{"client_id":"` + tok.ClientID + `","issued_before":"` + signOut + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.IssuedAt, t.AuthTime = t0, t0 }},
		{name: "another client", entry: `{"client_id":"otherclient","expires":"` + until + `"}`},
		{name: "issuer of the token", entry: `{"username":"alice","iss":"` + issA + `","expires":"` + until + `"}`, want: true},
		{name: "another pool's alice", entry: `{"username":"alice","iss":"` + issB + `","expires":"` + until + `"}`},
		// iss names the pool, in whichever form and region (review finding
		// R9): a replica's tokens and the updated issuer form are the pool's.
		{name: "the pool's updated issuer form", entry: `{"username":"alice","iss":"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA","expires":"` + until + `"}`, want: true},
		{name: "a token of the updated form", entry: `{"username":"alice","iss":"` + issA + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Issuer = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA" }, want: true},
		{name: "a token of a replica region", entry: `{"username":"alice","iss":"` + issA + `","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Issuer = "https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_PoolA" }, want: true},
		{name: "another pool's alice, updated form", entry: `{"username":"alice","iss":"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolB","expires":"` + until + `"}`},
		{name: "a non-Cognito issuer is compared exactly", entry: `{"username":"alice","iss":"http://127.0.0.1:9229/local_PoolA","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Issuer = "http://127.0.0.1:9229/local_PoolA/" }},
		{name: "a non-Cognito issuer, the same", entry: `{"username":"alice","iss":"http://127.0.0.1:9229/local_PoolA","expires":"` + until + `"}`,
			edit: func(t *claims.Token) { t.Issuer = "http://127.0.0.1:9229/local_PoolA" }, want: true},
		{name: "entry before its expiry", entry: `{"jti":"` + tok.JTI + `","expires":"` + until + `"}`, at: time.Hour - time.Second, want: true},
		{name: "expired entry ignored", entry: `{"jti":"` + tok.JTI + `","expires":"` + until + `"}`, at: time.Hour},
		{name: "expired entry ignored, watermark", entry: `{"sub":"` + tok.Subject + `","issued_before":"` + signOut + `","expires":"` + until + `"}`, at: 2 * time.Hour},
		{name: "entry expired at load is skipped", entry: `{"jti":"` + tok.JTI + `","expires":"` + rfc(t0) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeclock.New(t0)
			l := newList(t, Options{}, c, tt.entry)
			if got := l.Revoked(token(tt.edit), t0.Add(tt.at)); got != tt.want {
				t.Errorf("Revoked = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRevokedSeveralRulesForOneValue: rules for one value with different
// issuers or watermarks are each judged; the same rule twice counts once,
// with the later expiry.
func TestRevokedSeveralRulesForOneValue(t *testing.T) {
	c := fakeclock.New(t0)
	early, late := rfc(t0.Add(-2*time.Hour)), rfc(t0.Add(-30*time.Second))
	l := newList(t, Options{}, c,
		`{"sub":"s","iss":"`+issB+`","expires":"`+until+`"}`,
		`{"sub":"s","issued_before":"`+early+`","expires":"`+rfc(t0.Add(20*time.Hour))+`"}`,
		`{"sub":"s","issued_before":"`+late+`","expires":"`+rfc(t0.Add(30*time.Minute))+`"}`,
		`{"sub":"s","issued_before":"`+late+`","expires":"`+until+`"}`,                       // the same rule, later
		`{"sub":"s","issued_before":"`+late+`","expires":"`+rfc(t0.Add(10*time.Minute))+`"}`, // and earlier
	)
	if st := l.Status(); st.Entries != 3 {
		t.Errorf("%d entries held, want 3 (the repeated rule once)", st.Entries)
	}
	tests := []struct {
		iss  string
		iat  time.Duration // after t0
		at   time.Duration
		want bool
	}{
		{issB, 0, 0, true},                           // pool B: every token
		{issA, -time.Minute, 0, true},                // before the late watermark
		{issA, -time.Minute, 45 * time.Minute, true}, // still: the repeated rule kept its later expiry
		{issA, -time.Minute, time.Hour, false},       // the late rule has expired; the early one does not reach
		{issA, -3 * time.Hour, 2 * time.Hour, true},  // the early rule still stands
		{issA, 0, 0, false},                          // after both watermarks
		{issB, 0, time.Hour, false},                  // pool B's rule has expired
	}
	for _, tt := range tests {
		tok := token(func(t *claims.Token) {
			t.Subject, t.Issuer = "s", tt.iss
			t.IssuedAt, t.AuthTime = t0.Add(tt.iat), t0.Add(tt.iat)
		})
		if got := l.Revoked(tok, t0.Add(tt.at)); got != tt.want {
			t.Errorf("%s, iat %v, at %v: Revoked = %v, want %v", tt.iss, tt.iat, tt.at, got, tt.want)
		}
	}
}

func TestEmptyListRevokesNothing(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Revoked(token(nil), t0) {
		t.Error("a list never loaded revoked a token")
	}
	c := fakeclock.New(t0)
	l = newList(t, Options{}, c, "# nothing revoked yet", "")
	if l.Revoked(token(nil), t0) {
		t.Error("a list of comments revoked a token")
	}
}

// TestExpiredAtLoad: entries that have expired when the file is loaded
// are skipped, counted as stale, and hold nothing.
func TestExpiredAtLoad(t *testing.T) {
	c := fakeclock.New(t0)
	l := newList(t, Options{MaxEntries: 1}, c,
		`{"jti":"old1","expires":"`+rfc(t0.Add(-time.Hour))+`"}`,
		`{"jti":"old2","expires":"`+rfc(t0)+`"}`,
		`{"jti":"new","expires":"`+until+`"}`)
	if st := l.Status(); st.Entries != 1 || st.Stale != 2 {
		t.Errorf("status %+v, want 1 entry and 2 stale", st)
	}
	if l.Revoked(token(func(t *claims.Token) { t.JTI = "old2" }), t0.Add(-time.Minute)) {
		t.Error("an entry expired at load matched (it was not skipped)")
	}
}

func TestExpiresFor(t *testing.T) {
	for _, tt := range []struct{ at, want time.Time }{
		{t0, t0.Add(24*time.Hour + 5*time.Minute)},
		{t0.Add(300 * time.Millisecond), t0.Add(24*time.Hour + 5*time.Minute + time.Second)},
	} {
		if got := ExpiresFor(tt.at); !got.Equal(tt.want) {
			t.Errorf("ExpiresFor(%s) = %s, want %s", tt.at, got, tt.want)
		}
		// And an entry with it loads at that moment.
		c := fakeclock.New(tt.at)
		newList(t, Options{}, c, Entry{Kind: Subject, Value: "s", Expires: ExpiresFor(tt.at)}.String())
	}
}

// TestEntryString: what String writes loads back as the same entry.
func TestEntryString(t *testing.T) {
	entries := []Entry{
		{Kind: JTI, Value: "j", Expires: t0.Add(time.Hour)},
		{Kind: OriginJTI, Value: "o", Issuer: issA, Expires: t0.Add(time.Hour), Note: `ticket "42" \ done`},
		{Kind: Subject, Value: "s", IssuedBefore: t0, Expires: t0.Add(time.Hour)},
		{Kind: Username, Value: "ünïcode name", IssuedBefore: t0.Add(-time.Hour), Expires: t0.Add(2 * time.Hour)},
		{Kind: ClientID, Value: "c", Expires: t0.In(time.FixedZone("X", 3600)).Add(time.Hour)},
	}
	var lines []string
	for _, e := range entries {
		lines = append(lines, e.String())
	}
	p, err := parse("f", []byte(fmt.Sprintln(lines[0])+lines[1]+"\n"+lines[2]+"\n"+lines[3]+"\n"+lines[4]), &options{maxEntries: 10, now: nil}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.entries) != len(entries) {
		t.Fatalf("%d entries back, want %d", len(p.entries), len(entries))
	}
	for i, got := range p.entries {
		want := entries[i]
		if got.Kind != want.Kind || got.Value != want.Value || got.Issuer != want.Issuer || got.Note != want.Note ||
			!got.IssuedBefore.Equal(want.IssuedBefore) || !got.Expires.Equal(want.Expires) {
			t.Errorf("line %d %s loads as %+v, want %+v", i+1, lines[i], got, want)
		}
	}
}

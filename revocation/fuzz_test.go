package revocation

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// FuzzParse feeds the file parser anything. It must not panic; a file it
// refuses must be refused with *FileErrors of lines the file has; a file
// it accepts must hold only entries that keep the rules (a value, an
// expiry within the bound, a watermark only where one belongs), each of
// which loads back from Entry.String and refuses a token that carries its
// value.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"jti":"5f0c7a1e-2b3d-4c5e-8f9a-0b1c2d3e4f50","expires":"2026-11-22T13:00:00Z"}`,
		`{"origin_jti":"o","iss":"` + issA + `","expires":"2026-11-23T12:05:00Z","note":"ticket"}`,
		`{"sub":"s","issued_before":"2026-11-22T11:59:00Z","expires":"2026-11-22T13:00:00Z"}` + "\n" + `{"username":"ünï\u00e9","expires":"2026-11-22T13:00:00+01:00"}`,
		"# comment\r\n\n{\"client_id\":\"c\",\"issued_before\":\"2026-11-22T12:00:00Z\",\"expires\":\"2026-11-22T12:30:00Z\"}\r\n",
		`{"jti":"a","jti":"b","expires":"2026-11-22T13:00:00Z"}`,
		`{"jti":"","expires":"2027-01-01T00:00:00Z"}`,
		`{"sub":"s","expires":"2026-11-22T13:00:00.5Z"}`,
		`[1,2,3]`, `{"jti":"j"`, "\uFEFF{}", `{"jti":"\ud800","expires":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	o := &options{maxEntries: 50, issuers: []string{issA, issB}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse("f", data, o, t0)
		if err != nil {
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range unjoin(err) {
				var fe *FileError
				if !errors.As(e, &fe) || fe.File != "f" || fe.Line < 0 || fe.Line > lines || !errors.Is(e, ErrInvalid) {
					t.Fatalf("problem %v is not a *FileError of a line of the file (%d lines)", e, lines)
				}
			}
			return
		}
		if len(p.entries) > o.maxEntries {
			t.Fatalf("%d entries, more than the limit %d", len(p.entries), o.maxEntries)
		}
		var back strings.Builder
		for _, e := range p.entries {
			switch {
			case checkValue(e.Value) != "" || kindIndex(e.Kind) < 0:
				t.Fatalf("entry %+v: bad kind or value", e)
			case !e.Expires.After(t0) || e.Expires.Sub(t0) > MaxLifetime:
				t.Fatalf("entry %+v: expires out of range", e)
			case !e.IssuedBefore.IsZero() && (!e.Kind.watermarked() || e.IssuedBefore.After(t0.Add(MaxClockSkew))):
				t.Fatalf("entry %+v: a watermark where none belongs", e)
			case e.Issuer != "" && poolKey(e.Issuer) != poolKey(issA) && poolKey(e.Issuer) != poolKey(issB):
				// Any form of a configured pool's issuer names it (poolKey);
				// nothing else may load.
				t.Fatalf("entry %+v: an issuer not configured", e)
			}
			back.WriteString(e.String() + "\n")
		}
		again, err := parse("back", []byte(back.String()), o, t0)
		if err != nil {
			t.Fatalf("the entries written back do not load: %v\n%s", err, back.String())
		}
		if len(again.entries) != len(p.entries) {
			t.Fatalf("%d entries written back, %d loaded", len(p.entries), len(again.entries))
		}
		for i, e := range again.entries {
			w := p.entries[i]
			if e.Kind != w.Kind || e.Value != w.Value || e.Issuer != w.Issuer || e.Note != w.Note || !e.Expires.Equal(w.Expires) || !e.IssuedBefore.Equal(w.IssuedBefore) {
				t.Fatalf("entry %+v written back loads as %+v", w, e)
			}
		}
		s := build(p.entries)
		for _, e := range p.entries {
			tok := tokenFor(e)
			if !s.revoked(tok, t0.Unix()) {
				t.Fatalf("entry %+v does not refuse %+v", e, tok)
			}
		}
	})
}

// tokenFor returns a token that e refuses at t0: its claim is e's value,
// its issuer e's (or pool A's), its sign-in before e's watermark.
func tokenFor(e Entry) *claims.Token {
	return token(func(t *claims.Token) {
		t.JTI, t.OriginJTI, t.Subject, t.Username, t.ClientID = "-", "-", "-", "-", "-"
		switch e.Kind {
		case JTI:
			t.JTI = e.Value
		case OriginJTI:
			t.OriginJTI = e.Value
		case Subject:
			t.Subject = e.Value
		case Username:
			t.Username = e.Value
		case ClientID:
			t.ClientID = e.Value
		}
		if e.Issuer != "" {
			t.Issuer = e.Issuer
		}
		if !e.IssuedBefore.IsZero() {
			t.IssuedAt, t.AuthTime = e.IssuedBefore.Add(-time.Second), e.IssuedBefore.Add(-time.Second)
		}
	})
}

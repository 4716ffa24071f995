package main

import (
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// FuzzAdminEntry: parseAdminEntry, the reader of POST /revocations
// bodies, never panics; what it accepts names one thing, expires after
// now, and becomes one line of the file (no line break, whatever the
// values hold) that reads back to the same entry.
func FuzzAdminEntry(f *testing.F) {
	for _, s := range []string{
		`{"jti":"a"}`, `{"origin_jti":"o","note":"x\n{\"client_id\":\"c\"}"}`,
		`{"sub":"s","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A","issued_before":"2026-11-22T11:00:00Z","expires":"2026-11-23T12:00:00+02:00"}`,
		`{"username":"a\u2028b","expires":"2026-11-22T12:00:01Z"}`, `{"client_id":"c","jti":"j"}`, `{"jti":"a","jti":"b"}`,
		`{"jti":"a","\u006ati":"b"}`, `[]`, `{"jti":1}`, "{\"jti\":\"\xff\"}", `{"expires":"2026-11-22T12:00:00.5Z","jti":"a"}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := parseAdminEntry(body, now)
		if err != nil {
			return
		}
		switch e.Kind {
		case revocation.JTI, revocation.OriginJTI, revocation.Subject, revocation.Username, revocation.ClientID:
		default:
			t.Fatalf("kind %q", e.Kind)
		}
		if !now.Before(e.Expires) {
			t.Fatalf("expires %s is not after now", e.Expires)
		}
		line := e.String()
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("line break in %q", line)
		}
		back, err := parseAdminEntry([]byte(line), now)
		if err != nil {
			t.Fatalf("the line %q does not read back: %v", line, err)
		}
		if back.Kind != e.Kind || back.Value != e.Value || back.Issuer != e.Issuer || back.Note != e.Note ||
			!back.Expires.Equal(e.Expires) || !back.IssuedBefore.Equal(e.IssuedBefore) {
			t.Fatalf("read back %+v, want %+v", back, e)
		}
	})
}

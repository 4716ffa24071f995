package claims_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// TestStrictDecoding guards the strict choices documented in doc.go
// (finding 23): strings that other decoders would silently repair, JSON
// nested past jsonstrict.MaxDepth, and NumericDates of implausible
// magnitude (milliseconds, say) make a token malformed — in any claim,
// known or not, and in the header — while the values at each limit pass.
func TestStrictDecoding(t *testing.T) {
	f := newFixture(t, nil)
	nest := func(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }
	ms := t0.UnixMilli()
	tests := []struct {
		name    string
		header  string // "" for the usual header
		payload string
		ok      bool
	}{
		// Strings: lone surrogate escapes and invalid UTF-8.
		{name: "lone high surrogate in sub", payload: strings.Replace(validClaimsJSON(f, ""), `"sub":"8f1d2c3b"`, `"sub":"8f1d\ud800"`, 1)},
		{name: "lone low surrogate in an unknown claim", payload: validClaimsJSON(f, `,"custom:tenant":"acme\udc00"`)},
		{name: "high surrogate then a BMP escape", payload: validClaimsJSON(f, `,"custom:tenant":"\ud800\u0061"`)},
		{name: "lone surrogate in a group", payload: validClaimsJSON(f, `,"cognito:groups":["admin\udfff"]`)},
		{name: "lone surrogate in a member name", payload: validClaimsJSON(f, `,"custom:\ud800":"x"`)},
		{name: "invalid UTF-8 in a claim", payload: validClaimsJSON(f, ",\"custom:tenant\":\"acme\xff\"")},
		{name: "invalid UTF-8 in a member name", payload: validClaimsJSON(f, ",\"custom:\xc3\x28\":\"x\"")},
		{name: "UTF-8 encoded surrogate", payload: validClaimsJSON(f, ",\"custom:tenant\":\"\xed\xa0\x80\"")},
		{name: "lone surrogate in the kid", header: fmt.Sprintf(`{"kid":"%s\ud800","alg":"RS256"}`, f.pool.KeyIDs()[0]), payload: validClaimsJSON(f, "")},
		{name: "surrogate pair", payload: validClaimsJSON(f, `,"custom:tenant":"\ud83d\ude00"`), ok: true},
		{name: "raw UTF-8", payload: validClaimsJSON(f, `,"custom:tenant":"grüße 😀"`), ok: true},

		// Nesting: the claims object is level 1.
		{name: "nested to the limit", payload: validClaimsJSON(f, `,"custom:deep":`+nest(jsonstrict.MaxDepth-1)), ok: true},
		{name: "nested past the limit", payload: validClaimsJSON(f, `,"custom:deep":`+nest(jsonstrict.MaxDepth))},
		{name: "header nested past the limit", header: fmt.Sprintf(`{"kid":%q,"alg":"RS256","x":%s}`, f.pool.KeyIDs()[0], nest(jsonstrict.MaxDepth)), payload: validClaimsJSON(f, "")},

		// NumericDates: whole seconds from 0 to the end of year 9999.
		{name: "exp in milliseconds", payload: validClaimsJSONWith(f, fmt.Sprintf(`"exp":%d`, ms+3_600_000))},
		{name: "iat in milliseconds", payload: fmt.Sprintf(`{"sub":"s","iss":%q,"client_id":%q,"token_use":"access","exp":%d,"iat":%d}`, f.pool.Issuer(), f.pool.ClientID(), t0.Add(time.Hour).Unix(), ms)},
		{name: "nbf in milliseconds", payload: validClaimsJSON(f, fmt.Sprintf(`,"nbf":%d`, ms))},
		{name: "auth_time in milliseconds", payload: validClaimsJSON(f, fmt.Sprintf(`,"auth_time":%d`, ms))},
		{name: "exp in microseconds", payload: validClaimsJSONWith(f, fmt.Sprintf(`"exp":%d`, t0.Add(time.Hour).UnixMicro()))},
		{name: "exp after year 9999", payload: validClaimsJSONWith(f, `"exp":253402300800`)},
		{name: "exp at the end of year 9999", payload: validClaimsJSONWith(f, `"exp":253402300799`), ok: true},
		{name: "nbf of zero", payload: validClaimsJSON(f, `,"nbf":0`), ok: true},
		{name: "negative auth_time", payload: validClaimsJSON(f, `,"auth_time":-1`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == "" {
				h = header(f, "RS256")
			}
			_, err := f.v.Verify(context.Background(), signRaw(f, h, tt.payload))
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Verify: %v, want success", err)
			case !tt.ok && !errors.Is(err, claims.ErrMalformed):
				t.Fatalf("Verify: %v, want ErrMalformed", err)
			}
		})
	}
}

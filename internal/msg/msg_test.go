package msg_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/internal/msg"
)

func TestClip(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"aé", 2, "a…"}, // é is two bytes: never cut inside it
		{"ééé", 3, "é…"},
		{"x", 0, "…"},
	}
	for _, tt := range tests {
		got := msg.Clip(tt.s, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestGoNames(t *testing.T) {
	names := map[string]string{"allow_http": "AllowHTTP", "jwks.fetch_timeout": "FetchTimeout"}
	tests := []struct{ in, want string }{
		{"needs allow_http", "needs AllowHTTP"},
		{"jwks.fetch_timeout must be positive", "FetchTimeout must be positive"},
		// Quoted values and longer words that contain a key stay as they are.
		{`"allow_http" is a value; allow_https is another key`, `"allow_http" is a value; allow_https is another key`},
		{`"a \"allow_http\" b" allow_http`, `"a \"allow_http\" b" AllowHTTP`},
		{`unterminated "allow_http`, `unterminated "allow_http`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := msg.GoNames(tt.in, names); got != tt.want {
			t.Errorf("GoNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorf(t *testing.T) {
	inner := msg.Errorf("jwks: ", "unexpected http status %d", 500)
	sentinel := errors.New("jwks: key set unavailable")
	err := msg.Errorf("jwks: ", "%w: %w", sentinel, inner)
	if got, want := err.Error(), "jwks: key set unavailable: unexpected http status 500"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, sentinel) || !errors.Is(err, inner) {
		t.Error("the %w arguments are not wrapped")
	}
	notWrapped := msg.Errorf("claims: ", "bad: %v", sentinel)
	if errors.Is(notWrapped, sentinel) || notWrapped.Error() != "claims: bad: jwks: key set unavailable" {
		t.Errorf("%%v argument: %q, wrapped %v", notWrapped, errors.Is(notWrapped, sentinel))
	}
	if got := msg.Errorf("claims: ", "100%% of %d", 3).Error(); got != "claims: 100% of 3" {
		t.Errorf("%%%% = %q", got)
	}
}

func TestFieldsOfKeys(t *testing.T) {
	got := msg.FieldsOfKeys(map[string]string{"Issuer": "issuer", "AllowHTTP": "allow_http", "FetchTimeout": "jwks.fetch_timeout"})
	if len(got) != 2 || got["allow_http"] != "AllowHTTP" || got["jwks.fetch_timeout"] != "FetchTimeout" {
		t.Errorf("FieldsOfKeys = %v", got)
	}
}

func TestSentinel(t *testing.T) {
	base := errors.New("base")
	s := msg.Sentinel("pkg: own", base)
	if s.Error() != "pkg: own" || !errors.Is(s, base) || errors.Is(base, s) {
		t.Errorf("Sentinel: %q, Is base %v", s, errors.Is(s, base))
	}
}

func TestConfigText(t *testing.T) {
	for _, tt := range []struct{ scope, field, want string }{
		{msg.Indexed("pool", 2), "Issuer", "p: config: pool 2: Issuer: bad"},
		{msg.Indexed("pool", -1), "Leeway", "p: config: Leeway: bad"},
		{"", "", "p: config: bad"},
	} {
		if got := msg.ConfigText("p", tt.scope, tt.field, "bad"); got != tt.want {
			t.Errorf("ConfigText = %q, want %q", got, tt.want)
		}
	}
}

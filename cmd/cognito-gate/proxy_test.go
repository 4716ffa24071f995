package main

import (
	"net/http"
	"testing"
)

func TestRemoveQuery(t *testing.T) {
	for _, tt := range []struct{ q, want string }{
		{"", ""},
		{"access_token=x", ""},
		{"a=1&access_token=x&b=2", "a=1&b=2"},
		{"access%5Ftoken=x&b=%20", "b=%20"}, // an escaped spelling of the name
		{"access_token&b=2", "b=2"},         // no value
		{"a=1&access_token=x&access_token=y", "a=1"},
		{"%zz=1&b=2", "b=2"}, // a key that does not unescape might be read as the name
		{"access_token_2=x", "access_token_2=x"},
		// Spellings PHP registers as $_GET["access_token"].
		{"access.token=x&b=2", "b=2"},
		{"access+token=x&b=2", "b=2"},
		{"access%20token=x&b=2", "b=2"},
		{"access_token[]=x&b=2", "b=2"},
		{"access_token[k]=x&b=2", "b=2"},
		{"access[token=x&b=2", "b=2"},
		{"access_tokens=x", "access_tokens=x"},
		{"Access_Token=x", "Access_Token=x"}, // names are case-sensitive
	} {
		if got := removeQuery(tt.q, "access_token"); got != tt.want {
			t.Errorf("removeQuery(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestRemoveCookie(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"access_token=x"}, nil},
		{[]string{"a=1; access_token=x; b=2"}, []string{"a=1; b=2"}},
		{[]string{"a=1", "access_token=x"}, []string{"a=1"}},
		{[]string{" access_token =x;a=1"}, []string{"a=1"}},
		{[]string{"access_token2=x"}, []string{"access_token2=x"}},
		// Spellings PHP registers as $_COOKIE["access_token"].
		{[]string{"access.token=x; a=1"}, []string{"a=1"}},
		{[]string{"access%5Ftoken=x; a=1"}, []string{"a=1"}},
		{[]string{"access token=x; a=1"}, []string{"a=1"}},
		{[]string{"access_token[0]=x; a=1"}, []string{"a=1"}},
		// A token cookie hidden in another's value or name (Python splits
		// on whitespace, Rack 2 on commas): the pair that hides it goes.
		{[]string{"theme=dark access_token=x; a=1"}, []string{"a=1"}},
		{[]string{"theme=dark,access.token=x; a=1"}, []string{"a=1"}},
		{[]string{"theme=dark\taccess_token =x; a=1"}, []string{"a=1"}},
		{[]string{"x access_token=y; a=1"}, []string{"a=1"}},
		{[]string{"prefs=a,b c=d; a=access_token=1"}, []string{"prefs=a,b c=d; a=access_token=1"}},
	} {
		h := http.Header{}
		for _, v := range tt.in {
			h.Add("Cookie", v)
		}
		removeCookie(h, "access_token")
		got := h.Values("Cookie")
		if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
			t.Errorf("removeCookie(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDropH2C(t *testing.T) {
	h := http.Header{"Upgrade": {"h2c"}, "Connection": {"Upgrade"}, "Http2-Settings": {"x"}, "Http2_settings": {"y"}}
	dropH2C(h)
	if len(h) != 0 {
		t.Errorf("left %v", h)
	}
	h = http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}
	dropH2C(h)
	if h.Get("Upgrade") != "websocket" || h.Get("Connection") != "Upgrade" {
		t.Errorf("a websocket upgrade was changed: %v", h)
	}
}

// TestSameParam: the names an upstream may read as the token's cookie or
// query parameter, and some it does not.
func TestSameParam(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want bool
	}{
		{"access_token", true}, {"access.token", true}, {"access token", true}, {" access_token", true},
		{"access%5Ftoken", true}, {"access%2Etoken", true}, {"access+token", true},
		{"access_token[]", true}, {"access_token[x][y]", true}, {"access[token", true},
		{"access_tokenx", false}, {"xaccess_token", false}, {"ACCESS_TOKEN", false}, {"access-token", false},
		{"access_token%", false}, {"", false},
		// PHP ends a name at a NUL and keeps a stray '%' (review of R2, R4).
		{"access_token%00", true}, {"access_token%00x", true}, {"access%5Ftoken%00%zz", true}, {"access%5Ftoken%zz", false},
	} {
		if got := sameParam(tt.raw, "access_token"); got != tt.want {
			t.Errorf("sameParam(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

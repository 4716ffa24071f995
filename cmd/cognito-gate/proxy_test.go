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

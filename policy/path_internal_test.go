package policy

import (
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		path, want string
	}{
		{"/", ""},
		{"/a/b/c.txt", ""},
		{"//a/../b/./c/", ""}, // cleaned later, not refused
		{"/caf%C3%A9/%20x/%7E", ""},
		{"/a%41b", ""},
		{"/a+b,c:d@e!$&'()*=", ""},
		{"", whyPathStart},
		{"*", whyPathStart},
		{"a/b", whyPathStart},
		{"/a%", whyBadEscape},
		{"/a%2", whyBadEscape},
		{"/a%zz", whyBadEscape},
		{"/a%2Fb", whySlash},
		{"/a%2fb", whySlash},
		{`/a\b`, whyBackslash},
		{"/a%5Cb", whyBackslash},
		{"/a%5cb", whyBackslash},
		{"/a%2E%2E/b", whyDot},
		{"/a/%2e", whyDot},
		{"/a%25", whyPercent},
		{"/a;b", whySemicolon},
		{"/a%3Bb", whySemicolon},
		{"/a%00", whyControl},
		{"/a%1F", whyControl},
		{"/a%7F", whyControl},
		{"/a\x01", whyControl},
		{"/a\x7f", whyControl},
		{"/%C0%AE%C0%AE", whyUTF8},
		{"/%E2%82", whyUTF8},
		{"/%FF", whyUTF8},
		{"/\xff", whyUTF8},
		{"/é", ""},
	} {
		if got := checkPath(tc.path); got != tc.want {
			t.Errorf("checkPath(%q) = %q; want %q", tc.path, got, tc.want)
		}
	}
}

func TestCheckMethodAndHost(t *testing.T) {
	for _, tc := range []struct {
		method string
		ok     bool
	}{
		{"GET", true}, {"M-SEARCH", true}, {"PROPFIND", true},
		{"", false}, {"get", false}, {"Get", false}, {"CONNECT", false},
	} {
		if got := checkMethod(tc.method) == ""; got != tc.ok {
			t.Errorf("checkMethod(%q) ok = %v; want %v", tc.method, got, tc.ok)
		}
	}
	for _, tc := range []struct {
		host, want string
	}{
		{"", ""}, {"api.example.com", ""}, {"10.0.0.1", ""}, {"::1", ""},
		{"API.example.com", whyHostCase}, {"api.example.com.", whyHostDot},
	} {
		if got := checkHost(tc.host); got != tc.want {
			t.Errorf("checkHost(%q) = %q; want %q", tc.host, got, tc.want)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		parts int
		vars  []string
		msg   string
	}{
		{"acme", 1, nil, ""},
		{"{sub}", 1, []string{"sub"}, ""},
		{"{claim:custom:tenant}", 1, nil, ""},
		{"t-{a}/{b}-{a}", 6, []string{"a", "b"}, ""},
		{"{{literal}}", 1, nil, ""},
		{"{{{a}}}", 3, []string{"a"}, ""},
		{"", 0, nil, "empty value"},
		{"{", 0, nil, "unmatched '{'"},
		{"}", 0, nil, "unmatched '}'"},
		{"{}", 0, nil, "want a path wildcard name"},
		{"{1a}", 0, nil, "want a path wildcard name"},
		{"{claim:}", 0, nil, "empty claim path"},
		{"{claim:cognito:groups}", 0, nil, "is a list"},
	} {
		var vars []string
		tmpl, msg := parseTemplate(tc.in, &vars)
		if msg != "" || tc.msg != "" {
			if msg == "" || tc.msg == "" || !strings.Contains(msg, tc.msg) {
				t.Errorf("parseTemplate(%q): message %q; want %q", tc.in, msg, tc.msg)
			}
			continue
		}
		if len(tmpl.parts) != tc.parts || len(vars) != len(tc.vars) {
			t.Errorf("parseTemplate(%q) = %d parts, vars %v; want %d, %v", tc.in, len(tmpl.parts), vars, tc.parts, tc.vars)
		}
	}
}

package cookiepair

import (
	"strings"
	"testing"
)

// FuzzHides holds Hides to a reference reading of a cookie
// pair as Python's http.cookies and Rack 2 split it: spaces and tabs
// before '=' dropped, then the text split on runs of spaces, tabs and
// commas; a later piece with '=' is a cookie of its own.
func FuzzHides(f *testing.F) {
	for _, s := range [][2]string{
		{"theme", "dark access_token=x"}, {"theme", "dark,access_token=x"}, {"x access_token", "y"},
		{"a,access_token", "y"}, {"theme", "dark, access_token =x"}, {"theme", "access_token=x"},
		{"a", "b=access_token=x"}, {"prefs", "a,b c=d"}, {"t", `"dark access_token=x"`},
		{"t", "\taccess_token\t=x"}, {"t", "x,,access_token"},
	} {
		f.Add(s[0], s[1])
	}
	const want = "access_token"
	f.Fuzz(func(t *testing.T, name, val string) {
		got := Hides(name, val, func(n string) bool { return n == want })
		pair := name + "=" + val
		for strings.Contains(pair, " =") || strings.Contains(pair, "\t=") {
			pair = strings.NewReplacer(" =", "=", "\t=", "=").Replace(pair)
		}
		pieces := strings.FieldsFunc(pair, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
		ref := false
		for i, p := range pieces {
			n, _, ok := strings.Cut(p, "=")
			// The first piece is the pair's own name unless the name
			// itself was split.
			if ok && n == want && (i > 0 || strings.ContainsAny(name, " \t,") || pair[0] == ' ' || pair[0] == '\t' || pair[0] == ',') {
				ref = true
			}
		}
		if got != ref {
			t.Errorf("Hides(%q, %q) = %v; the reference reads %q", name, val, got, pieces)
		}
	})
}

func TestHides(t *testing.T) {
	match := func(n string) bool { return n == "access_token" }
	for _, c := range []struct {
		name, val string
		want      bool
	}{
		{"theme", "dark access_token=x", true},
		{" access_token ", "0", true}, // a padded name (callers trim; lenient parsers do too)
		{"access_token\t", "0", true},
		{" theme ", "0", false},
		{"theme", "dark,access_token=x", true},
		{"theme", "dark\taccess_token =x", true},
		{"x access_token", "y", true},
		{"a,access_token", "y", true},
		{"theme", "dark", false},
		{"theme", "access_token=x", false},       // a value, not a name
		{"theme", "dark access_token", false},    // no '=': no cookie
		{"theme", "dark access_tokens=x", false}, // another name
		{"theme", "dark xaccess_token=x", false},
		{"access_token", "x", false}, // the cookie itself
		{"", "", false},
	} {
		if got := Hides(c.name, c.val, match); got != c.want {
			t.Errorf("Hides(%q, %q) = %v, want %v", c.name, c.val, got, c.want)
		}
	}
}

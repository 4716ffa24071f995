// Package cookiepair finds cookies hidden in other cookies, for the token
// sources of package middleware and the proxy's cookie stripping, which
// must agree on what a Cookie header holds.
package cookiepair

import "strings"

// Hides reports whether the cookie pair name=val (split at its first '=',
// the name trimmed) hides a cookie whose name match reports: a name after
// a space, tab or comma, followed by '=' (spaces and tabs allowed before
// it) in the value, or ending the name. RFC 6265 and net/http read
// "theme=dark access_token=x" as one cookie, theme, and drop
// "x access_token=y"; Python's http.cookies splits cookies on whitespace
// and Rack 2 on commas too, and reads an access_token cookie in both. The
// gate would find no token where the upstream finds one, or another than
// the one it verified.
//
// A name that still has spaces or tabs around it (net/http trims them;
// other callers might not) is read as the lenient parsers read it: padded
// " access_token " names the token cookie too.
func Hides(name, val string, match func(name string) bool) bool {
	if t := strings.Trim(name, " \t"); t != name && match(t) {
		return true
	}
	name = strings.TrimRight(name, " \t")
	if i := strings.LastIndexAny(name, " \t,"); i >= 0 && match(name[i+1:]) {
		return true
	}
	for {
		i := strings.IndexAny(val, " \t,")
		if i < 0 {
			return false
		}
		val = strings.TrimLeft(val[i:], " \t,")
		j := strings.IndexAny(val, " \t,=")
		if j < 0 {
			return false
		}
		name, rest := val[:j], strings.TrimLeft(val[j:], " \t")
		if rest != "" && rest[0] == '=' && match(name) {
			return true
		}
		val = val[j:]
	}
}

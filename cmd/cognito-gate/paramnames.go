package main

import (
	"net/url"
	"strings"
)

// paramName is the name under which PHP (and frameworks that copy its
// rules) registers a cookie or query parameter of raw name: percent- and
// plus-decoded, leading spaces dropped, '.' and ' ' read as '_', and a
// name with "[...]" the array of the part before the bracket (an
// unmatched '[' is read as '_'). "access.token", "access%5Ftoken",
// " access_token" and "access_token[]" are all $_COOKIE["access_token"]
// (the mangling behind CVE-2022-31629). A stray '%' stays as it is (PHP
// decodes the other escapes of the name: lenientEscapes), and the name
// ends at a NUL: PHP registers names as C strings, so "_method%00" is
// $_GET["_method"] (Symfony's HeaderUtils::parseQuery cuts there too).
func paramName(raw string) string {
	if u, err := url.QueryUnescape(lenientEscapes(raw)); err == nil {
		raw = u
	}
	if i := strings.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i]
	}
	raw = strings.TrimLeft(raw, " ")
	if i := strings.IndexByte(raw, '['); i >= 0 {
		if strings.IndexByte(raw[i:], ']') >= 0 {
			raw = raw[:i]
		} else {
			raw = raw[:i] + "_" + raw[i+1:]
		}
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == ' ' {
			return '_'
		}
		return r
	}, raw)
}

// sameParam reports whether a cookie or query parameter named raw may be
// read as the one named name by an upstream (see paramName).
func sameParam(raw, name string) bool { return raw == name || paramName(raw) == paramName(name) }

package policy

import (
	"net/url"
	"path"
	"strings"
	"unicode/utf8"
)

// Why a request is refused as non-canonical. These are constants so that
// Decide does not allocate to say it; Explain shows them.
const (
	whyMethod    = "method is empty, CONNECT or not upper-case"
	whyPathStart = "path does not start with /"
	whyBadEscape = "path has a malformed %-escape"
	whyBackslash = `path has a backslash or an encoded backslash (%5C)`
	whySemicolon = "path has a semicolon or an encoded semicolon (%3B)"
	whySlash     = "path has an encoded slash (%2F)"
	whyDot       = "path has an encoded dot (%2E)"
	whyPercent   = "path has an encoded percent sign (%25)"
	whyControl   = "path has a control character"
	whyUTF8      = "path decodes to invalid UTF-8"
)

// checkMethod returns why method cannot be judged, or "".
func checkMethod(method string) string {
	if method == "" || method == "CONNECT" {
		return whyMethod
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; 'a' <= c && c <= 'z' {
			return whyMethod
		}
	}
	return ""
}

// checkPath returns why the escaped path p cannot be judged, or "". See
// the package documentation for the reasons.
func checkPath(p string) string {
	why, _ := checkPathClean(p)
	return why
}

// checkPathClean is checkPath, and when p can be judged, also whether it
// is clean (cleanPath(p) is p: no "//" and no "/." anywhere, which is
// stricter than needed for "/.well-known"), found in the same pass, so
// that Decide calls path.Clean only for paths that may need it.
func checkPathClean(p string) (why string, clean bool) {
	if p == "" || p[0] != '/' {
		return whyPathStart, false
	}
	nonASCII := false
	clean = true
	for i := 0; i < len(p); i++ {
		c := p[i]
		if plainPathByte[c] {
			continue
		}
		if (c == '/' || c == '.') && i > 0 && p[i-1] == '/' {
			clean = false // "//" or "/."
		}
		switch {
		case c == '\\':
			return whyBackslash, false
		case c == ';':
			return whySemicolon, false
		case c < 0x20 || c == 0x7f:
			return whyControl, false
		case c >= 0x80:
			nonASCII = true
		case c == '%':
			if i+2 >= len(p) || !ishex(p[i+1]) || !ishex(p[i+2]) {
				return whyBadEscape, false
			}
			b := unhex(p[i+1])<<4 | unhex(p[i+2])
			i += 2
			switch {
			case b == '/':
				return whySlash, false
			case b == '\\':
				return whyBackslash, false
			case b == '.':
				return whyDot, false
			case b == '%':
				return whyPercent, false
			case b == ';':
				return whySemicolon, false
			case b < 0x20 || b == 0x7f:
				return whyControl, false
			case b >= 0x80:
				nonASCII = true
			}
		}
	}
	if nonASCII {
		// Only now pay for decoding: the bytes must be UTF-8, so that no
		// decoder reads an overlong or broken sequence as '/' or '.'.
		u, err := url.PathUnescape(p)
		if err != nil || !utf8.ValidString(u) {
			return whyUTF8, false
		}
	}
	return "", clean
}

// plainPathByte marks the bytes checkPathClean passes over without a look
// at them or their neighbour: every byte but '/', '.', '\\', ';', '%', the
// control characters and the non-ASCII bytes (one table load a byte, where
// the checks one by one were about 4 ns a byte).
var plainPathByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range "/.\\;%" {
		t[c] = false
	}
	return t
}()

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// cleanPath is ServeMux's path cleaning (net/http.cleanPath): path.Clean,
// keeping a trailing slash. It does not allocate when p is already clean.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			np = p
		} else {
			np += "/"
		}
	}
	return np
}

// pathUnescape is ServeMux's: the unescaped path, or path itself when it
// is not validly escaped.
func pathUnescape(path string) string {
	u, err := url.PathUnescape(path)
	if err != nil {
		return path
	}
	return u
}

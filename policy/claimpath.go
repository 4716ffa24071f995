package policy

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// Limits of a claim path. A token is at most a few KiB of JSON nested at
// most 64 deep (claims.Verifier refuses anything else), so no useful path
// comes near them.
const (
	// MaxClaimPathBytes is the longest claim path ParseClaimPath accepts.
	MaxClaimPathBytes = 256
	// MaxClaimPathSegments is the most names and indexes a claim path has.
	MaxClaimPathSegments = 32
	// maxClaimPathIndex is the largest array index a path may name.
	maxClaimPathIndex = 65535
)

// ClaimPath names a value in a token's claims: a claim and, to reach into
// the JSON objects and arrays that pre-token-generation triggers write,
// the members and elements below it. The zero ClaimPath names nothing;
// ParseClaimPath makes one.
//
// # Syntax
//
// A path is a claim name followed by any number of ".name" (a member of
// an object) and "[N]" (element N of an array, from 0):
//
//	sub
//	custom:tenant
//	tenant.id                       the member id of the claim tenant
//	tenant.regions[0]               the first element of tenant.regions
//	identities[0].providerName
//
// A name written this way (a plain name) is one or more printable
// characters other than space and . [ ] " \ / { }. Any other name, one
// with a dot say, is written in brackets as a JSON string, where nothing
// needs escaping but '"' and '\':
//
//	["custom:org.unit"]             the claim named custom:org.unit
//	["https://example.com/roles"]   a claim named like a URL
//	tenant["cost.center"]           the member cost.center of tenant
//
// So a dot outside brackets always separates names, and a name never
// means two things. Brackets, rather than a backslash before the dot,
// keep paths readable in YAML (where "\" is itself an escape inside
// double quotes) and say where a name starts and ends in one way for
// every character. In YAML a value that starts with '[' is a list, so a
// bracketed path is quoted there: claim: '["custom:org.unit"]'.
//
// One more rule keeps old policies from changing meaning unnoticed:
// Cognito's user attributes (custom:… and dev:…) are strings and their
// names may contain dots, so a plain custom: or dev: name followed by a
// dot ("custom:org.unit") is refused; write ["custom:org.unit"] for the
// attribute, or ["custom:org"].unit for a member of an object a trigger
// put under that name.
//
// Names are compared with the token's member names exactly, after JSON
// unescaping, case-sensitively. String writes a path in one canonical
// form, which ParseClaimPath reads back as the same path; Explain and
// errors show paths in that form.
type ClaimPath struct {
	segs []pathSeg
}

// pathSeg is one step of a path: a member name, or an array index.
type pathSeg struct {
	name  string // the member's name; "" for an index
	index int    // the element's index; -1 for a member
}

// ParseClaimPath parses s (see ClaimPath). Its error is a *ClaimPathError,
// which matches ErrBadClaimPath.
func ParseClaimPath(s string) (ClaimPath, error) {
	segs, off, why := parsePath(s)
	if why != "" {
		return ClaimPath{}, &ClaimPathError{Path: s, Offset: off, Reason: why}
	}
	return ClaimPath{segs: segs}, nil
}

// ClaimPathError is the error of ParseClaimPath. It matches
// ErrBadClaimPath.
type ClaimPathError struct {
	// Path is the text parsed.
	Path string
	// Offset is the byte of Path where the problem is.
	Offset int
	// Reason says what is wrong and what to write instead.
	Reason string
}

// maxQuotedPath bounds how much of a path an error quotes.
const maxQuotedPath = 100

// Error returns `policy: bad claim path "…" at byte N: reason`.
func (e *ClaimPathError) Error() string {
	return "policy: bad claim path " + strconv.Quote(msg.Clip(e.Path, maxQuotedPath)) + " at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Unwrap returns ErrBadClaimPath.
func (e *ClaimPathError) Unwrap() error { return ErrBadClaimPath }

// parsePath parses s into segments, or returns where and why it cannot.
func parsePath(s string) (segs []pathSeg, off int, why string) {
	switch {
	case s == "":
		return nil, 0, "empty claim path; want a claim name such as sub or tenant.id"
	case len(s) > MaxClaimPathBytes:
		return nil, MaxClaimPathBytes, "longer than " + strconv.Itoa(MaxClaimPathBytes) + " bytes"
	}
	for i := 0; i < len(s); {
		if len(segs) == MaxClaimPathSegments {
			return nil, i, "more than " + strconv.Itoa(MaxClaimPathSegments) + " names and indexes"
		}
		start := i
		switch {
		case s[i] == '[':
			seg, n, why := parseBracket(s[i:], len(segs) == 0)
			if why != "" {
				return nil, i + n, why
			}
			segs = append(segs, seg)
			i += n
			continue
		case len(segs) > 0 && s[i] == '.':
			i++
			start = i
		case len(segs) > 0:
			return nil, i, "want '.' or '[' after " + pathString(segs)
		}
		n, why := plainName(s[i:])
		if why != "" {
			return nil, i + n, why
		}
		segs = append(segs, pathSeg{name: s[i : i+n], index: -1})
		i += n
		if len(segs) == 1 && i < len(s) && s[i] == '.' && isAttribute(segs[0].name) {
			return nil, start, "a custom: or dev: user attribute is a string whose name may contain dots; write [" + quoteName(s) + "] for the attribute named " + strconv.Quote(s) + ", or [" + quoteName(segs[0].name) + "]" + s[i:] + " to reach into an object a trigger put under " + segs[0].name
		}
	}
	return segs, 0, ""
}

// plainName returns the length of the plain name at the start of s, or
// where and why there is none.
func plainName(s string) (int, string) {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if s[n] == '.' || s[n] == '[' {
			break
		}
		if !plainRune(r, size) {
			what := "character " + strconv.QuoteRune(r)
			switch {
			case r == utf8.RuneError && size == 1:
				what = "a byte that is not UTF-8"
			case unicode.IsSpace(r):
				what = "whitespace " + strconv.QuoteRune(r)
			}
			return n, what + " cannot be part of a plain name; write the name in brackets as a JSON string, e.g. [\"a.b\"]"
		}
		n += size
	}
	if n == 0 {
		return 0, "empty name; want a name after '.' (a name with a dot is written in brackets, e.g. [\"a.b\"])"
	}
	return n, ""
}

// plainRune reports whether r (of size bytes) may be part of a plain name.
func plainRune(r rune, size int) bool {
	switch r {
	case '.', '[', ']', '"', '\\', '/', '{', '}', ' ':
		return false
	}
	return !(r == utf8.RuneError && size == 1) && unicode.IsPrint(r)
}

// parseBracket parses the bracketed segment at the start of s ("[N]" or
// `["name"]`) and returns it and its length, or where and why it cannot.
func parseBracket(s string, first bool) (pathSeg, int, string) {
	if len(s) < 2 {
		return pathSeg{}, len(s), "unterminated '['; want [\"name\"] or [index]"
	}
	if s[1] != '"' {
		if first {
			return pathSeg{}, 1, "a path starts with a claim name, not an index; write a name in brackets as a JSON string, e.g. [\"a.b\"]"
		}
		j := 1
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		switch {
		case j == 1:
			return pathSeg{}, 1, "want a JSON string (a name, e.g. [\"a.b\"]) or a decimal index (e.g. [0]) in brackets"
		case j < len(s) && s[j] != ']' || j == len(s):
			return pathSeg{}, j, "want ']' after the index"
		case s[1] == '0' && j > 2:
			return pathSeg{}, 1, "index with a leading zero; write it in decimal without one"
		}
		k, err := strconv.Atoi(s[1:j])
		if err != nil || k > maxClaimPathIndex {
			return pathSeg{}, 1, "index larger than " + strconv.Itoa(maxClaimPathIndex)
		}
		return pathSeg{index: k}, j + 1, ""
	}
	// A JSON string: find its closing quote, then let jsonstrict judge it.
	j := 2
	for j < len(s) && s[j] != '"' {
		if s[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(s) {
		return pathSeg{}, len(s), "unterminated string in brackets"
	}
	name, err := jsonstrict.String([]byte(s[1 : j+1]))
	if err != nil {
		return pathSeg{}, 1, "the name in brackets is not a valid JSON string (escapes, UTF-8, control characters)"
	}
	if why := checkMemberName(name); why != "" {
		return pathSeg{}, 1, why
	}
	if j+1 >= len(s) || s[j+1] != ']' {
		return pathSeg{}, j + 1, "want ']' after the string"
	}
	return pathSeg{name: name, index: -1}, j + 2, ""
}

// checkMemberName returns why name, decoded from brackets, cannot be
// named by a path, or "".
func checkMemberName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.ContainsAny(name, "{}"):
		return "name has a brace; no claim name may have one (braces delimit the references of condition values)"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "name has a control character"
	}
	return ""
}

// isAttribute reports whether name is that of a Cognito user attribute
// (custom:… or dev:…), which tokens carry as a string.
func isAttribute(name string) bool {
	return strings.HasPrefix(name, "custom:") || strings.HasPrefix(name, "dev:")
}

// String returns p in its canonical form: plain names where the syntax
// allows them, bracketed JSON strings elsewhere, indexes in decimal.
// ParseClaimPath(p.String()) is p. The zero ClaimPath is "".
func (p ClaimPath) String() string { return pathString(p.segs) }

// pathString writes segs in canonical form.
func pathString(segs []pathSeg) string {
	var b strings.Builder
	for i, seg := range segs {
		switch {
		case seg.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
		case isPlain(seg.name) && !(i == 0 && len(segs) > 1 && isAttribute(seg.name)):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg.name)
		default:
			b.WriteByte('[')
			b.WriteString(quoteName(seg.name))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// isPlain reports whether name can be written without brackets.
func isPlain(name string) bool {
	if name == "" || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !plainRune(r, utf8.RuneLen(r)) {
			return false
		}
	}
	return true
}

// quoteName returns name as a JSON string that jsonstrict.String decodes
// back to name: '"' and '\' escaped, and every character that is not
// printable (U+2028, U+200B, …) as \u escapes, so that a path stays one
// visible word of one line.
func quoteName(name string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range name {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r != ' ' && !unicode.IsPrint(r):
			writeUEscape(&b, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeUEscape writes r as a JSON \u escape, a surrogate pair beyond the
// Basic Multilingual Plane.
func writeUEscape(b *strings.Builder, r rune) {
	const hex = "0123456789abcdef"
	one := func(u rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[u>>shift&0xf])
		}
	}
	if r > 0xffff {
		r -= 0x10000
		one(0xd800 + r>>10)
		one(0xdc00 + r&0x3ff)
		return
	}
	one(r)
}

// Claim returns the name of the claim the path starts at.
func (p ClaimPath) Claim() string {
	if len(p.segs) == 0 {
		return ""
	}
	return p.segs[0].name
}

// Nested reports whether the path reaches below its claim.
func (p ClaimPath) Nested() bool { return len(p.segs) > 1 }

// Lookup returns the raw JSON value p names in tok's claims, exactly as
// signed (a copy, the caller's own), and whether there is one. It is false
// when the claim is absent, when a step names a member of something that
// is not an object or an element of something that is not an array, or
// when the member or element is not there. A JSON null is a value: its
// text "null" is returned.
func (p ClaimPath) Lookup(tok *claims.Token) (json.RawMessage, bool) {
	if len(p.segs) == 0 || tok == nil {
		return nil, false
	}
	raw, ok := tok.Claim(p.segs[0].name)
	if !ok {
		return nil, false
	}
	return walk(raw, p.segs[1:])
}

// walk follows segs from the JSON value v, returning a sub-slice of v.
func walk(v []byte, segs []pathSeg) ([]byte, bool) {
	for _, seg := range segs {
		var next []byte
		found := false
		switch {
		case seg.index >= 0 && len(v) > 0 && v[0] == '[':
			k := 0
			_ = jsonstrict.ArrayEach(v, func(e []byte, _ jsonstrict.Kind) error {
				if k == seg.index {
					next, found = e, true
					return errFound
				}
				k++
				return nil
			})
		case seg.index < 0 && len(v) > 0 && v[0] == '{':
			_ = jsonstrict.ObjectEach(v, func(name, e []byte, _ jsonstrict.Kind) error {
				if string(name) == seg.name {
					next, found = e, true
					return errFound
				}
				return nil
			})
		}
		if !found {
			return nil, false
		}
		v = next
	}
	return v, true
}

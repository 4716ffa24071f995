package jsonstrict

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects that is accepted.
// The outermost array or object is at depth 1, so "[[1]]" has depth 2.
// The limit bounds the stack that an attacker-chosen document can consume.
const MaxDepth = 64

// skipSpace returns the offset of the first byte at or after i in data that
// is not JSON whitespace (space, tab, line feed, carriage return).
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue validates the JSON value that starts at offset i of data and
// returns the offset just past it and its Kind. depth is the number of
// arrays and objects that enclose the value.
func scanValue(data []byte, i, depth int) (int, Kind, error) {
	if i >= len(data) {
		return i, Invalid, eofError(i)
	}
	switch c := data[i]; c {
	case '"':
		end, _, err := scanString(data, i)
		return end, StringKind, err
	case '{':
		if depth >= MaxDepth {
			return i, Invalid, depthError(i)
		}
		end, err := scanObject(data, i, depth+1, nil)
		return end, Object, err
	case '[':
		if depth >= MaxDepth {
			return i, Invalid, depthError(i)
		}
		end, err := scanArray(data, i, depth+1, nil)
		return end, Array, err
	case 't':
		end, err := scanLiteral(data, i, "true")
		return end, True, err
	case 'f':
		end, err := scanLiteral(data, i, "false")
		return end, False, err
	case 'n':
		end, err := scanLiteral(data, i, "null")
		return end, Null, err
	default:
		if c == '-' || isDigit(c) {
			end, _, err := scanNumber(data, i)
			return end, Number, err
		}
		return i, Invalid, charError(i, c, "looking for beginning of value")
	}
}

// scanLiteral validates that data holds lit (true, false or null) at offset
// i and returns the offset just past it.
func scanLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	for k := 0; k < len(lit); k++ {
		if i+k >= len(data) {
			return i + k, eofError(i + k)
		}
		if data[i+k] != lit[k] {
			return i + k, charError(i+k, data[i+k], "in literal "+lit)
		}
	}
	return i + len(lit), nil // Unreachable: the fast path matched.
}

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}

// scanNumber validates the JSON number that starts at offset i of data and
// returns the offset just past it and whether it is an integer, that is,
// has neither fraction nor exponent.
func scanNumber(data []byte, i int) (end int, integer bool, err error) {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	if j >= len(data) {
		return j, false, eofError(j)
	}
	switch c := data[j]; {
	case c == '0':
		j++
		if j < len(data) && isDigit(data[j]) {
			return j, false, syntaxError(j, "leading zero in number")
		}
	case isDigit(c):
		for j < len(data) && isDigit(data[j]) {
			j++
		}
	default:
		return j, false, charError(j, c, "in number")
	}
	integer = true
	if j < len(data) && data[j] == '.' {
		integer = false
		j++
		if j, err = scanDigits(data, j, "after decimal point"); err != nil {
			return j, false, err
		}
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		integer = false
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		if j, err = scanDigits(data, j, "in exponent"); err != nil {
			return j, false, err
		}
	}
	return j, integer, nil
}

// scanDigits validates one or more decimal digits at offset i of data and
// returns the offset just past them; where names the part of the number.
func scanDigits(data []byte, i int, where string) (int, error) {
	if i >= len(data) {
		return i, eofError(i)
	}
	if !isDigit(data[i]) {
		return i, charError(i, data[i], where)
	}
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i, nil
}

// scanString validates the JSON string whose opening quote is at offset i
// of data. It returns the offset just past the closing quote and whether the
// string contains escapes. It rejects control characters, invalid UTF-8,
// invalid escapes and lone surrogate escapes.
func scanString(data []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for j < len(data) {
		// Skip eight plain bytes at a time: printable ASCII other than the
		// quote and the backslash.
		for j+8 <= len(data) {
			if m := specialBytes(binary.LittleEndian.Uint64(data[j:])); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		if j >= len(data) {
			break
		}
		c := data[j]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			j++
			continue
		}
		switch {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			_, n, msg := decodeEscape(data[j:])
			if n == 0 {
				return j, false, syntaxError(j, msg)
			}
			escaped = true
			j += n
		case c < 0x20:
			return j, false, charError(j, c, "in string")
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				return j, false, syntaxError(j, "invalid UTF-8 in string")
			}
			j += size
		}
	}
	return j, false, eofError(j)
}

// Constants for testing all eight bytes of a uint64 at once.
const (
	ones  = 0x0101010101010101 // 0x01 in every byte.
	highs = 0x8080808080808080 // 0x80 in every byte.
)

// specialBytes returns a mask with the high bit of each byte of x that is a
// quote, a backslash, a control character or not ASCII, reading x as eight
// bytes in little-endian order. It may also mark bytes above the first such
// byte, but never below it, so the lowest set bit always marks the first
// special byte, and a zero mask means that all eight bytes are plain.
func specialBytes(x uint64) uint64 {
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x | (q-ones)&^q | (b-ones)&^b | x) & highs
}

// decodeEscape decodes the escape sequence at the start of s, which begins
// with a backslash. It returns the rune the escape stands for and the number
// of bytes it occupies, or a zero length and a message saying what is wrong.
// A high surrogate escape is decoded together with the low surrogate escape
// that must follow it.
func decodeEscape(s []byte) (r rune, n int, msg string) {
	if len(s) < 2 {
		return 0, 0, "unexpected end of input"
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2, ""
	case 'b':
		return '\b', 2, ""
	case 'f':
		return '\f', 2, ""
	case 'n':
		return '\n', 2, ""
	case 'r':
		return '\r', 2, ""
	case 't':
		return '\t', 2, ""
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, 0, "invalid \\u escape"
		}
		switch {
		case r < surrHigh || r > surrEnd:
			return r, 6, ""
		case r >= surrLow:
			return 0, 0, "lone surrogate escape"
		}
		if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
			return 0, 0, "lone surrogate escape"
		}
		r2, ok := hex4(s[8:])
		if !ok || r2 < surrLow || r2 > surrEnd {
			return 0, 0, "lone surrogate escape"
		}
		return surrSelf + (r-surrHigh)<<10 + (r2 - surrLow), 12, ""
	}
	return 0, 0, "invalid escape"
}

// The UTF-16 surrogate ranges: high surrogates are [surrHigh, surrLow), low
// surrogates [surrLow, surrEnd], and a pair encodes a rune from surrSelf up.
const (
	surrHigh = 0xd800
	surrLow  = 0xdc00
	surrEnd  = 0xdfff
	surrSelf = 0x10000
)

// hex4 decodes the four hexadecimal digits at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the unescaped form of s, the contents of a JSON
// string between its quotes, to dst. s must have been validated by
// scanString; should it hold a malformed escape anyway, appendUnescaped
// copies the rest of s unchanged rather than panic.
func appendUnescaped(dst, s []byte) []byte {
	for {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:k]...)
		r, n, _ := decodeEscape(s[k:])
		if n == 0 {
			return append(dst, s[k:]...)
		}
		dst = utf8.AppendRune(dst, r)
		s = s[k+n:]
	}
}

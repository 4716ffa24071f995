package jsonstrict

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"testing"
)

// nested returns n arrays nested inside each other around inner, such as
// "[[inner]]" for n == 2.
func nested(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

// nestedObjects returns n objects nested inside each other, each the value
// of member "a" of the one outside it, around inner.
func nestedObjects(n int, inner string) string {
	return strings.Repeat(`{"a":`, n) + inner + strings.Repeat("}", n)
}

// members returns an object with n members named m0, m1, … whose values
// are their indexes, followed by the members in extra.
func members(n int, extra string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"m%d":%d`, i, i)
	}
	if extra != "" {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extra)
	}
	b.WriteByte('}')
	return b.String()
}

// validCases are documents that Valid accepts, one row per rule.
var validCases = []struct {
	name string
	in   string
}{
	{"empty object", `{}`},
	{"empty array", `[]`},
	{"whitespace everywhere", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n"},
	{"null", `null`},
	{"true", `true`},
	{"false", `false`},
	{"zero", `0`},
	{"negative zero", `-0`},
	{"integer", `1700000000`},
	{"negative integer", `-5`},
	{"fraction", `1.5`},
	{"zero fraction", `0.0`},
	{"exponent", `1e9`},
	{"signed exponent", `-1.5E-10`},
	{"plus exponent", `2e+3`},
	{"huge number", `1e999999`},
	{"string", `"abc"`},
	{"empty string", `""`},
	{"all short escapes", `"\"\\\/\b\f\n\r\t"`},
	{"unicode escape", `"\u0041\u00e9\u4e2D"`},
	{"NUL escape", `"\u0000"`},
	{"surrogate pair escape", `"\ud83d\ude00"`},
	{"upper-case surrogate pair escape", `"\uD83D\uDE00"`},
	{"raw multi-byte UTF-8", `"héllo 世界 😀"`},
	{"raw U+FFFD", "\"\xef\xbf\xbd\""},
	{"raw DEL", "\"\x7f\""},
	{"depth 64 arrays", nested(64, "1")},
	{"depth 64 objects", nestedObjects(64, "1")},
	{"depth 64 mixed", nested(32, nestedObjects(32, "1"))},
	{"same name in sibling objects", `[{"a":1},{"a":2}]`},
	{"same name at different depths", `{"a":{"a":{"a":1}}}`},
	{"names differing in case", `{"token_use":1,"Token_Use":2,"TOKEN_USE":3}`},
	{"names differing in escapes only by value", `{"\u0061":1,"\u0062":2}`},
	{"16 members", members(16, "")},
	{"17 members", members(17, "")},
	{"5000 members", members(5000, "")},
	{"escaped and plain names in big object", members(40, `"\u0074oken_use":1,"token_usE":2`)},
}

// invalidCases are documents that Valid rejects, one row per rule, with the
// sentinel error validate wraps.
var invalidCases = []struct {
	name string
	in   string
	want error
}{
	{"empty input", ``, ErrSyntax},
	{"only whitespace", " \n\t", ErrSyntax},
	{"trailing comma in object", `{"a":1,}`, ErrSyntax},
	{"trailing comma in array", `[1,]`, ErrSyntax},
	{"lone comma in array", `[,]`, ErrSyntax},
	{"leading comma in object", `{,"a":1}`, ErrSyntax},
	{"double comma", `[1,,2]`, ErrSyntax},
	{"leading zero", `01`, ErrSyntax},
	{"negative leading zero", `-01`, ErrSyntax},
	{"leading zero in member", `{"exp":0123}`, ErrSyntax},
	{"leading plus", `+1`, ErrSyntax},
	{"lone minus", `-`, ErrSyntax},
	{"minus without digits", `-a`, ErrSyntax},
	{"bare fraction", `.5`, ErrSyntax},
	{"empty fraction", `1.`, ErrSyntax},
	{"empty exponent", `1e`, ErrSyntax},
	{"signed empty exponent", `1e+`, ErrSyntax},
	{"hex number", `0x1F`, ErrSyntax},
	{"NaN", `NaN`, ErrSyntax},
	{"Infinity", `-Infinity`, ErrSyntax},
	{"truncated true", `tru`, ErrSyntax},
	{"misspelled null", `nul1`, ErrSyntax},
	{"capitalised true", `True`, ErrSyntax},
	{"literal with suffix", `[truex]`, ErrSyntax},
	{"control character in string", "\"a\x01b\"", ErrSyntax},
	{"raw newline in string", "\"a\nb\"", ErrSyntax},
	{"raw tab in string", "\"a\tb\"", ErrSyntax},
	{"invalid UTF-8 byte", "\"\xff\"", ErrSyntax},
	{"truncated UTF-8 sequence", "\"\xc3\"", ErrSyntax},
	{"overlong UTF-8", "\"\xc0\xaf\"", ErrSyntax},
	{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", ErrSyntax},
	{"invalid UTF-8 in name", "{\"\xfe\":1}", ErrSyntax},
	{"unknown escape", `"\x41"`, ErrSyntax},
	{"capital U escape", `"\U0041"`, ErrSyntax},
	{"short unicode escape", `"\u41"`, ErrSyntax},
	{"non-hex unicode escape", `"\u12g4"`, ErrSyntax},
	{"escaped raw newline", "\"\\\n\"", ErrSyntax},
	{"backslash at end of input", `"\`, ErrSyntax},
	{"lone high surrogate", `"\ud800"`, ErrSyntax},
	{"high surrogate then text", `"\ud800abcdef"`, ErrSyntax},
	{"high surrogate then non-surrogate", `"\ud800\u0041"`, ErrSyntax},
	{"two high surrogates", `"\ud800\ud800"`, ErrSyntax},
	{"lone low surrogate", `"\udc00"`, ErrSyntax},
	{"reversed surrogate pair", `"\udc00\ud800"`, ErrSyntax},
	{"high surrogate then short escape", `"\ud800\u12"`, ErrSyntax},
	{"lone surrogate in name", `{"\udfff":1}`, ErrSyntax},
	{"unterminated string", `"abc`, ErrSyntax},
	{"unterminated object", `{"a":1`, ErrSyntax},
	{"unterminated array", `[1,2`, ErrSyntax},
	{"object missing value", `{"a":}`, ErrSyntax},
	{"object missing colon", `{"a" 1}`, ErrSyntax},
	{"object missing comma", `{"a":1 "b":2}`, ErrSyntax},
	{"array missing comma", `[1 2]`, ErrSyntax},
	{"number as name", `{1:2}`, ErrSyntax},
	{"unquoted name", `{a:1}`, ErrSyntax},
	{"single-quoted string", `'a'`, ErrSyntax},
	{"comment", `{/* c */}`, ErrSyntax},
	{"mismatched brackets", `[}`, ErrSyntax},
	{"trailing data", `{} x`, ErrSyntax},
	{"two values", `{}{}`, ErrSyntax},
	{"two numbers", `1 2`, ErrSyntax},
	{"trailing NUL", "{}\x00", ErrSyntax},
	{"byte order mark", "\xef\xbb\xbf{}", ErrSyntax},
	{"non-JSON whitespace", "\v{}", ErrSyntax},
	{"duplicate name", `{"a":1,"a":2}`, ErrDuplicateName},
	{"duplicate name with different values", `{"token_use":"id","token_use":"access"}`, ErrDuplicateName},
	{"duplicate name escaped", `{"token_use":"id","\u0074oken_use":"access"}`, ErrDuplicateName},
	{"duplicate name both escaped differently", `{"\u0061":1,"\u0061":2,"\u0041":3}`, ErrDuplicateName},
	{"duplicate name with solidus escape", `{"a/b":1,"a\/b":2}`, ErrDuplicateName},
	{"duplicate name surrogate pair vs raw", `{"😀":1,"\ud83d\ude00":2}`, ErrDuplicateName},
	{"duplicate empty name", `{"":1,"":2}`, ErrDuplicateName},
	{"duplicate name in nested object", `{"a":{"b":1,"b":2}}`, ErrDuplicateName},
	{"duplicate name in object in array", `[1,{"b":1,"c":2,"b":3}]`, ErrDuplicateName},
	{"duplicate name as 17th member", members(16, `"m0":0`), ErrDuplicateName},
	{"duplicate name past the map threshold", members(40, `"m39":0`), ErrDuplicateName},
	{"duplicate escaped name past the map threshold", members(40, `"m\u0033":0`), ErrDuplicateName},
	{"duplicate name among 5000 members", members(5000, `"m4321":0`), ErrDuplicateName},
	{"depth 65 arrays", nested(65, "1"), ErrDepth},
	{"depth 65 objects", nestedObjects(65, "1"), ErrDepth},
	{"depth 65 empty", nested(65, ""), ErrDepth},
	{"depth 10000", nested(10000, ""), ErrDepth},
}

func TestValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := validate([]byte(tc.in)); err != nil {
				t.Errorf("validate: got %v, want nil", err)
			}
			if got := Valid([]byte(tc.in)); !got {
				t.Errorf("Valid: got %v, want true", got)
			}
		})
	}
}

func TestValidRejects(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			err := validate([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Errorf("validate: got %v, want an error wrapping %v", err, tc.want)
			}
			if got := Valid([]byte(tc.in)); got {
				t.Errorf("Valid: got %v, want false", got)
			}
		})
	}
}

// TestErrorsQuoteLittleInput checks that no error message repeats more than
// maxQuoted bytes of the input, which may be secret.
func TestErrorsQuoteLittleInput(t *testing.T) {
	secret := strings.Repeat("S", 100)
	tests := []struct {
		name string
		in   string
	}{
		{"duplicate long name", `{"` + secret + `":1,"` + secret + `":2}`},
		{"bad character after long string", `{"a":"` + secret + `"x}`},
		{"control character in long string", `"` + secret + "\x01" + secret + `"`},
		{"invalid UTF-8 in long string", `"` + secret + "\xff" + secret + `"`},
		{"long number with trailing data", `1` + strings.Repeat("9", 100) + `x`},
		{"trailing long data", `{}` + secret},
		{"bad escape in long string", `"` + secret + `\q"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate([]byte(tc.in))
			if err == nil {
				t.Fatal("validate: got nil, want an error")
			}
			msg := err.Error()
			for _, run := range []string{strings.Repeat("S", maxQuoted+1), strings.Repeat("9", maxQuoted+1)} {
				if strings.Contains(msg, run) {
					t.Errorf("error %q quotes more than %d bytes of input", msg, maxQuoted)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{Invalid, "invalid"},
		{Null, "null"},
		{False, "false"},
		{True, "true"},
		{Number, "number"},
		{StringKind, "string"},
		{Array, "array"},
		{Object, "object"},
		{Kind(200), "Kind(200)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.kind.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSpecialBytes checks specialBytes against a byte-by-byte definition
// for every byte value at every position, after both plain and special
// bytes.
func TestSpecialBytes(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80 }
	// firstSpecial returns the index of the first special byte of w, or 8.
	firstSpecial := func(w [8]byte) int {
		for i, c := range w {
			if special(c) {
				return i
			}
		}
		return 8
	}
	for _, fill := range []byte{'a', 0x20, 0x7f, 0x00, 0xff, '"', '\\'} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					if i < pos {
						w[i] = 'a'
					} else {
						w[i] = fill
					}
				}
				w[pos] = byte(c)
				m := specialBytes(binary.LittleEndian.Uint64(w[:]))
				got := 8
				if m != 0 {
					got = bits.TrailingZeros64(m) / 8
				}
				if want := firstSpecial(w); got != want {
					t.Fatalf("specialBytes(% x): first special byte got %d, want %d", w, got, want)
				}
			}
		}
	}
}

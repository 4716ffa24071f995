package jsonstrict

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// stringCases are inputs for String and AppendString with the result or the
// sentinel error they must produce.
var stringCases = []struct {
	name    string
	in      string
	want    string
	wantErr error
}{
	{"plain", `"access"`, "access", nil},
	{"empty", `""`, "", nil},
	{"short escapes", `"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", nil},
	{"escaped URL", `"https:\/\/cognito-idp.us-east-1.amazonaws.com\/pool"`, "https://cognito-idp.us-east-1.amazonaws.com/pool", nil},
	{"unicode escapes", `"\u0074oken_use \u00e9 \u4E2d"`, "token_use é 中", nil},
	{"NUL escape", `"a\u0000b"`, "a\x00b", nil},
	{"surrogate pair", `"\ud83d\ude00"`, "😀", nil},
	{"highest surrogate pair", `"\udbff\udfff"`, "\U0010ffff", nil},
	{"raw UTF-8", `"grüße 😀"`, "grüße 😀", nil},
	{"raw U+FFFD", "\"\xef\xbf\xbd\"", "\ufffd", nil},
	{"escape at end", `"abc\n"`, "abc\n", nil},
	{"long with escape", `"0123456789abcdef0123456789abcdef\t0123456789"`, "0123456789abcdef0123456789abcdef\t0123456789", nil},
	{"number", `123`, "", ErrType},
	{"null", `null`, "", ErrType},
	{"array", `["a"]`, "", ErrType},
	{"object", `{}`, "", ErrType},
	{"true", `true`, "", ErrType},
	{"unquoted", `abc`, "", ErrSyntax},
	{"empty input", ``, "", ErrSyntax},
	{"leading whitespace", ` "a"`, "", ErrSyntax},
	{"trailing whitespace", `"a" `, "", ErrSyntax},
	{"trailing data", `"a"b`, "", ErrSyntax},
	{"two strings", `"a""b"`, "", ErrSyntax},
	{"unterminated", `"abc`, "", ErrSyntax},
	{"lone quote", `"`, "", ErrSyntax},
	{"lone high surrogate", `"\ud800"`, "", ErrSyntax},
	{"lone low surrogate", `"\udc00x"`, "", ErrSyntax},
	{"high surrogate then BMP escape", `"\ud800\u0061"`, "", ErrSyntax},
	{"bad escape", `"\a"`, "", ErrSyntax},
	{"short unicode escape", `"\u00"`, "", ErrSyntax},
	{"invalid UTF-8", "\"a\xffb\"", "", ErrSyntax},
	{"UTF-8 encoded surrogate", "\"\xed\xbf\xbf\"", "", ErrSyntax},
	{"control character", "\"a\x1fb\"", "", ErrSyntax},
}

func TestString(t *testing.T) {
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := String([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendString(t *testing.T) {
	const prefix = "prefix:"
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte(prefix)
			got, err := AppendString(dst, []byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if want := prefix + tc.want; string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestStringAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	tests := []struct {
		name string
		in   string
	}{
		{"plain", `"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"`},
		{"escaped", `"https:\/\/cognito-idp.us-east-1.amazonaws.com\/us-east-1_AbCdEfGhI"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.in)
			got := testing.AllocsPerRun(100, func() {
				if _, err := String(data); err != nil {
					t.Fatal(err)
				}
			})
			if got != 1 {
				t.Errorf("String allocations: got %v, want 1", got)
			}
			buf := make([]byte, 0, 128)
			got = testing.AllocsPerRun(100, func() {
				if _, err := AppendString(buf[:0], data); err != nil {
					t.Fatal(err)
				}
			})
			if got != 0 {
				t.Errorf("AppendString allocations: got %v, want 0", got)
			}
		})
	}
}

func TestInt64(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr error
	}{
		{"zero", `0`, 0, nil},
		{"negative zero", `-0`, 0, nil},
		{"unix time", `1700000000`, 1700000000, nil},
		{"negative", `-5`, -5, nil},
		{"max", `9223372036854775807`, math.MaxInt64, nil},
		{"min", `-9223372036854775808`, math.MinInt64, nil},
		{"max plus one", `9223372036854775808`, 0, ErrRange},
		{"min minus one", `-9223372036854775809`, 0, ErrRange},
		{"max uint64", `18446744073709551615`, 0, ErrRange},
		{"max uint64 plus one", `18446744073709551616`, 0, ErrRange},
		{"many digits", `123456789012345678901234567890`, 0, ErrRange},
		{"fraction", `1.5`, 0, ErrType},
		{"zero fraction", `1.0`, 0, ErrType},
		{"exponent", `1e3`, 0, ErrType},
		{"capital exponent", `1E3`, 0, ErrType},
		{"negative exponent", `10e-1`, 0, ErrType},
		{"string", `"1"`, 0, ErrType},
		{"quoted letters", `"abc"`, 0, ErrType},
		{"true", `true`, 0, ErrType},
		{"null", `null`, 0, ErrType},
		{"array", `[1]`, 0, ErrType},
		{"leading zero", `01`, 0, ErrSyntax},
		{"negative leading zero", `-01`, 0, ErrSyntax},
		{"leading plus", `+1`, 0, ErrSyntax},
		{"lone minus", `-`, 0, ErrSyntax},
		{"double minus", `--1`, 0, ErrSyntax},
		{"empty fraction", `1.`, 0, ErrSyntax},
		{"empty exponent", `1e`, 0, ErrSyntax},
		{"letters", `abc`, 0, ErrSyntax},
		{"empty input", ``, 0, ErrSyntax},
		{"leading whitespace", ` 1`, 0, ErrSyntax},
		{"trailing whitespace", `1 `, 0, ErrSyntax},
		{"trailing data", `12a`, 0, ErrSyntax},
		{"hex", `0x10`, 0, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Int64([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    bool
		wantErr error
	}{
		{"true", `true`, true, nil},
		{"false", `false`, false, nil},
		{"null", `null`, false, ErrType},
		{"number", `1`, false, ErrType},
		{"zero", `0`, false, ErrType},
		{"string", `"true"`, false, ErrType},
		{"array", `[true]`, false, ErrType},
		{"truncated", `tru`, false, ErrSyntax},
		{"misspelled", `fals3`, false, ErrSyntax},
		{"capitalised", `True`, false, ErrSyntax},
		{"trailing data", `truee`, false, ErrSyntax},
		{"trailing whitespace", `false `, false, ErrSyntax},
		{"empty input", ``, false, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Bool([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr error
	}{
		{"empty array", `[]`, []string{}, nil},
		{"empty array with whitespace", `[ ]`, []string{}, nil},
		{"one", `["admin"]`, []string{"admin"}, nil},
		{"several with whitespace", "[ \"a\" ,\n\"b\",\"c\" ]", []string{"a", "b", "c"}, nil},
		{"escapes", `["\u0061","b\/c","\ud83d\ude00"]`, []string{"a", "b/c", "😀"}, nil},
		{"repeated", `["a","a"]`, []string{"a", "a"}, nil},
		{"number element", `["a",1]`, nil, ErrType},
		{"null element", `["a",null]`, nil, ErrType},
		{"nested array", `[["a"]]`, nil, ErrType},
		{"object element", `[{"a":"b"}]`, nil, ErrType},
		{"string", `"a"`, nil, ErrType},
		{"object", `{"a":"b"}`, nil, ErrType},
		{"null", `null`, nil, ErrType},
		{"trailing comma", `["a",]`, nil, ErrSyntax},
		{"unterminated", `["a"`, nil, ErrSyntax},
		{"trailing data", `["a"]]`, nil, ErrSyntax},
		{"trailing whitespace", `["a"] `, nil, ErrSyntax},
		{"lone surrogate element", `["\udc00"]`, nil, ErrSyntax},
		{"invalid UTF-8 element", "[\"\xc3\x28\"]", nil, ErrSyntax},
		{"empty input", ``, nil, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Strings([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestStringsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	data := []byte(`["us-east-1_AbCdEfGhI_Google","administrators","billing-readers"]`)
	got := testing.AllocsPerRun(100, func() {
		if _, err := Strings(data); err != nil {
			t.Fatal(err)
		}
	})
	// One for the slice and one for each string.
	if want := 4.0; got != want {
		t.Errorf("allocations: got %v, want %v", got, want)
	}
}

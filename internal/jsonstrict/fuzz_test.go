package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are inputs that both fuzz targets start from, in addition to
// the files under testdata/fuzz.
//
// Some seeds are token-sized (about 900 bytes), and the fuzzer's
// minimization of new inputs that large takes time quadratic in their
// length, during which it reports no executions. Cap it when fuzzing:
//
//	go test -run=^$ -fuzz=FuzzValid -fuzztime=60s -fuzzminimizetime=5s ./internal/jsonstrict/
var fuzzSeeds = []string{
	accessTokenPayload,
	`{"kid":"abcdefghijklmnopqrstuvwxyz1234567890+/=","alg":"RS256"}`,
	`{"token_use":"id","\u0074oken_use":"access"}`,
	`{"a":1,"A":2}`,
	`{"s":"\ud83d\ude00\u00e9\n","n":-0,"f":1.5e-3,"b":true,"z":null,"a":["x",{"y":[]}]}`,
	`{"lone":"\ud800"}`,
	"{\"bad\":\"\xff\"}",
	`{"exp":01}`,
	`{"a":1,}`,
	`[1,2,[3,{"4":5}]]`,
	`"\u0041"`,
	`9223372036854775808`,
	nested(MaxDepth, "1"),
	nested(MaxDepth+1, "1"),
	members(20, `"m7":0`),
}

// FuzzValid checks Valid against encoding/json. Valid is stricter: whatever
// it accepts, json.Valid must accept, and of what json.Valid accepts, Valid
// must accept exactly the documents that break none of the extra rules
// (valid UTF-8, no lone surrogate escapes, depth at most MaxDepth, no
// duplicate names), as judged by logic independent of this package. It also
// checks that ObjectEach, ArrayEach and validate agree with Valid.
func FuzzValid(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Valid(data)
		if err := validate(data); (err == nil) != got {
			t.Fatalf("Valid is %v but validate returned %v", got, err)
		}
		stdValid := json.Valid(data)
		if got && !stdValid {
			t.Fatalf("Valid accepts %q, encoding/json rejects it", data)
		}
		if stdValid {
			want := utf8.Valid(data) && !hasLoneSurrogate(data) && maxDepth(data) <= MaxDepth && !hasDuplicateName(t, data)
			if got != want {
				t.Fatalf("Valid(%q): got %v (%v), want %v: encoding/json accepts it and the extra rules say %v", data, got, validate(data), want, want)
			}
		}

		trimmed := bytes.TrimLeft(data, " \t\r\n")
		objErr := ObjectEach(data, nil)
		arrErr := ArrayEach(data, nil)
		if !got && (errors.Is(objErr, ErrType) || errors.Is(arrErr, ErrType)) {
			t.Fatalf("on invalid JSON: ObjectEach returned %v, ArrayEach %v, want no ErrType", objErr, arrErr)
		}
		switch kindOf(trimmed) {
		case Object:
			if (objErr == nil) != got {
				t.Fatalf("Valid is %v but ObjectEach returned %v", got, objErr)
			}
			if got && !errors.Is(arrErr, ErrType) {
				t.Fatalf("ArrayEach on an object: got %v, want ErrType", arrErr)
			}
		case Array:
			if (arrErr == nil) != got {
				t.Fatalf("Valid is %v but ArrayEach returned %v", got, arrErr)
			}
			if got && !errors.Is(objErr, ErrNotObject) {
				t.Fatalf("ObjectEach on an array: got %v, want ErrNotObject", objErr)
			}
		default:
			if got && (!errors.Is(objErr, ErrNotObject) || !errors.Is(arrErr, ErrType)) {
				t.Fatalf("on a scalar: ObjectEach returned %v, ArrayEach %v", objErr, arrErr)
			}
		}
	})
}

// FuzzObjectEach checks that whatever ObjectEach accepts, encoding/json
// decodes to the same members, and that the decoders agree with
// encoding/json on every member value. It also runs the decoders on the
// raw input, which must never panic.
func FuzzObjectEach(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoders(t, data)

		var names []string
		values := make(map[string][]byte)
		err := ObjectEach(data, func(name, value []byte, kind Kind) error {
			if got := kindOf(value); got != kind {
				t.Fatalf("member %q: kind got %v, value %q starts a %v", name, kind, value, got)
			}
			if err := validate(value); err != nil {
				t.Fatalf("member %q: value %q is invalid: %v", name, value, err)
			}
			names = append(names, string(name))
			values[string(name)] = value
			checkDecoders(t, value)
			return nil
		})
		if err != nil {
			return
		}

		var std map[string]json.RawMessage
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("ObjectEach accepts %q, encoding/json fails: %v", data, err)
		}
		if len(std) != len(names) {
			t.Fatalf("members: got %d names %q, encoding/json found %d", len(names), names, len(std))
		}
		for _, name := range names {
			raw, ok := std[name]
			if !ok {
				t.Fatalf("member %q is missing from encoding/json's result", name)
			}
			if !bytes.Equal(raw, values[name]) {
				t.Fatalf("member %q: got value %q, encoding/json %q", name, values[name], raw)
			}
		}
	})
}

// checkDecoders runs every decoder on value, which may be anything, and
// checks that whatever a decoder accepts, encoding/json decodes to the same
// Go value.
func checkDecoders(t *testing.T, value []byte) {
	t.Helper()
	if got, err := String(value); err == nil {
		var want string
		if err := json.Unmarshal(value, &want); err != nil {
			t.Fatalf("String accepts %q, encoding/json fails: %v", value, err)
		}
		if got != want {
			t.Fatalf("String(%q): got %q, encoding/json %q", value, got, want)
		}
		if b, err := AppendString([]byte("x"), value); err != nil || string(b) != "x"+want {
			t.Fatalf("AppendString(%q): got %q, %v, want %q", value, b, err, "x"+want)
		}
	} else if b, err := AppendString([]byte("x"), value); err == nil || string(b) != "x" {
		t.Fatalf("AppendString(%q): got %q, %v after String failed", value, b, err)
	}
	got, err := Int64(value)
	var want int64
	stdErr := json.Unmarshal(value, &want)
	if err == nil && (stdErr != nil || got != want) {
		t.Fatalf("Int64(%q): got %d, encoding/json %d, %v", value, got, want, stdErr)
	}
	if err != nil && stdErr == nil && kindOf(value) == Number && Valid(value) && len(bytes.Trim(value, " \t\r\n")) == len(value) {
		t.Fatalf("Int64(%q) fails with %v, encoding/json decodes %d", value, err, want)
	}
	if got, err := Bool(value); err == nil {
		var want bool
		if err := json.Unmarshal(value, &want); err != nil || got != want {
			t.Fatalf("Bool(%q): got %v, encoding/json %v, %v", value, got, want, err)
		}
	}
	if got, err := Strings(value); err == nil {
		var want []string
		if err := json.Unmarshal(value, &want); err != nil || !slices.Equal(got, want) {
			t.Fatalf("Strings(%q): got %q, encoding/json %q, %v", value, got, want, err)
		}
	}
}

// The helpers below judge documents that json.Valid accepts without using
// this package's scanner.

// maxDepth returns the deepest nesting of arrays and objects in data, which
// must be valid JSON.
func maxDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// hasLoneSurrogate reports whether a string in data, which must be valid
// JSON, holds a \u escape of a UTF-16 surrogate that is not a high
// surrogate immediately followed by a \u escape of a low surrogate.
func hasLoneSurrogate(data []byte) bool {
	hex := func(b []byte) uint64 {
		v, err := strconv.ParseUint(string(b), 16, 16)
		if err != nil {
			return 0
		}
		return v
	}
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if data[i+1] != 'u' {
				i++
				continue
			}
			v := hex(data[i+2 : i+6])
			i += 5
			switch {
			case 0xdc00 <= v && v <= 0xdfff:
				return true
			case 0xd800 <= v && v <= 0xdbff:
				if i+6 >= len(data) || data[i+1] != '\\' || data[i+2] != 'u' {
					return true
				}
				if w := hex(data[i+3 : i+7]); w < 0xdc00 || w > 0xdfff {
					return true
				}
				i += 6
			}
		}
	}
	return false
}

// hasDuplicateName reports whether an object in data, which must be valid
// JSON, repeats a member name, using encoding/json's tokenizer.
func hasDuplicateName(t *testing.T, data []byte) bool {
	t.Helper()
	type frame struct {
		names     map[string]bool // Nil for an array.
		expectKey bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // Numbers like 1e1000 are valid JSON but overflow float64.
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].names != nil {
			stack[len(stack)-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			t.Fatalf("encoding/json tokenizer fails on valid JSON %q: %v", data, err)
		}
		if n := len(stack); n > 0 && stack[n-1].expectKey && tok != json.Delim('}') {
			top := stack[n-1]
			name := tok.(string)
			if top.names[name] {
				return true
			}
			top.names[name] = true
			top.expectKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{names: make(map[string]bool), expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// TestOracles checks the fuzz oracles on documents whose answers are known.
func TestOracles(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		wantDepth     int
		wantSurrogate bool
		wantDuplicate bool
	}{
		{"scalar", `1`, 0, false, false},
		{"brackets in strings", `[{"a":"[[{{\"]]"}]`, 2, false, false},
		{"surrogate pair", `"\ud83d\ude00"`, 0, false, false},
		{"lone high surrogate", `"\ud83dx"`, 0, true, false},
		{"lone low surrogate", `["\ude00"]`, 1, true, false},
		{"escaped backslash before u", `"\\ud800"`, 0, false, false},
		{"high surrogate at end of string", `"\ud800"`, 0, true, false},
		{"duplicate", `{"a":{"b":1},"c":[1,{"d":2,"d":3}]}`, 3, false, true},
		{"duplicate after nested object", `{"a":{"b":1},"a":2}`, 2, false, true},
		{"escaped duplicate", `{"a":1,"\u0061":2}`, 1, false, true},
		{"same name in siblings", `[{"a":1},{"a":2}]`, 2, false, false},
		{"same name at different depths", `{"a":{"a":1}}`, 2, false, false},
		{"number beyond float64", `{"a":1e1000,"a":-1e1000}`, 1, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.in)
			if !json.Valid(data) {
				t.Fatalf("test input %q is not valid JSON", data)
			}
			if got := maxDepth(data); got != tc.wantDepth {
				t.Errorf("maxDepth: got %d, want %d", got, tc.wantDepth)
			}
			if got := hasLoneSurrogate(data); got != tc.wantSurrogate {
				t.Errorf("hasLoneSurrogate: got %v, want %v", got, tc.wantSurrogate)
			}
			if got := hasDuplicateName(t, data); got != tc.wantDuplicate {
				t.Errorf("hasDuplicateName: got %v, want %v", got, tc.wantDuplicate)
			}
		})
	}
}

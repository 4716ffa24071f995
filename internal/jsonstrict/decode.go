package jsonstrict

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// The decoders take a value as ObjectEach and ArrayEach pass it: exactly one
// JSON value with no surrounding whitespace. They validate it again, so any
// input is safe, but do not look beyond what they need to decide its type.

// String decodes the JSON string value, given with its quotes, into a Go
// string. It costs one allocation, for the result, with or without escapes;
// use AppendString to decode into a buffer of your own.
// It returns an error wrapping ErrType if value is another kind of JSON
// value, or ErrSyntax if it is not a valid JSON string.
func String(value []byte) (string, error) {
	raw, escaped, err := stringContents(value)
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	var b strings.Builder
	b.Grow(len(raw)) // Unescaping never makes a string longer.
	for {
		k := bytes.IndexByte(raw, '\\')
		if k < 0 {
			b.Write(raw)
			return b.String(), nil
		}
		b.Write(raw[:k])
		r, n, msg := decodeEscape(raw[k:])
		if n == 0 {
			// Unreachable: stringContents validated the escapes.
			return "", syntaxError(len(value)-len(raw)+k-1, msg)
		}
		b.WriteRune(r)
		raw = raw[k+n:]
	}
}

// AppendString appends the unescaped contents of the JSON string value,
// given with its quotes, to dst and returns the extended slice. On error it
// returns dst unchanged and an error wrapping ErrType if value is another
// kind of JSON value, or ErrSyntax if it is not a valid JSON string.
func AppendString(dst, value []byte) ([]byte, error) {
	raw, escaped, err := stringContents(value)
	if err != nil {
		return dst, err
	}
	if !escaped {
		return append(dst, raw...), nil
	}
	return appendUnescaped(dst, raw), nil
}

// stringContents validates the JSON string value and returns the bytes
// between its quotes and whether they contain escapes.
func stringContents(value []byte) (raw []byte, escaped bool, err error) {
	if k := kindOf(value); k != StringKind {
		return nil, false, typeError(k, "string")
	}
	end, escaped, err := scanString(value, 0)
	if err != nil {
		return nil, false, err
	}
	if end != len(value) {
		return nil, false, charError(end, value[end], "after string")
	}
	return value[1 : end-1], escaped, nil
}

// Int64 decodes the JSON number value into an int64. The number must be an
// integer written without fraction or exponent, such as 1700000000 or -5;
// "-0" decodes to 0. It returns an error wrapping ErrType if value is
// another kind of JSON value or a number with a fraction or exponent (even
// 1.0 or 1e3), ErrRange if the integer does not fit an int64, or ErrSyntax
// if value is not a valid JSON number.
func Int64(value []byte) (int64, error) {
	if k := kindOf(value); k != Number {
		return 0, typeError(k, "number")
	}
	end, integer, err := scanNumber(value, 0)
	if err != nil {
		return 0, err
	}
	if end != len(value) {
		return 0, charError(end, value[end], "after number")
	}
	if !integer {
		return 0, fmt.Errorf("jsonstrict: number has a fraction or exponent, want integer: %w", ErrType)
	}
	digits, limit := value, uint64(math.MaxInt64)
	neg := value[0] == '-'
	if neg {
		digits, limit = value[1:], uint64(math.MaxInt64)+1
	}
	var u uint64
	for _, c := range digits {
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, fmt.Errorf("jsonstrict: integer overflows int64: %w", ErrRange)
		}
		u = u*10 + d
	}
	if neg {
		return int64(-u), nil // For u == 1<<63 this is math.MinInt64.
	}
	return int64(u), nil
}

// Bool decodes the JSON value true or false. It returns an error wrapping
// ErrType for any other kind of JSON value, including null, or ErrSyntax if
// value is not valid JSON.
func Bool(value []byte) (bool, error) {
	k := kindOf(value)
	var end int
	var err error
	switch k {
	case True:
		end, err = scanLiteral(value, 0, "true")
	case False:
		end, err = scanLiteral(value, 0, "false")
	default:
		return false, typeError(k, "boolean")
	}
	if err != nil {
		return false, err
	}
	if end != len(value) {
		return false, charError(end, value[end], "after literal")
	}
	return k == True, nil
}

// Strings decodes the JSON array value, whose elements must all be strings,
// into a []string. An empty array gives an empty, non-nil slice. It returns
// an error wrapping ErrType if value is not an array or has an element that
// is not a string, and otherwise the errors ArrayEach would return.
func Strings(value []byte) ([]string, error) {
	if k := kindOf(value); k != Array {
		return nil, typeError(k, "array")
	}
	n := 0
	end, err := scanArray(value, 0, 1, func(_ []byte, kind Kind) error {
		if kind != StringKind {
			return typeError(kind, "string")
		}
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end != len(value) {
		return nil, charError(end, value[end], "after array")
	}
	out := make([]string, 0, n)
	_, err = scanArray(value, 0, 1, func(elem []byte, _ Kind) error {
		s, err := String(elem)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, err // Unreachable: the first pass validated value.
	}
	return out, nil
}

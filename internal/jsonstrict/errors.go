package jsonstrict

import (
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by errors for input that is not valid JSON under the
// rules of this package: RFC 8259 grammar, valid UTF-8 in strings, no lone
// surrogate escapes. The wrapping error gives the byte offset of the problem.
var ErrSyntax = errors.New("syntax error")

// ErrDuplicateName is wrapped by errors for an object in which two members
// have the same name after unescaping. Duplicates are rejected so that no
// member can override another that a different parser may have read.
var ErrDuplicateName = errors.New("duplicate member name")

// ErrDepth is wrapped by errors for a document whose arrays and objects nest
// more than MaxDepth levels deep.
var ErrDepth = errors.New("nesting too deep")

// ErrType is wrapped by errors for a value that is valid JSON but not of the
// type the caller asked for, such as a string given to Int64 or the number
// 1.5 given to Int64.
var ErrType = errors.New("wrong type")

// ErrRange is wrapped by errors for a number that is an integer but does
// not fit the requested Go type.
var ErrRange = errors.New("value out of range")

// ErrNotObject is wrapped by the error ObjectEach returns when its input is
// valid JSON whose top level is not an object. It wraps ErrType, so
// errors.Is(err, ErrType) holds as well.
var ErrNotObject = fmt.Errorf("not an object: %w", ErrType)

// maxQuoted is the largest number of input bytes that an error message may
// quote. Inputs are attacker-controlled and may be secret.
const maxQuoted = 32

// syntaxError returns an error wrapping ErrSyntax that reports msg at byte
// offset off of the input.
func syntaxError(off int, msg string) error {
	return fmt.Errorf("jsonstrict: offset %d: %s: %w", off, msg, ErrSyntax)
}

// charError returns an error wrapping ErrSyntax for the unexpected byte c at
// offset off; where says what the scanner was looking for.
func charError(off int, c byte, where string) error {
	return fmt.Errorf("jsonstrict: offset %d: invalid character %q %s: %w", off, c, where, ErrSyntax)
}

// eofError returns an error wrapping ErrSyntax for input that ends at offset
// off before the document is complete.
func eofError(off int) error {
	return syntaxError(off, "unexpected end of input")
}

// duplicateError returns an error wrapping ErrDuplicateName for name, the
// unescaped member name at offset off, quoting at most maxQuoted bytes.
func duplicateError(off int, name []byte) error {
	if len(name) > maxQuoted {
		name = name[:maxQuoted]
	}
	return fmt.Errorf("jsonstrict: offset %d: %q: %w", off, name, ErrDuplicateName)
}

// depthError returns an error wrapping ErrDepth for the container that
// opens at offset off.
func depthError(off int) error {
	return fmt.Errorf("jsonstrict: offset %d: more than %d levels: %w", off, MaxDepth, ErrDepth)
}

// typeError returns an error for a value of kind got where a value of the
// type named want was expected. It wraps ErrSyntax if got is Invalid, because then the value is
// not JSON at all, and ErrType otherwise.
func typeError(got Kind, want string) error {
	if got == Invalid {
		return syntaxError(0, "not a JSON value")
	}
	return fmt.Errorf("jsonstrict: %s value, want %s: %w", got, want, ErrType)
}

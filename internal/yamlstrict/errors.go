package yamlstrict

import (
	"strconv"
	"strings"
)

// Error is one problem in a YAML document, with where it is.
type Error struct {
	// File names the document, as given to NewDecoder.
	File string
	// Line is the 1-based line of the problem; 0 when it has none (the
	// document as a whole, or a field that is absent).
	Line int
	// Field is the path of the offending field, e.g. "pools[0].client_ids"
	// or "identity_headers.claims.custom:tenant"; empty for the document
	// as a whole.
	Field string
	// Msg says what is wrong and what was expected.
	Msg string
	// Err classifies the problem for the caller, who set it (Fail); nil
	// for the problems this package finds: the document's syntax and
	// shape.
	Err error
}

// Error returns "file:line: field: msg", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

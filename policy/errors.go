package policy

import (
	"errors"
	"strconv"
)

// Errors returned by New, Parse and Load. Every error these functions return
// (except Load's errors reading the file, which wrap the os package's)
// matches one of them with errors.Is, and is, or joins, *LoadError values
// that say where each problem is; errors.As gets the first.
var (
	// ErrSyntax means a policy file is not a well-formed policy document:
	// not YAML, more than one document, an anchor or alias, an unknown or
	// repeated key, a value of the wrong type, or a file that is too large.
	ErrSyntax = errors.New("policy: syntax error")

	// ErrConfig means a policy is well-formed but invalid: a bad or
	// conflicting route pattern, a bad or repeated rule name, an empty
	// list, an unknown token_use or operator, a variable that the route does
	// not define, requirements that can never hold. Nothing is checked
	// later, at request time: a policy that loads is complete.
	ErrConfig = errors.New("policy: invalid configuration")
)

// ErrBadHost means a Host (or X-Forwarded-Host) value does not name exactly
// one host: it is not a DNS name, dotted-quad IPv4 address or bracketed
// IPv6 address with at most one port. CheckHost returns it, as a
// *HostError that says why.
var ErrBadHost = errors.New("policy: bad host")

// ErrBadClaimPath means a claim path is not well-formed (see ClaimPath).
// ParseClaimPath returns it, as a *ClaimPathError that says where and why.
var ErrBadClaimPath = errors.New("policy: bad claim path")

// LoadError describes one problem with a policy: where it is and what was
// expected. It unwraps to ErrSyntax or ErrConfig.
//
// New reports errors with an empty File and a zero Line; Field then names
// the field with the names the YAML form uses ("rules[3].groups_any"), so
// that one vocabulary serves both.
type LoadError struct {
	// File is the file name given to Parse or Load; empty for New.
	File string
	// Line is the 1-based line in File; 0 when unknown.
	Line int
	// Field is the path of the offending field, e.g. "rules[3].groups_any"
	// or "rules[0].any_of[1].claims[0].equals"; empty when the problem is
	// the document as a whole.
	Field string
	// Msg says what is wrong and what was expected.
	Msg string
	// Err is ErrSyntax or ErrConfig.
	Err error
}

// Error returns "file:line: field: msg", leaving out what is unknown; an
// error without a file starts with "policy: ".
func (e *LoadError) Error() string {
	var b []byte
	switch {
	case e.File != "" && e.Line > 0:
		b = append(b, e.File...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(e.Line), 10)
	case e.File != "":
		b = append(b, e.File...)
	case e.Line > 0:
		b = append(b, "policy: line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
	default:
		b = append(b, "policy"...)
	}
	b = append(b, ": "...)
	if e.Field != "" {
		b = append(b, e.Field...)
		b = append(b, ": "...)
	}
	b = append(b, e.Msg...)
	return string(b)
}

// Unwrap returns ErrSyntax or ErrConfig.
func (e *LoadError) Unwrap() error { return e.Err }

// maxErrors bounds how many problems one load reports.
const maxErrors = 20

// errorList collects the problems of one load.
type errorList []*LoadError

// add records a configuration problem of field.
func (l *errorList) add(field, msg string) {
	*l = append(*l, &LoadError{Field: field, Msg: msg, Err: ErrConfig})
}

// err returns nil, the one error, or the errors joined (at most maxErrors,
// and a note of how many more there were).
func (l errorList) err() error { return l.errMore(0) }

// errMore is err for a list that leaves out more errors found.
func (l errorList) errMore(more int) error {
	switch {
	case len(l) == 0:
		return nil
	case len(l) == 1 && more == 0:
		return l[0]
	}
	n := min(len(l), maxErrors)
	errs := make([]error, 0, n+1)
	for _, e := range l[:n] {
		errs = append(errs, e)
	}
	if more += len(l) - n; more > 0 {
		errs = append(errs, &LoadError{File: l[0].File, Msg: strconv.Itoa(more) + " more errors not shown", Err: l[0].Err})
	}
	return errors.Join(errs...)
}

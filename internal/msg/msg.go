// Package msg writes the text of the module's errors and log lines: values
// from clients and tokens clipped to a bound, configuration problems
// rewritten from file keys to Go field names, and errors prefixed with
// their package's name once, however deeply they wrap each other.
package msg

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Clip shortens s, which may come from a client, a token or a key set, to
// at most n bytes, cut at a character boundary, marking the cut with an
// ellipsis.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// GoNames returns problem with each key of names, where it stands as a
// word outside a double-quoted value, replaced by its value (a Go field).
func GoNames(problem string, names map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(problem); {
		switch c := problem[i]; {
		case c == '"':
			j := i + 1
			for j < len(problem) && problem[j] != '"' {
				if problem[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(problem))
			b.WriteString(problem[i:j])
			i = j
		case isWordByte(c):
			j := i
			for j < len(problem) && isWordByte(problem[j]) {
				j++
			}
			w := problem[i:j]
			if f, ok := names[w]; ok {
				w = f
			}
			b.WriteString(w)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// ConfigText is the text of one configuration problem for a Go reader:
// "<pkg>: config: ", then scope (e.g. "pool 2") and field, each followed
// by ": " when not empty, then problem.
func ConfigText(pkg, scope, field, problem string) string {
	var b strings.Builder
	b.WriteString(pkg + ": config: ")
	for _, s := range []string{scope, field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(problem)
	return b.String()
}

// Indexed is "<what> <i>" (a ConfigText scope such as "pool 2"), or ""
// for a negative i: no one element's problem.
func Indexed(what string, i int) string {
	if i < 0 {
		return ""
	}
	return what + " " + strconv.Itoa(i)
}

// FieldsOfKeys reverses keyOfField (Go field -> configuration key) for
// GoNames: key -> field, for the keys that are not plain words (a plain
// word reads the same either way).
func FieldsOfKeys(keyOfField map[string]string) map[string]string {
	m := make(map[string]string)
	for f, k := range keyOfField {
		if strings.ContainsAny(k, "_.") {
			m[k] = f
		}
	}
	return m
}

// isWordByte reports whether c may be part of a key: letters, digits, '_'
// and '.'.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}

// Sentinel returns a sentinel error with text that also matches base
// (errors.Is): a package's own error that another package's vocabulary
// maps, such as a claims reason.
func Sentinel(text string, base error) error { return &sentinel{text, base} }

type sentinel struct {
	text string
	base error
}

func (e *sentinel) Error() string { return e.text }
func (e *sentinel) Unwrap() error { return e.base }

// wrapError is an error made by Errorf.
type wrapError struct {
	msg  string
	errs []error
}

func (e *wrapError) Error() string   { return e.msg }
func (e *wrapError) Unwrap() []error { return e.errs }

// Errorf is fmt.Errorf without the stutter, for a package whose errors
// start with prefix (e.g. "jwks: "): the text starts with prefix once,
// and the error arguments are written without their own prefix, so that
// one error of the package around another reads "jwks: key set
// unavailable: unexpected http status", not "jwks: key set unavailable:
// jwks: unexpected http status". As with fmt.Errorf, the errors given for
// %w are wrapped and those given for %v are not.
func Errorf(prefix, format string, a ...any) error {
	args := slices.Clone(a)
	var errs []error
	arg := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		for i++; i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0; i++ {
		}
		if i == len(format) || format[i] == '%' {
			continue
		}
		if arg < len(args) {
			if err, ok := args[arg].(error); ok {
				if format[i] == 'w' {
					errs = append(errs, err)
				}
				args[arg] = strings.TrimPrefix(err.Error(), prefix)
			}
		}
		arg++
	}
	text := fmt.Sprintf(strings.ReplaceAll(format, "%w", "%s"), args...)
	return &wrapError{msg: prefix + strings.TrimPrefix(text, prefix), errs: errs}
}

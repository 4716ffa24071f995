package revocation

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// The members of an entry besides its kind.
const (
	keyIssuer       = "iss"
	keyIssuedBefore = "issued_before"
	keyExpires      = "expires"
	keyNote         = "note"
)

// allKeys lists every member an entry may have, for error messages.
const allKeys = "jti, origin_jti, sub, username, client_id, iss, issued_before, expires, note"

// parsed is what one file holds.
type parsed struct {
	entries []Entry // the entries that have not expired, in file order
	expired int     // entries dropped because they had expired
}

// parser reads one file. Its problems are *FileErrors, at most MaxReported
// of them kept.
type parser struct {
	file    string
	now     time.Time
	opts    *options
	errs    []error
	dropped int
}

// parse reads data, the contents of file, at now. It returns the file's
// entries, or the errors.Join of every problem found: a file with any
// problem is refused as a whole.
func parse(file string, data []byte, o *options, now time.Time) (*parsed, error) {
	p := &parser{file: file, now: now, opts: o}
	out := &parsed{}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a byte-order mark some editors write
	full := false
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		e, ok := p.line(n, line)
		switch {
		case !ok:
		case !now.Before(e.Expires):
			out.expired++
		case len(out.entries) >= o.maxEntries:
			if !full {
				p.fail(n, "", "more than %d entries that have not expired (revocation.max_entries); remove expired or redundant ones, or raise the limit", o.maxEntries)
				full = true
			}
		default:
			out.entries = append(out.entries, e)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// fail records a problem of line n (0: the file) at key.
func (p *parser) fail(n int, key, format string, a ...any) {
	if len(p.errs) >= MaxReported {
		p.dropped++
		return
	}
	p.errs = append(p.errs, &FileError{File: p.file, Line: n, Key: key, Problem: fmt.Sprintf(format, a...)})
}

// err returns the problems recorded, joined, or nil.
func (p *parser) err() error {
	if p.dropped > 0 {
		p.errs = append(p.errs, &FileError{File: p.file, Problem: fmt.Sprintf("%d more problems not listed", p.dropped)})
	}
	return errors.Join(p.errs...)
}

// isJSONSpace reports whether c is JSON white space.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// line reads line n. ok is false for a blank line, a comment or a line
// with problems (which are recorded).
func (p *parser) line(n int, line []byte) (_ Entry, ok bool) {
	i := 0
	for i < len(line) && isJSONSpace(line[i]) {
		i++
	}
	switch {
	case i == len(line) || line[i] == '#':
		return Entry{}, false
	case len(line) > MaxLineBytes:
		p.fail(n, "", "%d bytes, more than %d for one entry", len(line), MaxLineBytes)
		return Entry{}, false
	}

	var e Entry
	var expires, before string
	var hasExpires, hasBefore, hasIssuer bool
	expiresTyped := false // expires given, but not as a string
	type problem struct{ key, msg string }
	var problems []problem
	bad := func(key, format string, a ...any) {
		problems = append(problems, problem{key, fmt.Sprintf(format, a...)})
	}
	err := jsonstrict.ObjectEach(line, func(name, value []byte, kind jsonstrict.Kind) error {
		key := string(name)
		if !slices.Contains(kinds[:], Kind(key)) && key != keyIssuer && key != keyIssuedBefore && key != keyExpires && key != keyNote {
			bad(clip(key), "unknown key; want one of %s", allKeys)
			return nil
		}
		if kind != jsonstrict.StringKind {
			bad(key, "want a string, got %s", kind)
			if key == keyExpires {
				expiresTyped = true // there, if wrong: not also "required"
			}
			return nil
		}
		v, err := jsonstrict.String(value)
		if err != nil {
			// Unreachable: ObjectEach validated the string.
			bad(key, "%s", strings.TrimPrefix(err.Error(), "jsonstrict: "))
			return nil
		}
		switch key {
		case keyIssuer:
			e.Issuer, hasIssuer = v, true
		case keyIssuedBefore:
			before, hasBefore = v, true
		case keyExpires:
			expires, hasExpires = v, true
		case keyNote:
			e.Note = v
		default:
			if e.Kind != "" {
				bad(key, "%s and %s in one entry; an entry names one thing (write two lines for two)", e.Kind, key)
				return nil
			}
			e.Kind, e.Value = Kind(key), v
		}
		return nil
	})
	if err != nil {
		p.fail(n, "", "not a JSON object: %s", strings.TrimPrefix(err.Error(), "jsonstrict: "))
		return Entry{}, false
	}
	for _, pr := range problems {
		p.fail(n, pr.key, "%s", pr.msg)
	}
	ok = len(problems) == 0

	if e.Kind == "" {
		if ok { // not when the kind was there but misspelt or repeated
			p.fail(n, "", "names no token: want one of jti, origin_jti, sub, username, client_id")
		}
		ok = false
	} else if why := checkValue(e.Value); why != "" {
		p.fail(n, string(e.Kind), "%s", why)
		ok = false
	}
	if hasIssuer {
		if why := checkValue(e.Issuer); why != "" {
			p.fail(n, keyIssuer, "%s", why)
			ok = false
		} else if len(p.opts.issuers) > 0 && !slices.ContainsFunc(p.opts.issuers, func(iss string) bool { return poolKey(iss) == poolKey(e.Issuer) }) {
			p.fail(n, keyIssuer, "%q is not the issuer of a configured user pool (%s): the entry could never match", clip(e.Issuer), strings.Join(p.opts.issuers, ", "))
			ok = false
		}
	}
	if len(e.Note) > MaxNoteBytes {
		p.fail(n, keyNote, "%d bytes, more than %d", len(e.Note), MaxNoteBytes)
		ok = false
	}

	if hasBefore {
		t, why := parseTime(before)
		switch {
		case why != "":
			p.fail(n, keyIssuedBefore, "%s", why)
			ok = false
		case e.Kind != "" && !e.Kind.watermarked():
			p.fail(n, keyIssuedBefore, "only for sub, username and client_id entries: every token a %s names was issued before its revocation", e.Kind)
			ok = false
		case t.After(p.now.Add(MaxClockSkew)):
			p.fail(n, keyIssuedBefore, "%s is %s in the future; a watermark is a moment that has passed (leave issued_before out to refuse every token)",
				before, t.Sub(p.now).Round(time.Second))
			ok = false
		default:
			e.IssuedBefore = t
		}
	}
	switch {
	case expiresTyped:
		return Entry{}, false
	case !hasExpires:
		p.fail(n, keyExpires, "required: when the entry may go, at most %s from now (every token issued up to now has expired %s from now)", MaxLifetime, EntryLifetime)
		return Entry{}, false
	}
	t, why := parseTime(expires)
	switch {
	case why != "":
		p.fail(n, keyExpires, "%s", why)
		ok = false
	case t.Sub(p.now) > MaxLifetime:
		p.fail(n, keyExpires, "%s is %s from now, more than %s: no Cognito access or ID token lives longer than %s, and the verifier's leeway is at most %s",
			expires, t.Sub(p.now).Round(time.Second), MaxLifetime, MaxTokenLifetime, EntryLifetime-MaxTokenLifetime)
		ok = false
	default:
		e.Expires = t
	}
	if !ok {
		return Entry{}, false
	}
	return e, true
}

// checkValue returns what is wrong with v as a value to match, or "".
func checkValue(v string) string {
	switch {
	case v == "":
		return "empty; a value must name something (a token without the claim matches no entry)"
	case len(v) > MaxValueBytes:
		return fmt.Sprintf("%d bytes, more than %d", len(v), MaxValueBytes)
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Sprintf("%q has white space at an end; values are compared exactly", clip(v))
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Sprintf("%q holds a control character", clip(v))
	}
	return ""
}

// parseTime reads an RFC 3339 time in whole seconds, or says what is wrong.
func parseTime(s string) (time.Time, string) {
	t, err := time.Parse(timeLayout, s)
	switch {
	case err != nil:
		return time.Time{}, fmt.Sprintf("%q: want an RFC 3339 time such as 2026-11-22T12:00:00Z", clip(s))
	case t.Nanosecond() != 0:
		return time.Time{}, fmt.Sprintf("%q: want whole seconds, as tokens' times are", clip(s))
	}
	return t, ""
}

// clip shortens s, which an operator wrote, to 64 bytes for an error
// message.
func clip(s string) string { return msg.Clip(s, 64) }

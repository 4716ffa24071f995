package policy

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// maxSeen bounds how much of a claim's value Explain shows.
const maxSeen = 100

// want returns what the condition asks for, for Explain: its text and,
// when its values name path variables or claims, what they came to.
func (c *condition) want(tok *claims.Token, vars []string) string {
	var resolved []string
	literal := true
	for i := range c.args {
		o := &c.args[i]
		if o.isLiteral() {
			resolved = append(resolved, o.text)
			continue
		}
		literal = false
		if v, ok := o.str(tok, vars); ok {
			resolved = append(resolved, strconv.Quote(v))
		} else {
			resolved = append(resolved, "(no value)")
		}
	}
	if literal {
		return c.text
	}
	if c.spec.shape == listValue {
		return c.text + " → [" + strings.Join(resolved, ", ") + "]"
	}
	if resolved[0] == "(no value)" {
		return c.text + " (no value)"
	}
	return c.text + " → " + resolved[0]
}

// seen returns the claim's value as the condition saw it, for Explain:
// strings quoted, other JSON values compacted, at most maxSeen bytes, with
// a note when its type is not one the condition compares.
func (c *condition) seen(tok *claims.Token) string {
	if l, ok := c.claim.list(tok); ok {
		if len(l) == 0 {
			return "missing"
		}
		return msg.Clip(list(l), maxSeen)
	}
	if c.claim.kind != claimRaw && c.claim.kind != claimEmailVerified {
		if s, ok := c.claim.str(tok); ok {
			return strconv.Quote(msg.Clip(s, maxSeen))
		}
		return "missing"
	}
	raw, found := c.claim.path.Lookup(tok)
	if !found {
		return "missing"
	}
	return displayJSON(raw) + c.typeNote(raw)
}

// typeNote explains, for Explain, why the JSON value raw cannot satisfy
// the condition whatever it is compared with: it has no value, or its
// type is not one the condition compares. It is "" otherwise.
func (c *condition) typeNote(raw []byte) string {
	if c.op == OpExists || c.claim.kind == claimEmailVerified {
		return ""
	}
	if !hasValue(raw) {
		return " (no value)"
	}
	var kind valueKind
	what := ""
	switch raw[0] {
	case '"':
		kind, what = vString, "a string"
	case 't', 'f':
		kind, what = vBool, "a boolean"
	case '[':
		if c.spec.arrays {
			return ""
		}
		return " (an array; " + string(c.op) + " compares a single value)"
	case '{':
		return " (an object; conditions compare strings, numbers and booleans)"
	default:
		kind, what = vNumber, "a number"
	}
	if kind == vString && c.op == OpContains {
		return ""
	}
	for i := range c.args {
		if c.args[i].kind == kind {
			return ""
		}
	}
	return " (" + what + "; the condition's value is " + c.args[0].kind.String() + ", and values are never converted)"
}

// displayJSON returns the JSON value raw on one line for people: without
// insignificant whitespace, with characters that are not printable
// escaped, at most maxSeen bytes.
func displayJSON(raw []byte) string {
	var b strings.Builder
	inString := false
	for i := 0; i < len(raw) && b.Len() <= maxSeen; {
		ch := raw[i]
		switch {
		case !inString && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'):
			i++
		case ch == '"':
			inString = !inString
			b.WriteByte(ch)
			i++
		case inString && ch == '\\' && i+1 < len(raw):
			b.Write(raw[i : i+2])
			i += 2
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r != ' ' && !unicode.IsPrint(r) {
				writeUEscape(&b, r)
			} else {
				b.Write(raw[i : i+n])
			}
			i += n
		}
	}
	return msg.Clip(b.String(), maxSeen)
}

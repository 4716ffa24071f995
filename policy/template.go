package policy

import (
	"slices"
	"strings"
	"unicode"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// claimKind says where a claim's value comes from.
type claimKind uint8

const (
	claimRaw           claimKind = iota // the token's JSON, by name
	claimSubject                        // sub
	claimUsername                       // username, cognito:username
	claimClientID                       // client_id
	claimTokenUse                       // token_use
	claimIssuer                         // iss
	claimEmail                          // email
	claimPreferredRole                  // cognito:preferred_role
	claimGroups                         // cognito:groups (list)
	claimScopes                         // scope (list)
	claimRoles                          // cognito:roles (list)
)

// typedClaims maps the claims read from claims.Token's fields.
var typedClaims = map[string]claimKind{
	"sub":                    claimSubject,
	"username":               claimUsername,
	"cognito:username":       claimUsername,
	"client_id":              claimClientID,
	"token_use":              claimTokenUse,
	"iss":                    claimIssuer,
	"email":                  claimEmail,
	"cognito:preferred_role": claimPreferredRole,
	"cognito:groups":         claimGroups,
	"scope":                  claimScopes,
	"cognito:roles":          claimRoles,
}

// claimRef is a compiled claim name.
type claimRef struct {
	name string
	kind claimKind
}

func newClaimRef(name string) claimRef {
	return claimRef{name: name, kind: typedClaims[name]}
}

// isList reports whether the claim is one of the typed lists.
func (c claimRef) isList() bool {
	return c.kind == claimGroups || c.kind == claimScopes || c.kind == claimRoles
}

// str returns the claim as a string: a typed string field, or a raw JSON
// string (decoded), number or boolean (as written). ok is false when the
// claim is missing, empty, or of another type.
func (c claimRef) str(tok *claims.Token) (s string, ok bool) {
	switch c.kind {
	case claimSubject:
		s = tok.Subject
	case claimUsername:
		s = tok.Username
	case claimClientID:
		s = tok.ClientID
	case claimTokenUse:
		s = string(tok.Use)
	case claimIssuer:
		s = tok.Issuer
	case claimEmail:
		s = tok.Email
	case claimPreferredRole:
		s = tok.PreferredRole
	case claimGroups, claimScopes, claimRoles:
		return "", false
	default:
		raw, found := tok.Claim(c.name)
		if !found {
			return "", false
		}
		s, ok = scalar(raw)
		if !ok {
			return "", false
		}
	}
	return s, s != ""
}

// list returns the typed list claims, and ok when c is one. Raw claims are
// handled by contains.
func (c claimRef) list(tok *claims.Token) ([]string, bool) {
	switch c.kind {
	case claimGroups:
		return tok.Groups, true
	case claimScopes:
		return tok.Scopes, true
	case claimRoles:
		return tok.Roles, true
	}
	return nil, false
}

// scalar reads a raw JSON string (decoded), number or boolean (as written).
func scalar(raw []byte) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		s, err := jsonstrict.String(raw)
		return s, err == nil
	case 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw), true
	}
	return "", false
}

// describe returns the claim's value for Explain.
func (c claimRef) describe(tok *claims.Token) string {
	if l, ok := c.list(tok); ok {
		if len(l) == 0 {
			return "missing"
		}
		return "[" + strings.Join(l, " ") + "]"
	}
	if c.kind == claimRaw {
		raw, ok := tok.Claim(c.name)
		if !ok {
			return "missing"
		}
		const max = 64
		if len(raw) > max {
			return string(raw[:max]) + "…"
		}
		return string(raw)
	}
	if s, ok := c.str(tok); ok {
		return `"` + s + `"`
	}
	return "missing"
}

// part is a piece of a template: a literal, a path variable (slot), or a
// claim.
type part struct {
	lit   string
	slot  int // index into the rule's variables; -1 when not a variable
	claim *claimRef
}

// template is a compiled Condition.Value.
type template struct {
	parts []part
}

// parseTemplate compiles s. vars collects the path variables it names
// (their slot is their index in *vars). It returns a message for the
// LoadError, or "".
func parseTemplate(s string, vars *[]string) (template, string) {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String(), slot: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return t, "unmatched '}'; write '}}' for a literal brace"
		case c == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return t, "unmatched '{'; want {name}, {claim:name}, or '{{' for a literal brace"
			}
			ref := s[i+1 : i+j]
			i += j
			flush()
			if name, ok := strings.CutPrefix(ref, "claim:"); ok {
				if msg := checkClaimName(name); msg != "" {
					return t, "{claim:" + name + "}: " + msg
				}
				c := newClaimRef(name)
				if c.isList() {
					return t, "{claim:" + name + "}: " + name + " is a list; a value can only use a single-valued claim"
				}
				t.parts = append(t.parts, part{slot: -1, claim: &c})
				continue
			}
			if !isIdentifier(ref) {
				return t, "{" + ref + "}: want a path wildcard name (a Go identifier) or claim:<name>"
			}
			k := slices.Index(*vars, ref)
			if k < 0 {
				k = len(*vars)
				*vars = append(*vars, ref)
			}
			t.parts = append(t.parts, part{slot: k})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if len(t.parts) == 0 {
		return t, "empty value"
	}
	return t, ""
}

// resolve returns the template's value for tok and the path variables;
// ok is false when a variable or claim is missing or the result is empty.
// A template of one part does not allocate (unless it reads a claim from
// the token's JSON).
func (t *template) resolve(tok *claims.Token, vars []string) (string, bool) {
	if len(t.parts) == 1 {
		return t.parts[0].value(tok, vars)
	}
	var b strings.Builder
	for i := range t.parts {
		v, ok := t.parts[i].value(tok, vars)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), b.Len() > 0
}

func (p *part) value(tok *claims.Token, vars []string) (string, bool) {
	switch {
	case p.claim != nil:
		return p.claim.str(tok)
	case p.slot >= 0:
		v := vars[p.slot]
		return v, v != ""
	}
	return p.lit, p.lit != ""
}

// checkClaimName returns why name is not a usable claim name, or "".
func checkClaimName(name string) string {
	switch {
	case name == "":
		return "empty claim name"
	case len(name) > 256:
		return "claim name longer than 256 bytes"
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || r == '{' || r == '}' {
			return "claim name has whitespace, a control character or a brace"
		}
	}
	return ""
}

// isIdentifier reports whether s is a Go identifier, as ServeMux requires
// of wildcard names.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !unicode.IsLetter(c) && c != '_' && (i == 0 || !unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}

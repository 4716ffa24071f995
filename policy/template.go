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
	claimRaw           claimKind = iota // the token's JSON, by path
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
	claimEmailVerified                  // email_verified (boolean)
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
	"email_verified":         claimEmailVerified,
}

// numberClaims are the claims that claims.Verifier requires to be
// integers when present (NumericDates and the access token's version).
var numberClaims = map[string]bool{"exp": true, "iat": true, "nbf": true, "auth_time": true, "version": true}

// claimType is what New knows of a claim's JSON type, to refuse
// conditions that its type can never satisfy.
type claimType uint8

const (
	typeUnknown claimType = iota // any JSON value
	typeString                   // a string, "" when absent
	typeList                     // an array of strings
	typeBool                     // true or false
	typeNumber                   // an integer
)

// claimRef is a compiled claim path.
type claimRef struct {
	path ClaimPath
	kind claimKind
}

func newClaimRef(p ClaimPath) claimRef {
	c := claimRef{path: p}
	if !p.Nested() {
		c.kind = typedClaims[p.Claim()]
	}
	return c
}

// typ returns what is known of the claim's type.
func (c claimRef) typ() claimType {
	switch c.kind {
	case claimRaw:
		if !c.path.Nested() && numberClaims[c.path.Claim()] {
			return typeNumber
		}
		return typeUnknown
	case claimGroups, claimScopes, claimRoles:
		return typeList
	case claimEmailVerified:
		return typeBool
	}
	return typeString
}

// checkNesting returns why the path p cannot name anything: it reaches
// into a claim whose type claims.Verifier checks and which has no members
// or elements to reach; or "".
func checkNesting(p ClaimPath) string {
	if !p.Nested() {
		return ""
	}
	top := newClaimRef(ClaimPath{segs: p.segs[:1]})
	switch top.typ() {
	case typeString:
		return p.Claim() + " is a string (claims.Verifier checks it), so " + p.String() + " can never name a value"
	case typeList:
		return p.Claim() + " is a list of strings (claims.Verifier checks it), so " + p.String() + " can never name a value; use contains, contains_any or contains_all on " + p.Claim()
	case typeBool, typeNumber:
		return p.Claim() + " is a " + map[claimType]string{typeBool: "boolean", typeNumber: "number"}[top.typ()] + " (claims.Verifier checks it), so " + p.String() + " can never name a value"
	}
	return ""
}

// str returns the claim as a string: a typed string field, or a JSON
// string at the path (decoded). ok is false when the claim is missing,
// empty, or not a string: a number or boolean is never turned into text.
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
	case claimRaw:
		raw, found := c.path.Lookup(tok)
		if !found || len(raw) == 0 || raw[0] != '"' {
			return "", false
		}
		var err error
		if s, err = jsonstrict.String(raw); err != nil {
			return "", false
		}
	default:
		return "", false
	}
	return s, s != ""
}

// list returns the typed list claims, and ok when c is one.
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
				p, err := ParseClaimPath(name)
				if err != nil {
					return t, "{claim:" + name + "}: " + err.(*ClaimPathError).Reason
				}
				if msg := checkNesting(p); msg != "" {
					return t, "{claim:" + name + "}: " + msg
				}
				c := newClaimRef(p)
				if ty := c.typ(); ty != typeString && ty != typeUnknown {
					return t, "{claim:" + name + "}: " + name + " is " + ty.String() + "; a value can only use a claim that is a string"
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
// pathVar returns the name of the first path variable t holds, among
// the rule's variables vars, or "".
func (t *template) pathVar(vars []string) string {
	for _, p := range t.parts {
		if p.slot >= 0 && p.slot < len(vars) {
			return vars[p.slot]
		}
	}
	return ""
}

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

package policy

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"net/http"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Explanation is how the policy decided one request: what it judged,
// which rules matched, and each requirement's result. Explain and Decide
// share one code path, so Decision is always what Decide returns for the
// same request and token.
type Explanation struct {
	// Method, Host (without port) and Path (escaped) are the request's.
	// Host is r.Host as it came when it was refused as malformed.
	Method, Host, Path string
	// Refused says why the request was refused as non-canonical or, for a
	// malformed Host, as a bad request (with the Host quoted); it is empty
	// when the request was judged.
	Refused string
	// Token summarises the token: "none", or its kind and identifying
	// claims. It never contains the token itself.
	Token string
	// Matches lists the rules that judged the request: the one ServeMux
	// picked for the path (or the default), then, for a path ending in a
	// slash, the rule of the path without it when that is another rule.
	Matches []Match
	// Decision is the outcome.
	Decision Decision
}

// Match is one rule's judgement in an Explanation.
type Match struct {
	// Rule is the rule's name, or RuleDefault.
	Rule string
	// Pattern is the route pattern that matched; empty for the default.
	Pattern string
	// Path is the escaped path that was matched.
	Path string
	// Vars are the pattern's wildcards and their values.
	Vars []Var
	// Checks are the rule's requirements and their results, in the order
	// they are checked.
	Checks []Check
	// Allow is this rule's verdict.
	Allow bool
}

// Var is a path wildcard and its (unescaped) value.
type Var struct {
	Name, Value string
}

// Check is one requirement and its result.
type Check struct {
	// Name is the requirement, as named in the policy, e.g. "groups_any",
	// "any_of[1].scopes_all", "pools" or "claims[0]" ("issuers|pools" when
	// both lists are set: the issuer must be in one of them); or "token",
	// "anonymous", "default".
	Name string
	// Want is what the requirement asks for; Got is what the token has.
	Want, Got string
	// OK reports whether the requirement holds.
	OK bool
}

// Explain decides r with tok like Decide and returns every step of it. It
// allocates freely; it is meant for the explain command and debug logs.
func (p *Policy) Explain(r *http.Request, tok *claims.Token) *Explanation {
	ex := new(Explanation)
	p.decide(r, tok, ex)
	return ex
}

// add appends a Match and returns it.
func (ex *Explanation) add(rule, pattern, path string) *Match {
	ex.Matches = append(ex.Matches, Match{Rule: rule, Pattern: pattern, Path: path})
	return &ex.Matches[len(ex.Matches)-1]
}

// add records a check; it does nothing on a nil Match, so that Decide can
// call it unconditionally where its arguments cost nothing.
func (m *Match) add(prefix, name, want, got string, ok bool) {
	if m == nil {
		return
	}
	m.Checks = append(m.Checks, Check{Name: prefix + name, Want: want, Got: got, OK: ok})
}

// allVars returns every named wildcard of rt's pattern with its value in
// path.
func (rt *route) allVars(path string) []Var {
	names := rt.pat.wildcards()
	if len(names) == 0 {
		return nil
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = rt.pat.index(n)
	}
	vals := make([]string, len(names))
	rt.pat.extract(path, idx, vals)
	vars := make([]Var, len(names))
	for i, n := range names {
		vars[i] = Var{Name: n, Value: pathUnescape(vals[i])}
	}
	return vars
}

// tokenState is "none" or "present".
func tokenState(tok *claims.Token) string {
	if tok == nil {
		return "none"
	}
	return "present"
}

// describeToken summarises tok for an Explanation.
func describeToken(tok *claims.Token) string {
	if tok == nil {
		return "none"
	}
	var b strings.Builder
	b.WriteString(string(tok.Use))
	b.WriteString(" token: sub=")
	b.WriteString(tok.Subject)
	b.WriteString(" username=")
	b.WriteString(tok.Username)
	b.WriteString(" client_id=")
	b.WriteString(tok.ClientID)
	b.WriteString(" groups=")
	b.WriteString(list(tok.Groups))
	if tok.Use == claims.AccessToken {
		b.WriteString(" scopes=")
		b.WriteString(list(tok.Scopes))
	}
	b.WriteString(" iss=")
	b.WriteString(tok.Issuer)
	return b.String()
}

// quoteShort quotes s, shortened to maxQuotedHost bytes.
func quoteShort(s string) string {
	return strconv.Quote(msg.Clip(s, maxQuotedHost))
}

// printable returns s, or s quoted when it has spaces, control characters
// or bytes that are not UTF-8, so that it stays one word of one line.
func printable(s string) string {
	if q := strconv.Quote(s); s == "" || q[1:len(q)-1] != s || strings.ContainsRune(s, ' ') {
		return quoteShort(s)
	}
	return s
}

// list formats a list of names as "[a b c]".
func list(l []string) string {
	return "[" + strings.Join(l, " ") + "]"
}

// String returns the explanation for people, one step a line:
//
//	request  GET api.example.com /users/7f3a…/files/a.txt
//	token    access token: sub=7f3a… username=alice client_id=… groups=[] scopes=[…] iss=https://…
//	rule     user-files  pattern "/users/{sub}/files/{path...}"  path /users/7f3a…/files/a.txt  sub="7f3a…" path="a.txt"
//	  ok     token: want a valid token; got present
//	  ok     claims[0]: want sub equals "{sub}" → "7f3a…"; got "7f3a…"
//	decision allow 200 ok rule=user-files path=/users/7f3a…/files/a.txt
func (ex *Explanation) String() string {
	var b strings.Builder
	b.WriteString("request  " + printable(ex.Method) + " " + printable(ex.Host) + " " + ex.Path + "\n")
	b.WriteString("token    " + ex.Token + "\n")
	if ex.Refused != "" {
		b.WriteString("refused  " + ex.Refused + "\n")
	} else if ex.Decision.Path != ex.Path {
		b.WriteString("cleaned  " + ex.Path + " → " + ex.Decision.Path + "\n")
	}
	for i, m := range ex.Matches {
		label := "rule     "
		if i > 0 {
			label = "also     "
		}
		b.WriteString(label + m.Rule)
		if m.Pattern != "" {
			b.WriteString("  pattern " + strconv.Quote(m.Pattern))
		}
		b.WriteString("  path " + m.Path)
		for _, v := range m.Vars {
			b.WriteString("  " + v.Name + "=" + strconv.Quote(v.Value))
		}
		b.WriteByte('\n')
		for _, c := range m.Checks {
			verdict := "  ok     "
			if !c.OK {
				verdict = "  FAIL   "
			}
			b.WriteString(verdict + c.Name + ": want " + c.Want + "; got " + c.Got + "\n")
		}
	}
	b.WriteString("decision " + ex.Decision.String() + "\n")
	return b.String()
}

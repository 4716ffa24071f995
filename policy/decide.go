package policy

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Decision is the policy's answer for one request.
type Decision struct {
	// Allow reports whether the request may go on.
	Allow bool
	// Status is the HTTP status to answer with: 200 when allowed; 400 when
	// the request is refused unjudged as non-canonical, or some rule names
	// a host and the request's Host is malformed (see CheckHost); 401 when
	// a token is needed and there is none, or the token is of the wrong
	// kind (token_use); 403 when the token lacks a scope, group or claim,
	// is of another pool than the rule's, or no rule matched and the
	// default denies. It always equals Reason.Status().
	Status int
	// Reason is claims.ReasonOK; ReasonNonCanonicalPath or
	// ReasonBadRequest (a malformed Host) for a request refused unjudged,
	// with or without a token; ReasonMissingToken; ReasonWrongTokenUse;
	// ReasonInsufficientScope, ReasonGroupDenied or ReasonClaimDenied (also
	// used when the token's pool is not the rule's); or ReasonNoRule, when
	// a token is present but no rule matched and the default denies.
	Reason claims.Reason
	// Rule names the rule that decided: a Rule.Name, RuleDefault, or
	// RuleNonCanonical. It is a bounded set, fit for a metric label.
	Rule string
	// Scopes, for ReasonInsufficientScope, lists the scopes that would
	// satisfy the rule, for the scope attribute of WWW-Authenticate: any
	// one of them for scopes_any, the missing ones for scopes_all. The
	// slice belongs to the caller.
	Scopes []string
	// Path is the escaped path that was judged: r.URL.EscapedPath()
	// cleaned as ServeMux cleans it ("//a/./b/../c" becomes "/a/c"). When it
	// differs from r.URL.EscapedPath(), whoever acts on an allowing
	// decision must forward (or redirect to) Path, never the original. For
	// a refused request it is the original escaped path.
	Path string
	// LiveCheck, set only when Allow, reports that the rule that allowed
	// the request requires the live check (Rule.LiveCheck): whoever acts
	// on the decision must ask Cognito whether it still accepts the token
	// before letting the request through, and refuse it otherwise.
	LiveCheck bool
}

// String describes d for logs, e.g. "deny 403 group_denied rule=admin
// path=/admin/x".
func (d Decision) String() string {
	verdict := "deny"
	if d.Allow {
		verdict = "allow"
	}
	s := verdict + " " + strconv.Itoa(d.Status) + " " + string(d.Reason) + " rule=" + d.Rule + " path=" + d.Path
	if len(d.Scopes) > 0 {
		s += " scopes=" + strings.Join(d.Scopes, ",")
	}
	if d.LiveCheck {
		s += " live_check=required"
	}
	return s
}

func allowed(rule string) Decision {
	return Decision{Allow: true, Status: http.StatusOK, Reason: claims.ReasonOK, Rule: rule}
}

func denied(reason claims.Reason, rule string, scopes []string) Decision {
	return Decision{Status: reason.Status(), Reason: reason, Rule: rule, Scopes: scopes}
}

// Decide judges request r with tok, the token the middleware verified, or
// nil when the request carried none. It never fails: anything unexpected
// denies. It is safe for concurrent use and allocates little (see the
// package documentation).
//
// The steps:
//
//  1. Refuse a request that cannot be judged safely (see the package
//     documentation), whatever the default, under Rule RuleNonCanonical:
//     when some rule names a host, a Host that CheckHost rejects with 400
//     (claims.ReasonBadRequest); otherwise a non-canonical method, path or
//     host with 400 (claims.ReasonNonCanonicalPath), token or not.
//  2. Clean the path as ServeMux does; Decision.Path is the result.
//  3. Ask ServeMux which rule's pattern matches (most specific wins), and
//     judge: anonymous rules allow; others need a token that satisfies
//     the rule's requirements; no match means the default.
//  4. If the path ends in a slash and the same path without it matches a
//     different rule, that rule must allow too, so that an upstream that
//     ignores trailing slashes cannot be reached through a weaker rule;
//     likewise, without a slash, a rule whose pattern names the path with
//     a slash as its directory ("GET /admin/" for "/admin").
func (p *Policy) Decide(r *http.Request, tok *claims.Token) Decision {
	return p.decide(r, tok, nil)
}

// decide is Decide, recording its steps in ex when ex is not nil.
func (p *Policy) decide(r *http.Request, tok *claims.Token, ex *Explanation) Decision {
	var escaped string
	if r.URL != nil {
		escaped = r.URL.EscapedPath()
	}
	// A malformed host first: it is a bad request whatever else it is.
	var why string
	badHost := false
	if p.hasHosts {
		why = hostProblem(r.Host)
		badHost = why != ""
	}
	if why == "" {
		why = checkMethod(r.Method)
	}
	clean := false
	if why == "" {
		why, clean = checkPathClean(escaped)
	}
	if why == "" && p.hasHosts {
		why = checkHost(stripHostPort(r.Host))
	}
	if ex != nil {
		ex.Method, ex.Host, ex.Path, ex.Refused = r.Method, stripHostPort(r.Host), escaped, why
		if badHost {
			ex.Host = r.Host
			ex.Refused = why + " (Host " + quoteShort(r.Host) + ")"
		}
		ex.Token = describeToken(tok)
	}
	if why != "" {
		// The request's form is wrong whoever sent it: the answer does not
		// depend on the token.
		d := denied(claims.ReasonNonCanonicalPath, RuleNonCanonical, nil)
		if badHost {
			d = denied(claims.ReasonBadRequest, RuleNonCanonical, nil)
		}
		d.Path = escaped
		if ex != nil {
			ex.Decision = d
		}
		return d
	}

	path := escaped
	if !clean {
		path = cleanPath(escaped)
	}
	rt := p.lookup(r, path, path == escaped)
	var vals [maxVars]string
	d := p.judge(rt, path, tok, &vals, ex)
	if d.Allow {
		if t, twin := p.twin(r, path); t != nil && t != rt {
			if d2 := p.judge(t, twin, tok, &vals, ex); !d2.Allow {
				d = d2
			}
		}
	}
	d.Path = path
	if ex != nil {
		ex.Decision = d
	}
	return d
}

// twin returns the route that judges path's trailing-slash twin, and the
// twin, when that route belongs to a rule that must also allow the
// request: an upstream that ignores trailing slashes serves both paths
// alike, so neither may be reached through a weaker rule.
//
//   - For "/a/b/", the twin is "/a/b", and any rule matching it counts.
//   - For "/a/b", the twin is "/a/b/", and a rule counts only if its
//     pattern names that directory itself: it ends in a slash ("/a/b/",
//     "/a/{x}/", "/a/b/{$}", "/a/b/{rest...}") with nothing matched past
//     it. A pattern that merely contains the twin ("/", "/a/") says
//     nothing about "/a/b" that ServeMux did not already weigh.
//
// It returns nil when there is no such rule.
func (p *Policy) twin(r *http.Request, path string) (*route, string) {
	if len(path) <= 1 {
		return nil, ""
	}
	if path[len(path)-1] == '/' {
		twin := path[:len(path)-1]
		if t := p.lookup(r, twin, false); t != nil && t.rule != nil {
			return t, twin
		}
		return nil, ""
	}
	if !mayNameDir(p.dirs, path) {
		return nil, ""
	}
	twin := path + "/"
	t := p.lookup(r, twin, false)
	if t == nil || t.rule == nil || !t.pat.namesDir(strings.Count(path, "/")) {
		return nil, ""
	}
	return t, twin
}

// judge decides the request for path by route rt (nil or the catch-all:
// the default).
func (p *Policy) judge(rt *route, path string, tok *claims.Token, vals *[maxVars]string, ex *Explanation) Decision {
	var m *Match
	if rt == nil || rt.rule == nil {
		if ex != nil {
			m = ex.add(RuleDefault, "", path)
		}
		d := p.byDefault(tok, m)
		if m != nil {
			m.Allow = d.Allow
		}
		return d
	}
	ru := rt.rule
	if ex != nil {
		m = ex.add(ru.name, rt.pat.str, path)
		m.Vars = rt.allVars(path)
	}
	d := ru.judge(rt, path, tok, vals, m)
	if m != nil {
		m.Allow = d.Allow
	}
	return d
}

// byDefault applies the default.
func (p *Policy) byDefault(tok *claims.Token, m *Match) Decision {
	if m != nil {
		m.add("", "default", p.def.String(), tokenState(tok), p.def == DefaultAllow || p.def == DefaultAuthenticated && tok != nil)
	}
	switch {
	case p.def == DefaultAllow:
		return allowed(RuleDefault)
	case tok == nil:
		return denied(claims.ReasonMissingToken, RuleDefault, nil)
	case p.def == DefaultAuthenticated:
		return allowed(RuleDefault)
	default:
		return denied(claims.ReasonNoRule, RuleDefault, nil)
	}
}

// judge applies the rule to tok.
func (ru *rule) judge(rt *route, path string, tok *claims.Token, vals *[maxVars]string, m *Match) Decision {
	if ru.anonymous {
		m.add("", "anonymous", "no token needed", tokenState(tok), true)
		return allowed(ru.name)
	}
	m.add("", "token", "a valid token", tokenState(tok), tok != nil)
	if tok == nil {
		return denied(claims.ReasonMissingToken, ru.name, nil)
	}
	vars := rt.vars(path, vals)
	o := ru.base.eval(tok, vars, m, "")
	if len(ru.anyOf) > 0 && (o.ok || m != nil) {
		var first outcome
		found := false
		for k := range ru.anyOf {
			var prefix string
			if m != nil {
				prefix = "any_of[" + strconv.Itoa(k) + "]."
			}
			a := ru.anyOf[k].eval(tok, vars, m, prefix)
			if a.ok {
				found = true
				if m == nil {
					break
				}
			} else if k == 0 {
				first = a
			}
		}
		if o.ok && !found {
			o = first
		}
	}
	if !o.ok {
		return denied(o.reason, ru.name, o.scopes)
	}
	d := allowed(ru.name)
	if ru.liveCheck {
		m.add("", "live_check", "Cognito still accepts the token (GetUser)", "made by the middleware after this decision, not here", true)
		d.LiveCheck = true
	}
	return d
}

// outcome is the result of checking one requirement.
type outcome struct {
	ok     bool
	reason claims.Reason
	scopes []string
}

// eval checks tok against q in a fixed order (issuer, clients, token_use,
// scopes, groups, claims) and reports the first failure. With m set it records
// every check, prefixing their names with prefix, and does not stop at the
// first failure; the outcome is the same.
func (q *requirement) eval(tok *claims.Token, vars []string, m *Match, prefix string) outcome {
	o := outcome{ok: true, reason: claims.ReasonOK}
	if q.issuers != nil || q.poolIDs != nil {
		// A pool's tokens in any issuer format and any replica region: the
		// verifier accepted tok's issuer, whose path names the pool.
		ok := slices.Contains(q.issuers, tok.Issuer) || len(q.poolIDs) > 0 && slices.Contains(q.poolIDs, tok.UserPoolID())
		m.add(prefix, q.issuerCheck, q.issuerWant, tok.Issuer, ok)
		if !ok {
			o = outcome{reason: claims.ReasonClaimDenied}
			if m == nil {
				return o
			}
		}
	}
	if q.clients != nil && (o.ok || m != nil) {
		ok := slices.Contains(q.clients, tok.ClientID)
		if m != nil {
			m.add(prefix, "clients", list(q.clients), printable(tok.ClientID), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonClaimDenied}
		}
	}
	if q.tokenUse != "" && (o.ok || m != nil) {
		ok := tok.Use == q.tokenUse
		m.add(prefix, "token_use", string(q.tokenUse), string(tok.Use), ok)
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonWrongTokenUse}
		}
	}
	if q.scopesAny != nil && (o.ok || m != nil) {
		ok := hasAny(tok.Scopes, q.scopesAny)
		if m != nil {
			m.add(prefix, "scopes_any", list(q.scopesAny), list(tok.Scopes), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonInsufficientScope, scopes: slices.Clone(q.scopesAny)}
		}
	}
	if q.scopesAll != nil && (o.ok || m != nil) {
		ok := hasAll(tok.Scopes, q.scopesAll)
		if m != nil {
			m.add(prefix, "scopes_all", list(q.scopesAll), list(tok.Scopes), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonInsufficientScope, scopes: missing(tok.Scopes, q.scopesAll)}
		}
	}
	if q.groupsAny != nil && (o.ok || m != nil) {
		ok := hasAny(tok.Groups, q.groupsAny)
		if m != nil {
			m.add(prefix, "groups_any", list(q.groupsAny), list(tok.Groups), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonGroupDenied}
		}
	}
	if q.groupsAll != nil && (o.ok || m != nil) {
		ok := hasAll(tok.Groups, q.groupsAll)
		if m != nil {
			m.add(prefix, "groups_all", list(q.groupsAll), list(tok.Groups), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonGroupDenied}
		}
	}
	for i := range q.conds {
		if !o.ok && m == nil {
			break
		}
		c := &q.conds[i]
		ok := c.eval(tok, vars)
		if m != nil {
			m.add(prefix, "claims["+strconv.Itoa(i)+"]", c.want(tok, vars), c.seen(tok), ok)
		}
		if !ok && o.ok {
			o = outcome{reason: claims.ReasonClaimDenied}
		}
	}
	return o
}

// errFound stops an ArrayEach or ObjectEach walk; it never leaves the
// package.
var errFound = errors.New("found")

// hasAny reports whether have contains one of want.
func hasAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// hasAll reports whether have contains all of want.
func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// missing returns the elements of want that have lacks.
func missing(have, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// maxVars bounds the distinct path variables one rule's conditions may
// use, so that Decide keeps their values on the stack.
const maxVars = 8

// Policy is a compiled, immutable policy. It is safe for concurrent use.
type Policy struct {
	mux      *http.ServeMux    // patterns → *route; never changed after New
	routes   map[string]*route // pattern string → route, for ServeMux's redirect matches
	names    []string          // rule names in configuration order
	def      Default
	hasHosts bool     // some pattern has a host: hosts must be canonical
	dirs     []dirKey // the rule patterns that name a directory (pattern.namesDir)
	live     bool     // some rule has live_check
	warnings []string
	scratch  sync.Pool  // *scratch, for looking up a path other than the request's
	memo     *routeMemo // ServeMux's answers to requests seen before
}

// rule is a compiled Rule.
type rule struct {
	name      string
	anonymous bool
	liveCheck bool // allowed requests need the live check (Rule.LiveCheck)
	base      requirement
	anyOf     []requirement
	vars      []string // path variables the conditions use; a variable's slot is its index
}

// route is one pattern of a rule, registered with the ServeMux as the
// handler of its pattern. The catch-all route that stands for the default
// has a nil rule.
type route struct {
	rule *rule
	pat  pattern
	idx  []int // idx[slot] is the segment index of the rule's variable slot
}

// ServeHTTP is never called: the policy only asks ServeMux which handler a
// request would go to.
func (*route) ServeHTTP(http.ResponseWriter, *http.Request) {}

// requirement is a compiled Requirement.
type requirement struct {
	field string // "rules[2]" or "rules[2].any_of[0]", for Explain
	// issuers are the accepted issuers (Issuers) and poolIDs the accepted
	// user pools (Pools: a token of the pool in any issuer format and any
	// replica region, claims.Token.UserPoolID); both nil when any will do.
	// issuerCheck and issuerWant describe the check for Explain.
	issuers, poolIDs        []string
	issuerCheck, issuerWant string
	clients                 []string // accepted app clients; nil when any will do
	tokenUse                claims.TokenUse
	scopesAny, scopesAll    []string
	groupsAny, groupsAll    []string
	conds                   []condition
}

// scratch is a request used to look up a path that differs from the
// request's own (cleaned, or without its trailing slash).
type scratch struct {
	r http.Request
	u url.URL
}

// New validates cfg and compiles it. Every problem is reported, each as a
// *LoadError naming its field, joined into one error that matches
// ErrConfig; nothing is left to be discovered at request time.
func New(cfg Config) (*Policy, error) {
	p, errs := compile(cfg)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return p, nil
}

var ruleName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// compiler holds the state of one compile.
type compiler struct {
	p          *Policy
	errs       errorList
	names      map[string]int    // rule name → index
	owner      map[string]string // pattern → who registered it, for conflicts
	registered []string          // patterns in registration order
	catchAll   bool              // a rule has a catch-all pattern
}

// compile is New returning the problems as a list, for Parse to add file
// and line.
func compile(cfg Config) (*Policy, errorList) {
	p := &Policy{
		mux:    http.NewServeMux(),
		routes: make(map[string]*route),
		def:    cfg.Default,
		memo:   newRouteMemo(),
	}
	p.scratch.New = func() any {
		s := new(scratch)
		s.r.URL = &s.u
		return s
	}
	c := &compiler{p: p, names: make(map[string]int), owner: make(map[string]string)}
	switch cfg.Default {
	case DefaultDeny:
	case DefaultAuthenticated:
		p.warnings = append(p.warnings, "default: authenticated lets any valid token through on every route that no rule matches, including routes the upstream adds later; prefer default: deny with a rule for each route")
	case DefaultAllow:
		p.warnings = append(p.warnings, "default: allow lets every request that no rule matches through, without a token: the policy fails open, for routes the upstream adds later too; prefer default: deny with anonymous rules for the public routes")
	default:
		c.errs.add("default", fmt.Sprintf("unknown default %v; want deny, authenticated or allow", cfg.Default))
	}
	if !muxHasPatterns() {
		c.errs.add("", "net/http.ServeMux does not understand methods and wildcards in patterns (is GODEBUG httpmuxgo121=1 set?); the policy needs them")
		return nil, c.errs
	}
	for i := range cfg.Rules {
		c.rule(i, &cfg.Rules[i])
		if b, err := json.Marshal(&cfg.Rules[i]); err == nil && bytes.Contains(b, []byte("${")) {
			p.warnings = append(p.warnings, fmt.Sprintf("rule %q holds \"${\": a policy file (and a Config) is read without substitution, so ${VAR} is literal text here (a group, scope or value no token has); write the value, or put the policy inline in gate.yaml, where ${VAR} is substituted", cfg.Rules[i].Name))
		}
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	if !c.catchAll {
		// Every request then matches a route, so ServeMux never computes a
		// 405 answer, and a request that matches no rule finds the default.
		rt := &route{pat: parsePattern("/")}
		if err := register(p.mux, "/", rt); err != nil {
			c.errs.add("", "internal error: registering the catch-all route: "+err.Error())
			return nil, c.errs
		}
		p.routes["/"] = rt
	}
	return p, nil
}

// rule validates and compiles r, the i'th rule, and registers its routes.
func (c *compiler) rule(i int, r *Rule) {
	field := fmt.Sprintf("rules[%d]", i)
	cr := &rule{name: r.Name, anonymous: r.Anonymous, liveCheck: r.LiveCheck}
	c.p.live = c.p.live || r.LiveCheck
	c.p.names = append(c.p.names, r.Name)

	switch j, dup := c.names[r.Name]; {
	case r.Name == "":
		c.errs.add(field+".name", "missing; every rule needs a name for decisions, logs and metrics")
	case r.Name == RuleDefault || r.Name == RuleNonCanonical:
		c.errs.add(field+".name", fmt.Sprintf("%q is reserved for decisions that no rule made", r.Name))
	case !ruleName.MatchString(r.Name):
		c.errs.add(field+".name", fmt.Sprintf("%q: want 1 to 64 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit", r.Name))
	case dup:
		c.errs.add(field+".name", fmt.Sprintf("%q is already the name of rules[%d]", r.Name, j))
	default:
		c.names[r.Name] = i
	}

	// Requirements first: they name the variables the routes must define.
	varFields := make(map[string]string) // variable → first field using it
	cr.base = compileRequirement(&r.Requirement, field, &cr.vars, varFields, &c.errs)
	switch {
	case r.AnyOf == nil:
	case len(r.AnyOf) == 0:
		c.errs.add(field+".any_of", "empty list; want at least one alternative")
	default:
		for k := range r.AnyOf {
			f := fmt.Sprintf("%s.any_of[%d]", field, k)
			if r.AnyOf[k].isZero() {
				c.errs.add(f, "empty alternative; it would let any valid token through")
			}
			cr.anyOf = append(cr.anyOf, compileRequirement(&r.AnyOf[k], f, &cr.vars, varFields, &c.errs))
		}
	}
	if r.Anonymous && (!r.Requirement.isZero() || r.AnyOf != nil) {
		c.errs.add(field+".anonymous", "an anonymous rule takes no requirements; remove anonymous or the requirements")
	}
	if r.LiveCheck {
		checkLiveCheck(r, field, &c.errs)
	}
	if len(cr.vars) > maxVars {
		c.errs.add(field, fmt.Sprintf("conditions use %d path variables; at most %d", len(cr.vars), maxVars))
		cr.vars = cr.vars[:maxVars]
	}

	switch {
	case r.Route != "" && r.Routes != nil:
		c.errs.add(field+".routes", "both route and routes are set; want one of them")
	case r.Routes != nil && len(r.Routes) == 0:
		c.errs.add(field+".routes", "empty list; want at least one pattern")
	case r.Routes != nil:
		for k, s := range r.Routes {
			c.route(cr, fmt.Sprintf("%s.routes[%d]", field, k), s, varFields)
		}
	case r.Route != "":
		c.route(cr, field+".route", r.Route, varFields)
	default:
		c.errs.add(field, "no route; want route (one pattern) or routes (a list)")
	}
}

// route validates the pattern s of rule cr, given at field, and registers
// it.
func (c *compiler) route(cr *rule, field, s string, varFields map[string]string) {
	pat, msg := checkPattern(s)
	if msg != "" {
		c.errs.add(field, msg)
		return
	}
	rt := &route{rule: cr, pat: pat, idx: make([]int, len(cr.vars))}
	for k, v := range cr.vars {
		if rt.idx[k] = pat.index(v); rt.idx[k] < 0 {
			c.errs.add(varFields[v], fmt.Sprintf("{%s}: pattern %q defines no wildcard %s%s", v, s, v, defines(&pat)))
		}
	}
	if err := register(c.p.mux, s, rt); err != nil {
		c.errs.add(field, conflict(s, c.registered, c.owner, err))
		return
	}
	c.registered = append(c.registered, s)
	c.owner[s] = fmt.Sprintf("%s (rule %q)", field, cr.name)
	c.p.routes[s] = rt
	c.p.hasHosts = c.p.hasHosts || pat.host != ""
	if k, ok := pat.dirKey(); ok {
		c.p.dirs = append(c.p.dirs, k)
	}
	if pat.isCatchAll() {
		c.catchAll = true
	}
	switch {
	case !cr.anonymous:
	case pat.matchesEveryPath():
		c.p.warnings = append(c.p.warnings, openWarning(cr.name, &pat))
	case pat.allWildcards():
		c.p.warnings = append(c.p.warnings, fmt.Sprintf("rule %q: route %q is anonymous and names no path segment: every path of its shape that no other rule matches needs no token (/admin, /metrics, /debug, and paths the upstream adds later); name the public paths instead", cr.name, pat.str))
	}
}

// openWarning warns that the anonymous route p of rule matches every path
// (of its method, of its host): an upstream's every route that no other
// rule names is public, including those it adds later. "GET /" is often
// meant as the root page only, which is "GET /{$}".
func openWarning(rule string, p *pattern) string {
	what := "request"
	switch p.method {
	case "":
	case http.MethodGet:
		what = "GET and HEAD request"
	default:
		what = p.method + " request"
	}
	if p.host != "" {
		what += " to " + p.host
	}
	root := p.host + "/{$}"
	if p.method != "" {
		root = p.method + " " + root
	}
	return fmt.Sprintf("rule %q: route %q is anonymous and matches every path: every %s that no other rule matches needs no token, including paths the upstream adds later; for the root page only, write %q", rule, p.str, what, root)
}

// compileRequirement validates and compiles q, the requirement at field.
func compileRequirement(q *Requirement, field string, vars *[]string, varFields map[string]string, errs *errorList) requirement {
	c := requirement{field: field, tokenUse: q.TokenUse}
	switch q.TokenUse {
	case "", claims.AccessToken, claims.IDToken:
	case claims.AnyToken:
		c.tokenUse = ""
	default:
		errs.add(field+".token_use", fmt.Sprintf("unknown token_use %q; want access, id or any", q.TokenUse))
	}
	pools := checkList(q.Pools, field+".pools", "user pool id", checkPoolID, errs)
	issuers := checkList(q.Issuers, field+".issuers", "issuer", checkIssuer, errs)
	if pools != nil || issuers != nil {
		c.issuers = slices.Clone(issuers)
		c.poolIDs = []string{} // not nil: the check applies
		for _, id := range pools {
			if checkPoolID(id) == "" {
				c.poolIDs = append(c.poolIDs, id)
			}
		}
		switch {
		case pools == nil:
			c.issuerCheck = "issuers"
		case issuers == nil:
			c.issuerCheck = "pools"
		default:
			c.issuerCheck = "issuers|pools"
		}
		c.issuerWant = list(append(issuers, pools...))
	}
	c.clients = checkList(q.Clients, field+".clients", "app client id", checkClientID, errs)
	c.groupsAny = checkList(q.GroupsAny, field+".groups_any", "group name", checkGroup, errs)
	c.groupsAll = checkList(q.GroupsAll, field+".groups_all", "group name", checkGroup, errs)
	c.scopesAny = checkList(q.ScopesAny, field+".scopes_any", "scope", checkScope, errs)
	c.scopesAll = checkList(q.ScopesAll, field+".scopes_all", "scope", checkScope, errs)
	if q.TokenUse == claims.IDToken {
		for _, l := range []struct {
			f string
			v []string
		}{{".scopes_any", q.ScopesAny}, {".scopes_all", q.ScopesAll}} {
			if l.v != nil {
				errs.add(field+l.f, "ID tokens have no scopes, so with token_use id this can never hold")
			}
		}
	}
	if q.Claims != nil && len(q.Claims) == 0 {
		errs.add(field+".claims", "empty list; want at least one condition")
	}
	for j := range q.Claims {
		if cc, ok := compileCondition(&q.Claims[j], fmt.Sprintf("%s.claims[%d]", field, j), vars, varFields, errs); ok {
			c.conds = append(c.conds, cc)
		}
	}
	return c
}

// checkList validates a list of group names or scopes. A nil list requires
// nothing; an empty one is an error. It returns a copy.
func checkList(l []string, field, what string, check func(string) string, errs *errorList) []string {
	if l == nil {
		return nil
	}
	if len(l) == 0 {
		errs.add(field, "empty list; want at least one "+what)
		return nil
	}
	for i, s := range l {
		if msg := check(s); msg != "" {
			errs.add(fmt.Sprintf("%s[%d]", field, i), msg)
		} else if j := slices.Index(l[:i], s); j >= 0 {
			errs.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is listed twice", s))
		}
	}
	return slices.Clone(l)
}

// checkGroup validates a Cognito group name: 1 to 128 characters, no
// whitespace or control characters.
func checkGroup(g string) string {
	if g == "" || utf8.RuneCountInString(g) > 128 {
		return fmt.Sprintf("group name %q: want 1 to 128 characters", g)
	}
	if strings.ContainsFunc(g, spaceOrControl) {
		return fmt.Sprintf("group name %q has whitespace or a control character", g)
	}
	return ""
}

// checkClientID validates an app client id: 1 to 128 characters without
// whitespace or control characters (Cognito's are letters and digits; an
// emulator's may be anything printable).
func checkClientID(id string) string {
	if id == "" || utf8.RuneCountInString(id) > 128 {
		return fmt.Sprintf("app client id %q: want 1 to 128 characters", msg.Clip(id, 140))
	}
	if strings.ContainsFunc(id, spaceOrControl) {
		return fmt.Sprintf("app client id %q has whitespace or a control character", id)
	}
	return ""
}

// spaceOrControl reports whether r is whitespace or a control character,
// which Cognito group names never have.
func spaceOrControl(r rune) bool {
	return r <= ' ' || unicode.IsSpace(r) || unicode.IsControl(r)
}

// checkScope validates an OAuth scope token (RFC 6749 section 3.3), which
// also makes it safe to quote in a WWW-Authenticate header.
func checkScope(s string) string {
	if s == "" || len(s) > 256 {
		return fmt.Sprintf("scope %q: want 1 to 256 characters", s)
	}
	return checkScopeChars(s)
}

// checkScopeChars returns why s has a character that no scope token has
// (RFC 6749 section 3.3: printable ASCII but space, '"' and '\\'), or "".
// The scope claim is a list of scopes separated by single spaces, so a
// "scope" with whitespace in a policy is two scopes written as one, and
// could never match.
func checkScopeChars(s string) string {
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return fmt.Sprintf("scope %q has whitespace; scopes are separated by single spaces (RFC 6749 section 3.3), so no scope contains any: list each scope as its own item", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' || c >= 0x7f {
			return fmt.Sprintf("scope %q is not a scope token: want printable ASCII without spaces, quotes or backslashes (RFC 6749 section 3.3)", s)
		}
	}
	return ""
}

// checkListValue validates the literal parts of the value of a condition
// on a list claim: a scope or group that no token can have is an error,
// not a condition that silently never holds.
func checkListValue(kind claimKind, t *template) string {
	for _, p := range t.parts {
		if p.slot >= 0 || p.claim != nil {
			continue
		}
		switch kind {
		case claimScopes:
			if msg := checkScopeChars(p.lit); msg != "" {
				return msg
			}
		case claimGroups:
			if strings.ContainsFunc(p.lit, spaceOrControl) {
				return fmt.Sprintf("group name %q has whitespace or a control character; no group name has", p.lit)
			}
		}
	}
	if len(t.parts) == 1 && t.parts[0].slot < 0 && t.parts[0].claim == nil {
		switch lit := t.parts[0].lit; kind {
		case claimScopes:
			return checkScope(lit)
		case claimGroups:
			return checkGroup(lit)
		}
	}
	return ""
}

// checkPoolID validates a Cognito user pool id, "<region>_<id>".
func checkPoolID(id string) string {
	if _, err := claims.CognitoIssuer(id); err != nil {
		msg := fmt.Sprintf("user pool id %q: want <region>_<id>, e.g. eu-west-1_AbC123", id)
		if strings.Contains(id, "://") {
			msg += "; an issuer URL goes under issuers"
		}
		return msg
	}
	return ""
}

// maxIssuer bounds the length of an issuer.
const maxIssuer = 2048

// checkIssuer validates an issuer URL: https (or http, for an emulator),
// with a host and a path, no credentials, query, fragment or trailing
// slash, as claims.Pool.Issuer is.
func checkIssuer(iss string) string {
	if iss == "" || len(iss) > maxIssuer {
		return fmt.Sprintf("issuer %q: want 1 to %d bytes", iss, maxIssuer)
	}
	for i := 0; i < len(iss); i++ {
		if c := iss[i]; c <= ' ' || c >= 0x7f {
			return fmt.Sprintf("issuer %q has whitespace, a control character or non-ASCII bytes; tokens' iss never has", iss)
		}
	}
	u, err := url.Parse(iss)
	want := "; want an https URL (http for an emulator) with a host, without credentials, query, fragment or trailing slash, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
	switch {
	case err != nil:
		return fmt.Sprintf("issuer %q is not a URL%s", iss, want)
	case u.Scheme != "https" && u.Scheme != "http":
		msg := fmt.Sprintf("issuer %q: scheme is not https%s", iss, want)
		if checkPoolID(iss) == "" {
			msg = fmt.Sprintf("issuer %q is a user pool id; a user pool id goes under pools", iss)
		}
		return msg
	case u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("issuer %q has no host%s", iss, want)
	case u.User != nil:
		return fmt.Sprintf("issuer %q has credentials%s", iss, want)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Sprintf("issuer %q has a query%s", iss, want)
	case strings.Contains(iss, "#"):
		return fmt.Sprintf("issuer %q has a fragment%s", iss, want)
	case strings.HasSuffix(iss, "/"):
		return fmt.Sprintf("issuer %q has a trailing slash%s", iss, want)
	}
	return ""
}

// checkPattern validates a route pattern: ServeMux must accept it, and it
// must be able to match a request that the policy judges (see the package
// documentation on canonical requests).
func checkPattern(s string) (pattern, string) {
	if err := register(http.NewServeMux(), s, http.NotFoundHandler()); err != nil {
		msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("parsing %q: ", s))
		return pattern{}, fmt.Sprintf("bad pattern %q: %s; want [METHOD ][HOST]/[PATH] as net/http.ServeMux accepts", s, msg)
	}
	p := parsePattern(s)
	never := "; such requests are refused, so the route could never match"
	switch {
	case p.method == "CONNECT":
		return p, fmt.Sprintf("pattern %q: CONNECT requests are refused, so the route could never match", s)
	case checkMethod(p.method) != "" && p.method != "":
		return p, fmt.Sprintf("pattern %q: method %q is not upper-case%s", s, p.method, never)
	case strings.HasPrefix(p.host, "["):
		return p, fmt.Sprintf("pattern %q: host %q is an IPv6 address; host patterns name DNS names or IPv4 addresses (ServeMux strips the brackets only when a port is present)", s, p.host)
	case strings.Contains(p.host, ":"):
		return p, fmt.Sprintf("pattern %q: host %q has a port; hosts are matched without the port, as ServeMux does", s, p.host)
	case p.host != "" && hostProblem(p.host) != "":
		return p, fmt.Sprintf("pattern %q: %s%s", s, hostProblem(p.host), never)
	case checkHost(p.host) != "":
		return p, fmt.Sprintf("pattern %q: %s%s", s, checkHost(p.host), never)
	case cleanPath(p.path) != p.path:
		return p, fmt.Sprintf("pattern %q: path is not clean (request paths are cleaned), so the route could never match", s)
	case checkPath(p.path) != "":
		return p, fmt.Sprintf("pattern %q: %s%s", s, checkPath(p.path), never)
	}
	return p, ""
}

// defines describes the wildcards p defines, for an error message.
func defines(p *pattern) string {
	w := p.wildcards()
	if len(w) == 0 {
		return " (it has none)"
	}
	return "; it defines " + strings.Join(w, ", ")
}

// register adds pattern to mux, turning ServeMux's panic into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// conflict describes why pattern could not be registered after the
// registered ones: it names the pattern it conflicts with (found by trying
// each pair in a fresh ServeMux) and keeps ServeMux's explanation.
func conflict(pattern string, registered []string, owner map[string]string, err error) string {
	for _, q := range registered {
		m := http.NewServeMux()
		m.Handle(q, http.NotFoundHandler())
		if e := register(m, pattern, http.NotFoundHandler()); e != nil {
			return fmt.Sprintf("pattern %q conflicts with %q of %s: %s; make one more specific than the other", pattern, q, owner[q], explanation(e))
		}
	}
	return fmt.Sprintf("pattern %q: %s", pattern, explanation(err))
}

// explanation returns ServeMux's explanation of a conflict: the lines after
// the first, which names the patterns and where they were registered.
func explanation(err error) string {
	why := err.Error()
	if _, after, ok := strings.Cut(why, "\n"); ok {
		why = after
	}
	return strings.TrimSuffix(strings.Join(strings.Fields(why), " "), ".")
}

// muxHasPatterns reports whether ServeMux understands Go 1.22 patterns;
// with GODEBUG httpmuxgo121=1 it does not, and a policy would silently
// match nothing.
func muxHasPatterns() bool {
	m := http.NewServeMux()
	if register(m, "GET /probe/{x}", http.NotFoundHandler()) != nil {
		return false
	}
	_, pat := m.Handler(&http.Request{Method: "GET", URL: &url.URL{Path: "/probe/a"}})
	return pat == "GET /probe/{x}"
}

// checkLiveCheck reports what makes live_check impossible on r, the rule
// at field: no token (anonymous), or only ID tokens (token_use: id in the
// rule or in an alternative), which GetUser does not take.
func checkLiveCheck(r *Rule, field string, errs *errorList) {
	const idOnly = "token_use id with live_check: GetUser takes access tokens only; remove live_check or require token_use access"
	if r.Anonymous {
		errs.add(field+".live_check", "an anonymous rule has no token to check; remove live_check or anonymous")
	}
	if r.TokenUse == claims.IDToken {
		errs.add(field+".token_use", idOnly)
	}
	for k := range r.AnyOf {
		if r.AnyOf[k].TokenUse == claims.IDToken {
			errs.add(fmt.Sprintf("%s.any_of[%d].token_use", field, k), idOnly)
		}
	}
}

// LiveCheck reports whether some rule has live_check: whoever acts on the
// policy's decisions must be able to make the check (see Rule.LiveCheck).
func (p *Policy) LiveCheck() bool { return p.live }

// Rules returns the rule names in configuration order.
func (p *Policy) Rules() []string { return slices.Clone(p.names) }

// Default returns what the policy does with requests no rule matches.
func (p *Policy) Default() Default { return p.def }

// Warnings returns what the program should log loudly at start-up: a
// default other than deny, and each anonymous route that matches every
// path of its method or host ("/", "GET /", "GET /{path...}",
// "api.example.com/"), which makes public every request that no other rule
// matches. Each warning says what it opens and what to write instead.
func (p *Policy) Warnings() []string { return slices.Clone(p.warnings) }

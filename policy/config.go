package policy

import (
	"strconv"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Config is a policy in Go form; Parse reads the same thing from YAML. The
// zero Config is valid and denies every request. New validates a Config
// completely and compiles it.
type Config struct {
	// Default decides requests that no rule matches. The zero value,
	// DefaultDeny, denies them.
	Default Default
	// Rules are matched by route, most specific pattern first, whatever
	// their order; the order is only that of Rules() and of error
	// messages.
	Rules []Rule
}

// Default says what happens to a request that no rule matches.
type Default int

// The defaults. Anything but DefaultDeny is reported by Policy.Warnings,
// for the program to log at start-up.
const (
	// DefaultDeny denies unmatched requests: 401 (missing_token) without
	// a token, 403 (no_rule) with one.
	DefaultDeny Default = iota
	// DefaultAuthenticated lets unmatched requests through with any valid
	// token, and answers 401 without one.
	DefaultAuthenticated
	// DefaultAllow lets every unmatched request through, token or not.
	DefaultAllow
)

// String returns "deny", "authenticated" or "allow", the YAML spelling.
func (d Default) String() string {
	switch d {
	case DefaultDeny:
		return "deny"
	case DefaultAuthenticated:
		return "authenticated"
	case DefaultAllow:
		return "allow"
	}
	return "Default(" + strconv.Itoa(int(d)) + ")"
}

// parseDefault is the inverse of Default.String.
func parseDefault(s string) (Default, bool) {
	for _, d := range []Default{DefaultDeny, DefaultAuthenticated, DefaultAllow} {
		if s == d.String() {
			return d, true
		}
	}
	return 0, false
}

// Rule grants access to the requests its routes match.
//
// Who may pass is said by exactly one of: Anonymous; nothing else (any
// valid token); or requirements (the embedded Requirement and AnyOf). A
// rule's requirements are ANDed: the embedded Requirement must hold, and
// when AnyOf is not empty, at least one of its alternatives too.
type Rule struct {
	// Name identifies the rule in decisions, logs and metrics: 1 to 64
	// lowercase letters, digits, '_', '.' and '-', starting with a letter
	// or digit; unique; not "default" or "non_canonical".
	Name string

	// Route is a net/http.ServeMux pattern, "[METHOD ][HOST]/[PATH]", such
	// as "GET /admin/", "POST /orders", "/users/{sub}/files/{path...}" or
	// "api.example.com/v1/". A method pattern also matches HEAD when the
	// method is GET, as in ServeMux. Set Route or Routes, not both.
	Route string
	// Routes lists several patterns for one rule; each must define every
	// path variable the rule's conditions use.
	Routes []string

	// Anonymous lets requests through without a token. A token that is
	// present has still been verified (by the middleware) and its claims
	// are passed on. An anonymous rule has no requirements.
	Anonymous bool

	// Requirement is what the token must satisfy. Its zero value requires
	// only a valid token.
	Requirement

	// AnyOf lists alternatives, of which at least one must hold (as well
	// as the embedded Requirement). Every alternative must require
	// something: an empty one would let any token through.
	AnyOf []Requirement
}

// Requirement is a set of conditions on a verified token, all of which must
// hold. Nil lists require nothing; empty non-nil lists are an error, never
// "anything goes".
type Requirement struct {
	// Pools requires the token to come from one of these user pools, by
	// id ("eu-west-1_AbC123"): its issuer (iss) must be the pool's, in
	// either form Cognito uses,
	// "https://cognito-idp.<region>.amazonaws.com/<id>" or
	// "https://issuer-cognito-idp.<region>.amazonaws.com/<id>". Issuers
	// requires the issuer to be one of these URLs, compared exactly (for
	// an emulator's issuer, say). When both are set the issuer must be one
	// of either list: a pool id is shorthand for its two issuers.
	//
	// Name the pool in every rule of a verifier that accepts several
	// pools: groups, usernames and custom attributes are each pool's own,
	// so "admin" of one pool says nothing about another. A token of
	// another pool is denied with claims.ReasonClaimDenied (403): it is
	// valid, just not for this rule. This is checked first, so that such
	// a token is told nothing about the rule's other requirements.
	Pools, Issuers []string
	// GroupsAny requires membership of at least one of these
	// cognito:groups; GroupsAll of all of them.
	GroupsAny, GroupsAll []string
	// ScopesAny requires at least one of these scopes of an access token;
	// ScopesAll all of them. ID tokens have no scopes and never satisfy a
	// scope requirement (combining scopes with TokenUse IDToken is an
	// error). Each is one scope-token of RFC 6749 section 3.3: the scope
	// claim separates scopes by single spaces, so a value with whitespace
	// ("orders/read orders/write") is a load error, not two scopes.
	ScopesAny, ScopesAll []string
	// TokenUse requires an access token (claims.AccessToken) or an ID
	// token (claims.IDToken). Empty or claims.AnyToken accepts both.
	TokenUse claims.TokenUse
	// Claims are conditions on single claims, modelled on the rules of
	// identity-pool role mapping.
	Claims []Condition
}

// isZero reports whether q requires nothing beyond a valid token.
func (q *Requirement) isZero() bool {
	return q.Pools == nil && q.Issuers == nil &&
		q.GroupsAny == nil && q.GroupsAll == nil && q.ScopesAny == nil && q.ScopesAll == nil &&
		(q.TokenUse == "" || q.TokenUse == claims.AnyToken) && q.Claims == nil
}

// Condition is a test of one claim of the token.
//
// Claim names the claim. Cognito's claims are read from the verified
// token's typed fields: sub, username and cognito:username (the username of
// either token kind), client_id (the app client of either kind), token_use,
// iss, email, cognito:groups, scope (the list of scopes),
// cognito:preferred_role and cognito:roles. Any other name is read from the
// token's JSON: strings are compared after decoding, numbers and booleans
// by their JSON text ("42", "true"), arrays only with OpContains. A claim
// that is missing, null, empty or of another type fails the condition,
// whatever the operator: a condition never passes for lack of data.
//
// Value is a template. "{name}" is the value of the path wildcard name of
// the rule's route (as ServeMux's Request.PathValue would give it,
// unescaped); "{claim:NAME}" is the string value of the token's claim NAME;
// "{{" and "}}" are literal braces; everything else is literal. So on
// "/users/{sub}/files/{path...}", {Claim: "sub", Op: OpEquals, Value:
// "{sub}"} lets users reach only their own files. A value that comes out
// empty fails the condition. On the list claims scope and cognito:groups,
// the literal text of the value must be able to occur in one element: no
// whitespace (and, for scope, only the characters of an RFC 6749 scope
// token), or New reports an error.
type Condition struct {
	// Claim is the claim's name, e.g. "sub" or "custom:tenant".
	Claim string
	// Op is the comparison.
	Op Op
	// Value is the template compared with the claim.
	Value string
}

// Op is a Condition's comparison.
type Op string

// The operators, spelled as in YAML.
const (
	// OpEquals holds when the claim equals the value.
	OpEquals Op = "equals"
	// OpNotEquals holds when the claim is present and differs from the
	// value.
	OpNotEquals Op = "not_equals"
	// OpContains holds when a list claim has the value as an element, or a
	// string claim has it as a substring.
	OpContains Op = "contains"
	// OpStartsWith holds when the claim starts with the value.
	OpStartsWith Op = "starts_with"
)

// ops lists the operators in documentation order.
var ops = []Op{OpEquals, OpNotEquals, OpContains, OpStartsWith}

// Reserved rule names: the Rule of decisions that no rule made.
const (
	// RuleDefault is the Rule of a decision made by the policy's default.
	RuleDefault = "default"
	// RuleNonCanonical is the Rule of a decision refusing a request that
	// cannot be judged safely; see the package documentation.
	RuleNonCanonical = "non_canonical"
)

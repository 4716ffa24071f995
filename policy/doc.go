// Package policy decides, for one request and one verified Cognito token
// (or none), whether the request may go on: it turns Cognito groups,
// scopes and claims into access control by route.
//
// # Rules
//
// A policy is a list of rules and a default, built from a Config with New
// or read from YAML with Parse and Load (ParseWith reads a policy that is
// one section of a larger document, such as cognito-gate's configuration
// file, with ${VAR} substitution if asked). Each rule has a name and one or
// more routes: patterns in the syntax of net/http.ServeMux, such as
// "GET /admin/", "POST /orders", "/users/{sub}/files/{path...}" or
// "api.example.com/v1/". The policy registers them in a ServeMux of its own
// and asks it which pattern a request matches, so matching and precedence
// are exactly ServeMux's: the most specific pattern wins whatever the
// order of the rules, a GET pattern also matches HEAD, a host pattern wins
// over patterns without a host, and "/admin" is judged by "/admin/" when
// that is the only match (ServeMux would redirect it there). Patterns that
// ServeMux would reject as conflicting are a load error. ServeMux's answers
// are remembered per method, Host header as sent (only when some pattern has
// a host) and path, in a fixed table of 1,024 entries of at most 256 bytes
// of key each, so that a path seen before is routed without ServeMux's
// allocations. A key is stored the second time it misses, so paths that
// never repeat (IDs in paths, an attacker's) cost ServeMux's lookup plus a
// hash and push out no path that does repeat.
//
// A rule then says who may pass: anyone (Anonymous), any valid token (no
// requirements), or a token that satisfies its requirements: its user pool
// (pools, or issuers), its app client (clients: client_id, or aud for ID
// tokens), groups (cognito:groups), scopes (of access tokens), token_use,
// and conditions on claims. Requirements are ANDed; AnyOf lists
// alternatives.
//
// # Conditions
//
// A condition names a value of the token by a claim path (see ClaimPath):
// a claim ("custom:tenant"), or a value inside the JSON objects and arrays
// that pre-token-generation triggers write ("tenant.id",
// "tenant.regions[0]"), with names that have dots in brackets
// (`["custom:org.unit"]`). It compares it with typed values: equals,
// not_equals, in (a list), exists, gt, gte, lt and lte (numbers),
// contains, contains_any and contains_all (elements of arrays; contains
// also substrings), starts_with. Nothing is converted: the number 1, the
// string "1" and true are different values, numbers compare exactly by
// value (never through a float64), and a claim of another type than the
// value fails the condition, as does a claim that is missing or empty.
// Where New knows a claim's type (those claims.Verifier checks), a
// condition its type can never satisfy is an error. String values may
// name path wildcards or other claims, so that "/users/{sub}/…" can
// require sub == {sub}. A path wildcard, which the client chooses, is
// never the needle of a prefix or substring test: with starts_with, or
// contains on a string claim, it is an error of New; contains on a claim
// that may be an array compares it with elements only. See Condition.
//
// When the verifier accepts tokens of several user pools, name the pool in
// the rules: group names, usernames and custom attributes are each pool's
// own, and "admin" of pool B is not "admin" of pool A. "pools:
// [eu-west-1_AbC123]" accepts the pool's tokens under either issuer form
// (https://cognito-idp.<region>.amazonaws.com/<id> and
// https://issuer-cognito-idp.<region>.amazonaws.com/<id>); "issuers:"
// lists issuer URLs compared exactly. A token of another pool is denied
// with claim_denied (403): it is valid, but not for this rule, and it is
// told nothing about the rule's other requirements (the pool is checked
// first).
//
// A request that no rule matches gets the default: deny (the zero value),
// authenticated, or allow. Warnings reports, for the program to log loudly
// at start-up, the last two and every anonymous route that matches every
// path of its method or host ("/", "GET /", "GET /{path...}",
// "api.example.com/"): each makes public every request that no other rule
// matches, including routes the upstream adds later. "GET /" in
// ServeMux's syntax is a subtree, not the root page; the root page alone
// is "GET /{$}".
//
// # Decisions
//
// Decide returns a Decision: allow (200), or deny with 401 when a token is
// needed but absent or of the wrong kind, or 403 when the token lacks a
// scope (insufficient_scope, with the scopes that would do), a group or a
// claim, or comes from another user pool than the rule's (claim_denied),
// or when no rule matched and the default denies (no_rule; without a
// token such a request is missing_token, 401), or 400 when the request is
// refused unjudged: non_canonical_path (below), or bad_request when a rule
// names a host and the request's Host is malformed. Its Reason is one of claims' reasons and its Rule names the
// rule that decided, for logs and metrics. Explain returns the same decision
// with every step that led to it.
//
// The policy never sees a raw token. The middleware extracts the bearer
// token; when there is none it calls Decide(r, nil); otherwise it verifies
// the token with claims.Verifier, answers a failure itself (401 or 503),
// and calls Decide(r, tok) with the verified token. An anonymous rule
// allows a request with or without a token; the token's claims are still
// passed on.
//
// A rule with live_check (Rule.LiveCheck) also requires that Cognito still
// accept the token. The policy cannot know that: its Decision says so
// (Decision.LiveCheck) and the middleware asks Cognito (package livecheck)
// before letting the request through. Policy.LiveCheck reports whether
// any rule needs it.
//
// # Paths
//
// A policy protects an upstream, which routes the request again, often
// with a different router. Any disagreement about which route a request
// is for lets a request be judged by one rule and served by another. The
// policy therefore judges only requests whose meaning is unambiguous,
// and tells the caller exactly which path it judged:
//
//   - The path judged is r.URL.EscapedPath(), the path as it will be
//     forwarded, after the cleaning ServeMux applies: "//", "." and ".."
//     segments are resolved, a trailing slash is kept. "/docs/../admin/x"
//     is judged, and must be forwarded, as "/admin/x". Decision.Path is
//     that path; the proxy must forward it (or redirect to it), never the
//     original.
//   - Wildcards and literals match the unescaped segments, as in ServeMux:
//     "/%61dmin/x" is judged by "/admin/", and {sub} is compared unescaped.
//   - Requests that routers disagree about are refused as non-canonical
//     (Rule RuleNonCanonical; 400 non_canonical_path, with or without a
//     token, whatever the default; malformed hosts are 400 bad_request,
//     below), following Spring
//     Security's StrictHttpFirewall: paths that do not start with "/",
//     encoded slashes (%2F: ServeMux keeps "/admin%2Fx" as one segment,
//     other routers decode it to "/admin/x"), backslashes raw or encoded (%5C: some servers read them
//     as "/"), encoded dots (%2E: "/docs/%2e%2e/admin" is "/admin" to a
//     router that decodes before cleaning), encoded percent signs (%25:
//     double decoding), semicolons raw or encoded (%3B: "/docs/..;/admin"
//     is "/admin" to Tomcat and Jetty), control characters, malformed
//     escapes and escapes that decode to invalid UTF-8 (overlong "/" and
//     "."); methods that are empty, CONNECT or not upper-case ("post" is
//     POST to some frameworks but matches no "POST" pattern); and, when
//     some pattern names a host, hosts that are not lower-case or end in a
//     dot ("ADMIN.example.com." is admin.example.com to virtual hosting but
//     not to ServeMux). Hosts are matched without the port, as ServeMux
//     does.
//   - When some pattern names a host, a Host that does not name exactly one
//     host is refused as a bad request: 400, claims.ReasonBadRequest, Rule
//     RuleNonCanonical, with or without a token, before anything else is
//     checked. CheckHost says which values those are: anything but a DNS
//     name (ASCII letters, digits, '-' and '_'), a dotted-quad IPv4
//     address or a bracketed IPv6 address, followed by at most one port
//     from 1 to 65535. "www.example.com,internal.example.com" and
//     "internal.example.com:1:2" match no host pattern in ServeMux, which
//     would judge them by host-less rules, yet Werkzeug's ProxyFix and
//     Express serve them as internal.example.com. Upper case and a
//     trailing dot, by contrast, are valid host names in a non-canonical
//     form, refused as non_canonical_path like the other non-canonical
//     requests (400 too, but not counted as malformed).
//     Programs that pass the Host on (in X-Forwarded-Host, say) should
//     apply CheckHost themselves when no pattern names a host.
//   - A path that ends in a slash is also judged without it, when that path
//     matches a different rule: both rules must allow. Routers that ignore
//     trailing slashes (Express, Rails, ASP.NET, older Spring) serve
//     "POST /orders/" as "POST /orders", so the rule for "POST /orders"
//     applies to it too. The other way round, a path without a trailing
//     slash is also judged with it when a rule's pattern names that very
//     directory ("GET /admin/", "GET /admin/{$}", "GET /users/{id}/"):
//     with "GET /{page}" anonymous, "GET /admin" still needs what
//     "GET /admin/" needs. A pattern that only contains the directory ("/",
//     "GET /admin/" for "/admin/x") adds nothing; ServeMux has already
//     preferred the more specific one.
//   - Methods and paths are case-sensitive, as in ServeMux and HTTP: "/Admin"
//     is not matched by "/admin/". An upstream that routes paths
//     case-insensitively needs its rules written for every spelling, or a
//     default that denies.
//
// Patterns that could only match refused requests ("get /x",
// "Example.com/", "a,b/", "example.123/", "/a;b", "/a/../b",
// "CONNECT /x") are load errors, as are IPv6 hosts in patterns (ServeMux
// strips a request's brackets only when it has a port).
//
// # Concurrency and cost
//
// A Policy is immutable once built and safe for concurrent use. New
// precomputes everything; Decide checks the request's form, asks ServeMux
// for the matching pattern and compares a few strings. Decide's own code
// allocates only to clean a path that needs it and to read claims that
// claims.Token has no field for (from the token's JSON: a copy of the
// claim, and of a string value that a condition compares); checking the
// Host, the token's pool and app client, and numbers, booleans and array
// elements allocates nothing. ServeMux's
// matcher, which the policy reuses rather than re-implements, allocates a
// few small objects for wildcard values and for the branches it tries: in
// the example policy, none for GET /healthz or POST /orders, 5 for
// GET /admin/users, 7 for GET /users/{sub}/files/… (see BenchmarkDecide).
package policy

// Package assertion is the gate's signed identity assertion: a short-lived
// JWT that cognito-gate mints for each request it lets through, carrying
// the identity it verified, and that upstream services verify instead of
// trusting plain X-Auth-* headers. One package holds both sides: the
// Signer and its KeySet for the gate, the Verifier for upstreams.
//
// Plain identity headers are enough when nothing but the gate can reach
// the upstream (a network policy, a loopback or Unix listener, mTLS):
// then whatever arrives came through the gate. Verify the assertion when
// something else can reach it — other workloads of the cluster, a
// misrouted load balancer, a proxy that forwards client headers — since
// anyone who can send a request can send any header, but only the gate
// can sign.
//
// # The assertion
//
// A compact JWS (RFC 7515), ES256 (ECDSA P-256 with SHA-256; the
// signature r||s, 64 bytes, RFC 7518 section 3.4), header
//
//	{"alg":"ES256","kid":"<RFC 7638 thumbprint of the key>","typ":"cognito-gate-assertion+jwt"}
//
// and claims
//
//	iss          the gate (SignerConfig.Issuer), not Cognito
//	aud          the upstream (SignerConfig.Audience), when set
//	iat, exp     exp - iat = SignerConfig.Lifetime, 30 s by default, at most 60 s
//	jti          128 random bits, base64url
//	cognito_iss  the user pool's issuer the gate verified the token against
//	sub, username, client_id, token_use, groups, scope, origin_jti, auth_time
//	             the verified token's (RFC 9068's names where it has one:
//	             groups is an array, scope space-separated)
//	htm          the method the policy allowed (RFC 9449's name for it)
//	host, path   the Host and escaped path it allowed (no query)
//	<name>       each of SignerConfig.Claims the token has, as Cognito signed it
//
// The typ is explicit typing (RFC 8725 section 3.11): a Cognito token
// has none, and a Verifier refuses any JWT whose typ is not exactly
// cognito-gate-assertion+jwt, so neither kind passes for the other even
// if keys were shared. RFC 9449's htu (scheme, host and path in one URI)
// is not used: the gate often cannot know the scheme the client used (TLS
// ends in front of it), and a scheme-less value under that name would be
// misread by DPoP-aware code; host and path are separate claims instead.
//
// # Signing
//
// Sign takes the *claims.Token the gate verified and the Request the
// policy allowed (RequestOf), and signs with crypto/ecdsa (crypto/rand as
// its reader). The figures (2-vCPU AMD EPYC VM of bench/README.md, Go
// 1.26.8, -cpu 1; BenchmarkInterleaved, which alternates blocks of the
// three calls so that they see the same load, medians of 6 rounds):
//
//	                                          time     allocs   bytes
//	Sign (the gate, per forwarded request)    47 µs     61      7.1 KB
//	Verify (an upstream, per request)        107 µs     88     12.2 KB
//	cold claims.Verifier.Verify (RS256)       52 µs     28      4.4 KB
//
// Sign costs 0.91× a cold verification of the Cognito token it is minted
// from, and is nearly all crypto/ecdsa.SignASN1 (59 allocations, 6.1 KB
// by itself): a gate that signs doubles its work per uncached request,
// and adds far more to a cached one (a verified-token cache hit is under
// a microsecond). The upstream's ES256 verification is 2.1× an RS256 one
// (P-256 verification is slower than RSA's; internal/jose).
//
// # Keys
//
// Keys are ECDSA P-256, loaded from PEM files (LoadKeyFile: PKCS #8
// "PRIVATE KEY", or a PKIX "PUBLIC KEY" that is only published) or
// generated at start (GenerateKey: one replica only; see there). A
// KeySet holds the signing key and the published ones; it serves them as
// a JSON Web Key Set (ServeHTTP: kty EC, crv P-256, x, y, kid, use sig,
// alg ES256) and keeps a key that stopped signing published until its
// last assertion has expired. The rotation procedure for a fleet is
// KeySet's documentation.
//
// # Verifying
//
// A Verifier is built from the gate's key set, given (VerifierConfig.JWKS)
// or fetched from where the gate serves it (JWKSURL; fetched as package
// jwks fetches Cognito's: one fetch at a time, a cooldown between
// attempts, a size cap and a timeout, last good keys through failures up
// to MaxStaleness). Package jwks is not used for the keys themselves: it
// holds RSA keys only. Verify checks typ, alg, kid, iss, aud, the
// lifetime and the times (see there) and returns a *claims.Token whose
// Issuer is the Cognito issuer, so that a *Verifier is a
// middleware.Verifier as it is:
//
//	v, err := assertion.NewVerifier(assertion.VerifierConfig{
//		Issuer:   "https://gate.example.com",
//		Audience: "orders",
//		JWKSURL:  "https://gate-admin.internal:8081/.well-known/jwks.json",
//	})
//	mw, err := middleware.New(middleware.Config{
//		Verifier:     v,
//		TokenSources: []middleware.TokenSource{middleware.Header("X-Auth-Assertion")},
//		Policy:       p, // the gate's policy can be applied again here
//	})
//
// and claims.FromContext, the policy (groups, scopes, token_use, pools,
// path variables bound to claims, conditions on the copied claims) and
// the handlers work as they do behind a Cognito token.
//
// # Replay
//
// An assertion is bound to the method, host and path it was minted for:
// VerifyRequest, or CheckRequest in the handler behind the middleware,
// refuses it with any other request (ErrRequestMismatch). What is left:
// whoever captures an assertion (an upstream's access log, a debugging
// proxy, a compromised upstream) can send it again, with the same method,
// host and path but any query and body, to any upstream of the same
// audience that accepts the gate's keys, until it expires — at most the
// lifetime plus the leeway, 65 s with the longest lifetime and the
// default leeway. VerifierConfig.ReplayCache closes that for one Verifier
// (a bounded cache of jtis until they expire); replicas do not share it.
// Keep the lifetime short, the audience set, and the header out of logs.
//
// # Errors
//
// Every error of Verify, VerifyRequest and CheckRequest wraps a sentinel
// of package claims (the ones of this package wrap claims' too: see
// errors.go), so claims.ReasonOf names it with a reason of the fixed list
// and the middleware answers 401, 499 or 503 as for any token.
// Configuration problems are *ConfigError values, joined, one per
// problem, naming the Go field and the configuration file key.
package assertion

// Package cognitotest is a fake Amazon Cognito user pool for tests: the
// tests of cognito-gate, the tests of programs that use it, and the
// `cognito-gate demo` command. Nothing in it depends on a testing.TB except
// New, so a program can run a pool too (see Start).
//
// A Pool serves its JSON Web Key Set over plain HTTP on a loopback port and
// mints RS256 access and ID tokens whose headers and claims look like the
// ones Cognito issues:
//
//	pool := cognitotest.New(t, cognitotest.Config{})
//	raw := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin"))
//
// The issuer is, by default, the real Cognito form
// https://cognito-idp.<region>.amazonaws.com/<poolId>, while the keys are
// served by the local server at JWKSURL; point the verifier's key source at
// JWKSURL (or set Config.LocalIssuer to get an issuer whose conventional
// JWKS location is the local server).
//
// The server listens only on 127.0.0.1, never on another address, so a
// pool started by a test or the demo is not reachable from the network.
//
// The private keys are not secret: the package embeds sixteen pre-generated
// RSA-2048 keys (keys/*.pem) so that starting a pool is fast even under the
// race detector, and generates fresh keys once those are used up. Never
// trust these keys, or a JWKS served by this package, outside tests and
// demos.
//
// Every Pool method is safe for concurrent use: tests may mint tokens from
// many goroutines while the key set is fetched, rotated and faulted.
package cognitotest

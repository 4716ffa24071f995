// Package cognitotest is a fake Amazon Cognito user pool for tests: the
// tests of cognito-gate and the tests of programs that use it.
//
//	pool := cognitotest.New(t, cognitotest.Config{})
//	raw := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin"))
//
// The pool itself is package fakepool (cognitotest/fakepool), which does
// not import package testing; this package adds the testing.TB helper New,
// which fails the test when the pool cannot start and closes the pool when
// the test ends, and names every fakepool type, constant and option, so
// that tests need only this import: Pool, Config, Fault and TokenOption are
// aliases of fakepool's types, and the With… options and Start call
// fakepool's. Programs that are not tests, such as `cognito-gate demo`, use
// fakepool directly and do not link package testing.
//
// A Pool serves its JSON Web Key Set over plain HTTP on 127.0.0.1 (never
// another address) and mints RS256 access and ID tokens whose headers and
// claims look like the ones Cognito issues. The issuer is, by default, the
// real Cognito form https://cognito-idp.<region>.amazonaws.com/<poolId>,
// while the keys are served by the local server at JWKSURL; point the
// verifier's key source at JWKSURL (or set Config.LocalIssuer).
//
// The private keys are not secret: fakepool embeds sixteen fixed,
// pre-generated RSA-2048 keys so that starting a pool is fast even under
// the race detector. Never trust these keys, or a JWKS served by this
// package, outside tests and demos.
package cognitotest

// Package fakepool is a fake Amazon Cognito user pool for tests and demos,
// never for production: a JSON Web Key Set server on 127.0.0.1 and a
// minter of RS256 access and ID tokens that look like the ones Cognito
// issues, with key rotation, retirement and faults of the key endpoint.
// It does not import package testing, so that a program such as
// `cognito-gate demo` can run a pool; tests use it through package
// cognitotest, whose New closes the pool when the test ends.
//
//	pool, err := fakepool.New(fakepool.Config{})
//	if err != nil { ... }
//	defer pool.Close()
//	raw := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("admin"))
//
// Why never in production: the private keys are not secret. The package
// embeds sixteen fixed, pre-generated RSA-2048 keys (keys/*.pem, published
// with the source code) so that starting a pool is fast even under the
// race detector, and generates fresh keys only once those are used up.
// Anyone can mint tokens that a verifier trusting a pool's key set
// accepts, so never configure a verifier outside tests and demos to trust
// a JWKS served by this package, or any key of keys/.
//
// The issuer is, by default, the real Cognito form
// https://cognito-idp.<region>.amazonaws.com/<poolId>, while the keys are
// served by the local server at JWKSURL; point the verifier's key source
// at JWKSURL (or set Config.LocalIssuer to get an issuer whose conventional
// JWKS location is the local server).
//
// Cognito's other shapes are there too: ClientCredentialsToken mints the
// access tokens of machine-to-machine clients (no username, no groups,
// sub = client_id, a <resource server>/<scope> scope); Config.UpdatedIssuer
// puts the pool on the updated issuer
// (https://issuer-cognito-idp.<region>.amazonaws.com/<poolId>), and
// Config.ReplicaRegions replicates it (Multi-Region Replication), each
// replica with keys of its own, its tokens minted with Pool.InRegion. Every
// issuer's key endpoint answers as Cognito's does — that region's keys, 403
// for the updated endpoint of a pool on the original issuer, 404 for a
// region the pool is not in — and Pool.HTTPClient reaches them at their
// Cognito addresses, so that a verifier configured by pool id alone, as in
// production, runs offline against the pool. SetIssuerFault and FetchesOf
// fault and count one endpoint.
//
// The server listens only on 127.0.0.1, never on another address, so a
// pool started by a test or the demo is not reachable from the network.
//
// Every Pool method is safe for concurrent use: tests may mint tokens from
// many goroutines while the key set is fetched, rotated and faulted.
package fakepool

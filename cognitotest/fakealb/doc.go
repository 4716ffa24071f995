// Package fakealb is a fake Application Load Balancer authenticate action
// for tests and demos, never for production: it mints the headers a load
// balancer adds to the requests it forwards after signing a user in
// (x-amzn-oidc-data, signed with ES256 in the load balancer's exact shape;
// x-amzn-oidc-identity; x-amzn-oidc-accesstoken as given) and serves the
// public key of each kid as PEM, as the regional key endpoint does, on
// 127.0.0.1. It does not import package testing, so that a program can
// run one; like package fakepool, whose defaults it shares (region, user
// pool issuer, app client), it is closed with Close.
//
//	lb, err := fakealb.New(fakealb.Config{})
//	if err != nil { ... }
//	defer lb.Close()
//	data := lb.Data(fakealb.WithUsername("bob"))
//	// verify with alb.Config{Region: lb.Region(), KeyURL: lb.KeyURL(),
//	//	AllowHTTP: true, Issuer: lb.Issuer(), Signers: []string{lb.Signer()},
//	//	ClientIDs: []string{lb.ClientID()}}
//
// The tokens have the shape AWS documents and load balancers emit: a
// header {"typ":"JWT","kid":<UUID>,"alg":"ES256","iss":...,"client":...,
// "signer":<ALB ARN>,"exp":...}, a payload of user claims {"sub",
// "email_verified","email","username","exp","iss"}, and every segment
// base64url with '=' padding; options change each part, and Sign signs
// any bytes, for tests of hostile tokens.
//
// Why never in production: anyone who can reach the key endpoint of a
// fake load balancer can have it sign whatever this package signs, and
// its keys live only in memory. Never configure a verifier outside tests
// to trust a KeyURL served by this package.
//
// The key endpoint listens only on 127.0.0.1. Every method is safe for
// concurrent use.
package fakealb

// Package assertion is the gate's signed identity assertion: a short-lived
// JWT that cognito-gate mints for each request it lets through, and that
// upstream services verify instead of trusting plain X-Auth-* headers.
package assertion

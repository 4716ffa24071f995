// Package bench compares cognito-gate's hot path with a standard-library
// floor and with peer libraries, on the same Cognito-shaped RS256 access
// tokens. It is its own Go module so that the peers never enter the main
// module's go.mod; everything lives in its tests and benchmarks.
//
// Run ./run.sh for the benchstat table and the ratios to the floor, and see
// README.md for the latest results. `go test ./...` runs the correctness
// guards (every benchmarked verifier rejects tampered, expired and foreign
// tokens) and a small memory flood.
package bench

// Package heapfloor keeps Go's collector from running more often than a
// heap of a given size needs.
//
// The collector runs when the heap has grown by GOGC percent (100 unless
// set) of what the last collection found live, plus the goroutine stacks
// and globals. A gateway's live heap is small — a few MiB besides its
// caches — while every request allocates a few KiB, so at GOGC=100 it
// collects many times a second, and each collection scans every
// connection's goroutine stack and shrinks the stacks that then grow again
// on the next request: in a profile of cognito-gate under its proxy
// benchmark (bench/) the collector took 13–14% of the gate's CPU, and the
// floor cut the gate's CPU per request by 9–11%. A Tuner sets, after each
// collection, the GC percent that puts the next one at the floor when
// what is live is small, and leaves it at the base percent (100) once
// twice what is live exceeds the floor. The heap's peak is thus the
// larger of the floor and what GOGC=100 gives: with the caches full,
// nothing changes.
//
// GOMEMLIMIT still bounds the heap (the collector runs at the limit
// whatever the percent). A process with GOGC in its environment is the
// operator's choice: callers should not start a Tuner then (Wanted).
//
// A Tuner holds process-wide state (the collector's percent): one per
// process, started by the binary, never by a library.
package heapfloor

package main

import (
	"testing"

	"go.uber.org/zap"
)

// newTestGate builds, in this process, the gate that forward-auth would
// run for cfg — the first generation of its instance, built as the binary
// builds it — logging to logger. The instance is closed when the test
// ends.
func newTestGate(tb testing.TB, cfg *gateConfig, logger *zap.Logger) *gate {
	tb.Helper()
	in, err := newInstanceLogging(cfg, commandForwardAuth, "forward-auth", (*gate).forwardAuthHandler, false, logger, zap.NewAtomicLevelAt(zap.DebugLevel))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(in.close)
	return in.current().g
}

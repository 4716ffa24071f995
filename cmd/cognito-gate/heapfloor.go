package main

import (
	"os"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/internal/heapfloor"
)

// startHeapFloor starts the collector's heap floor of server.heap_floor
// (internal/heapfloor) for a serving process, or returns nil when GOGC is
// set: the operator's choice of percent stands.
func startHeapFloor(s serverConfig, logger *zap.Logger) *heapfloor.Tuner {
	if !heapfloor.Wanted() {
		logger.Info("server.heap_floor not applied: GOGC is set", zap.String("gogc", os.Getenv("GOGC")))
		return nil
	}
	return heapfloor.Start(uint64(*s.HeapFloor))
}

// setHeapFloor applies a reloaded server.heap_floor.
func (in *instance) setHeapFloor(s serverConfig) {
	if in.heap != nil {
		in.heap.SetFloor(uint64(*s.HeapFloor))
	}
}

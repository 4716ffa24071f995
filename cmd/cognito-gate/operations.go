package main

import "time"

// maxDrainDelay bounds server.drain_delay: a load balancer notices a
// failing readiness check within seconds, and a longer delay only keeps a
// stopping pod (and a rollout) waiting.
const maxDrainDelay = 5 * time.Minute

// operations checks the settings for running in production: the drain
// delay (see drain.go).
func (v *validator) operations() {
	if d := v.fc.Server.DrainDelay; d > maxDrainDelay {
		v.bad("server.drain_delay", "at most %s, got %s", maxDrainDelay, d)
	}
}

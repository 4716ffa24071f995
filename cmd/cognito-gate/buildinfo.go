package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// buildInfo says which build is running: the version (-ldflags "-X
// main.version=...", else the module version, else "devel"), the VCS
// revision and whether the tree had uncommitted changes, as the go command
// records them in the binary (go build in a git checkout; empty when built
// without VCS information, e.g. by go test or with -buildvcs=false), and
// the Go version.
type buildInfo struct {
	Version   string
	Revision  string // "" when the binary does not record it
	Modified  bool
	Time      string // the commit time (RFC 3339), "" when not recorded
	GoVersion string
}

// readBuildInfo returns the running binary's build information.
func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return buildInfo{Version: versionString(), GoVersion: runtime.Version()}
	}
	return buildInfoOf(bi)
}

// buildInfoOf reads bi, the go command's record of a build.
func buildInfoOf(bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Version: versionString(), GoVersion: bi.GoVersion}
	if b.GoVersion == "" {
		b.GoVersion = runtime.Version()
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "vcs.time":
			b.Time = s.Value
		}
	}
	return b
}

// String is what --version prints: "cognito-gate v1.2.0 (revision
// 0123abc…, modified, 2026-01-02T03:04:05Z, go1.26.0)".
func (b buildInfo) String() string {
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	s := fmt.Sprintf("cognito-gate %s (revision %s", b.Version, rev)
	if b.Modified {
		s += ", modified"
	}
	if b.Time != "" {
		s += ", " + b.Time
	}
	return s + ", " + b.GoVersion + ")"
}

// revisionLabel is the revision as the build_info metric labels it:
// "unknown" when not recorded, with "-modified" for a tree with changes.
func (b buildInfo) revisionLabel() string {
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	if b.Modified {
		rev += "-modified"
	}
	return rev
}

// newBuildInfoGauge returns cognito_gate_build_info, always 1, whose
// labels say which build serves: alerts and dashboards join on it to tell
// replicas of different builds apart.
func newBuildInfoGauge(b buildInfo) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: middleware.Namespace, Name: "build_info",
		Help: "Always 1; the labels name the running build: version, VCS revision (\"unknown\" when not recorded, \"-modified\" for a tree with uncommitted changes) and Go version.",
	}, []string{"version", "revision", "goversion"})
	g.WithLabelValues(b.Version, b.revisionLabel(), b.GoVersion).Set(1)
	return g
}

// limitGauges expose the configured key cache limits that alert rules
// compare with (examples/observability/alerts.yml), with the defaults
// applied, so that the rules need not assume the defaults. A reload sets
// them again.
type limitGauges struct {
	refreshInterval, maxStaleness, maxBackoff prometheus.Gauge
}

func newLimitGauges() *limitGauges {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: middleware.Namespace, Subsystem: "config", Name: name, Help: help})
	}
	return &limitGauges{
		refreshInterval: gauge("jwks_refresh_interval_seconds", "The configured jwks.refresh_interval: how often a key set is fetched again after a success."),
		maxStaleness:    gauge("jwks_max_staleness_seconds", "The configured jwks.max_staleness: how long after its last successful fetch a key set is still served while fetches fail."),
		maxBackoff:      gauge("jwks_max_backoff_seconds", "The configured jwks.max_backoff: the longest wait between key set fetch retries."),
	}
}

func (l *limitGauges) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.refreshInterval, l.maxStaleness, l.maxBackoff}
}

// set sets the gauges from the jwks section of fc.
func (l *limitGauges) set(fc *fileConfig) {
	j := fc.JWKS
	l.refreshInterval.Set(orDuration(j.RefreshInterval, jwks.DefaultRefreshInterval).Seconds())
	l.maxStaleness.Set(orDuration(j.MaxStaleness, jwks.DefaultMaxStaleness).Seconds())
	l.maxBackoff.Set(orDuration(j.MaxBackoff, jwks.DefaultMaxBackoff).Seconds())
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

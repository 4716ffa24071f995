package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// adminCounter is cognito_gate_revocation_admin_requests_total, by
// result: file and replica (added, and where), forbidden (not a loopback
// peer), unauthorized (no or a wrong secret), invalid (not an entry, or
// one the list refuses), conflict (the file does not load as it is),
// failed (it could not be written).
type adminCounter struct{ vec *prometheus.CounterVec }

func newAdminCounter() *adminCounter {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: middleware.Namespace, Subsystem: "revocation", Name: "admin_requests_total",
		Help: "Requests to POST /revocations on the admin listener, by result: file or replica (an entry added, to the deny list file or to this replica only), forbidden (not a loopback peer), unauthorized (no or a wrong secret), invalid (not an entry, or one the list refuses), conflict (the file does not load as it is), failed (not written).",
	}, []string{"result"})
	for _, r := range []string{adminFile, adminReplica, adminForbidden, adminUnauthorized, adminInvalid, adminConflict, adminFailed} {
		vec.WithLabelValues(r)
	}
	return &adminCounter{vec: vec}
}

func (c *adminCounter) inc(result string) { c.vec.WithLabelValues(result).Inc() }

// collectors returns the deny list's metrics, for the admin listener's
// registry: its state read from the lists at each scrape, and the admin
// endpoint's counter. None without a deny list.
func (d *denyList) collectors() []prometheus.Collector {
	if d == nil {
		return nil
	}
	return []prometheus.Collector{&revocationCollector{d: d}, d.admin.vec}
}

// The deny list's metrics, read from revocation.List.Status.
var (
	revEntriesDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "revocation", "entries"),
		"Deny list entries in force (not expired), by list: file (revocation.file) or replica (added on this replica alone, the file being read-only).",
		[]string{"list"}, nil)
	revStaleDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "revocation", "stale_entries"),
		"Lines of the deny list file that had expired when it was loaded: skipped, to be cleaned up.", nil, nil)
	revLoadsDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "revocation", "loads_total"),
		"Loads of the deny list file (start-up, SIGHUP, changes seen by the poll, admin additions), by result: loaded, or refused (the entries held stay).",
		[]string{"result"}, nil)
	revLastLoadDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "revocation", "last_load_timestamp_seconds"),
		"When the entries held were loaded from the deny list file (Unix time).", nil, nil)
	revLastOKDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "revocation", "last_load_success"),
		"1 when the last load of the deny list file succeeded, 0 when it was refused and an older list is in force.", nil, nil)
	revMaxEntriesDesc = prometheus.NewDesc(prometheus.BuildFQName(middleware.Namespace, "config", "revocation_max_entries"),
		"revocation.max_entries, the default applied: a deny list file with more entries in force is refused.", nil, nil)
)

// revocationCollector reports a deny list's state at each scrape.
type revocationCollector struct{ d *denyList }

func (c *revocationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{revEntriesDesc, revStaleDesc, revLoadsDesc, revLastLoadDesc, revLastOKDesc, revMaxEntriesDesc} {
		ch <- d
	}
}

func (c *revocationCollector) Collect(ch chan<- prometheus.Metric) {
	st, rst := c.d.file.Status(), c.d.replica.list.Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(revEntriesDesc, float64(st.Entries-st.Expired), "file")
	gauge(revEntriesDesc, float64(rst.Entries-rst.Expired), "replica")
	gauge(revStaleDesc, float64(st.Stale))
	ch <- prometheus.MustNewConstMetric(revLoadsDesc, prometheus.CounterValue, float64(st.Loads-st.Failures), "loaded")
	ch <- prometheus.MustNewConstMetric(revLoadsDesc, prometheus.CounterValue, float64(st.Failures), "refused")
	last := 0.0
	if !st.LoadedAt.IsZero() {
		last = float64(st.LoadedAt.UnixMilli()) / 1e3
	}
	gauge(revLastLoadDesc, last)
	ok := 1.0
	if st.LastError != nil {
		ok = 0
	}
	gauge(revLastOKDesc, ok)
	maxEntries := c.d.setup.opts.MaxEntries
	if maxEntries == 0 {
		maxEntries = revocation.DefaultMaxEntries
	}
	gauge(revMaxEntriesDesc, float64(maxEntries))
}

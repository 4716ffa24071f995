package middleware

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Namespace prefixes every metric name.
const Namespace = "cognito_gate"

// Results of a request, the "result" label of cognito_gate_requests_total.
const (
	ResultAllowed     = "allowed"     // passed (reason "ok")
	ResultDenied      = "denied"      // 400, 401 or 403
	ResultUnavailable = "unavailable" // 500 or 503: the token could not be checked
	ResultSkipped     = "skipped"     // the Skipper let it through unchecked
	ResultPreflight   = "preflight"   // a CORS preflight let through unchecked
	// ResultCanceled is a request whose client went away (its context
	// ended) before it was decided, reason "canceled": nothing is answered.
	// It is its own result, never "unavailable", so that clients that hang
	// up while keys are fetched do not look like a key endpoint outage.
	ResultCanceled = "canceled"
)

// Metrics holds the Prometheus metrics of one or more middlewares that share
// a verifier. Create it once with NewMetrics and pass it in every Config.
//
// Label values are bounded: results and reasons come from fixed lists,
// issuers from the verifier's configuration and rules from the policy.
// Nothing derived from a token (user, kid, client) or a path is a label.
type Metrics struct {
	requests  *prometheus.CounterVec
	verify    prometheus.Histogram
	decisions *prometheus.CounterVec
	// sampled counts the denial log lines LogSampling left out, by reason;
	// sampledBy holds its children by reasonIndex.
	sampled   *prometheus.CounterVec
	sampledBy []prometheus.Counter

	// outcomes caches the requests counter of each (result, reason) pair
	// once it has been used, so that recording an outcome does not hash
	// and look up its label values every time.
	outcomes [len(results)][]atomic.Pointer[counter]

	// ruleCounters holds the decisions counters (allow, deny) of every
	// rule initRules has seen, replaced whole under rulesMu when a policy
	// brings new rules, read without a lock.
	ruleCounters atomic.Pointer[map[string]*[2]prometheus.Counter]
	rulesMu      sync.Mutex

	// allowedOK is the requests counter of the usual outcome (allowed,
	// ok), found without a lookup.
	allowedOK prometheus.Counter
}

// counter holds a resolved child of a CounterVec.
type counter struct{ prometheus.Counter }

// results lists the Result constants, in the order of Metrics.outcomes.
var results = [...]string{ResultAllowed, ResultDenied, ResultUnavailable, ResultSkipped, ResultPreflight, ResultCanceled}

// reasonIndex numbers the reasons of claims.Reasons.
var reasonIndex = func() map[claims.Reason]int {
	m := make(map[claims.Reason]int)
	for i, r := range claims.Reasons() {
		m[r] = i
	}
	return m
}()

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered, e.g. in tests that only need the middleware). When v is not
// nil it also registers a collector that reports, at scrape time, v's key
// sets (fetches, keys, last success, usability) and its verified-token
// cache.
func NewMetrics(reg prometheus.Registerer, v *claims.Verifier) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "requests_total",
			Help: "Requests seen by the auth middleware, by result (allowed, denied, unavailable, skipped, preflight, canceled) and reason.",
		}, []string{"result", "reason"}),
		verify: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "verify_duration_seconds",
			Help: "Time to verify a presented token that the verified-token cache did not answer alone: signature checks, waits for key fetches, Check hooks (cache hits that needed none of these are not timed; see token_cache_requests_total).",
			// 10 µs .. 10.24 ms for verification itself, then a few coarse
			// buckets up to the key fetch timeout, so that requests that
			// waited for a fetch do not all land in the last bucket.
			Buckets: append(prometheus.ExponentialBuckets(10e-6, 2, 11), 0.05, 0.25, 1, 4),
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "policy_decisions_total",
			Help: "Policy decisions by rule and result (allow, deny).",
		}, []string{"rule", "result"}),
	}
	m.sampled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "log_denials_sampled_total",
		Help: "Denials whose log line was left out by the denial log sampling, by reason (each is still counted in requests_total).",
	}, []string{"reason"})
	m.sampledBy = make([]prometheus.Counter, len(reasonIndex))
	for r, i := range reasonIndex {
		m.sampledBy[i] = m.sampled.WithLabelValues(string(r))
	}
	for i := range m.outcomes {
		m.outcomes[i] = make([]atomic.Pointer[counter], len(reasonIndex))
	}
	m.allowedOK = m.requests.WithLabelValues(ResultAllowed, string(claims.ReasonOK))
	// Start every request series at zero so that rates and ratios exist
	// before the first failure of each kind.
	m.requests.WithLabelValues(ResultAllowed, string(claims.ReasonOK))
	for _, r := range claims.Reasons() {
		switch {
		case r == claims.ReasonOK:
		case r.Status() >= 500: // jwks_unavailable, live_check_unavailable, internal_error
			m.requests.WithLabelValues(ResultUnavailable, string(r))
		case r == claims.ReasonCanceled:
			m.requests.WithLabelValues(ResultCanceled, string(r))
		default: // the denials, bad_request among them
			m.requests.WithLabelValues(ResultDenied, string(r))
		}
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.requests, m.verify, m.decisions, m.sampled}
	if v != nil {
		cs = append(cs, &verifierCollector{v: v})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// initRules starts each rule's decision series at zero, the policy's
// reserved rules (default, non_canonical) included.
func (m *Metrics) initRules(rules []string) {
	if m == nil {
		return
	}
	m.rulesMu.Lock()
	defer m.rulesMu.Unlock()
	next := make(map[string]*[2]prometheus.Counter)
	if old := m.ruleCounters.Load(); old != nil {
		maps.Copy(next, *old)
	}
	for _, r := range append(rules, policy.RuleDefault, policy.RuleNonCanonical) {
		if next[r] == nil {
			next[r] = &[2]prometheus.Counter{m.decisions.WithLabelValues(r, "allow"), m.decisions.WithLabelValues(r, "deny")}
		}
	}
	m.ruleCounters.Store(&next)
}

// decisionCounter returns the decisions counter of rule and result
// (allow or deny), resolved by initRules when the rule was in a policy.
func (m *Metrics) decisionCounter(rule string, allow bool) prometheus.Counter {
	if rc := m.ruleCounters.Load(); rc != nil {
		if c := (*rc)[rule]; c != nil {
			if allow {
				return c[0]
			}
			return c[1]
		}
	}
	res := "deny"
	if allow {
		res = "allow"
	}
	return m.decisions.WithLabelValues(rule, res)
}

// record counts one outcome.
func (m *Metrics) record(o *outcome) {
	if m == nil {
		return
	}
	m.requestCounter(o.result, o.reason).Inc()
	if o.timed {
		m.verify.Observe(o.verifyTime.Seconds())
	}
	if o.rule != "" {
		m.decisionCounter(o.rule, o.result == ResultAllowed).Inc()
	}
}

// logSampled counts a denial of reason whose log line was left out.
func (m *Metrics) logSampled(reason claims.Reason) {
	if m == nil {
		return
	}
	if i, ok := reasonIndex[reason]; ok {
		m.sampledBy[i].Inc()
		return
	}
	m.sampled.WithLabelValues(string(reason)).Inc()
}

// requestCounter returns the requests counter for result and reason,
// resolving it once per pair.
func (m *Metrics) requestCounter(result string, reason claims.Reason) prometheus.Counter {
	if result == ResultAllowed && reason == claims.ReasonOK {
		return m.allowedOK
	}
	i := slices.Index(results[:], result)
	j, ok := reasonIndex[reason]
	if i < 0 || !ok || j >= len(m.outcomes[i]) {
		return m.requests.WithLabelValues(result, string(reason))
	}
	slot := &m.outcomes[i][j]
	if c := slot.Load(); c != nil {
		return c.Counter
	}
	c := m.requests.WithLabelValues(result, string(reason))
	slot.Store(&counter{c})
	return c
}

// verifierCollector reports a verifier's key sets and token cache.
type verifierCollector struct{ v *claims.Verifier }

var (
	descFetches = prometheus.NewDesc(Namespace+"_jwks_fetches_total",
		"Key set fetches by issuer and result (ok, network, timeout, status, too_large, malformed, no_usable_keys, error).",
		[]string{"issuer", "result"}, nil)
	descKeys = prometheus.NewDesc(Namespace+"_jwks_keys",
		"Usable keys held for the issuer.", []string{"issuer"}, nil)
	descLastSuccess = prometheus.NewDesc(Namespace+"_jwks_last_success_timestamp_seconds",
		"Unix time of the last successful key set fetch (0 if none yet).", []string{"issuer"}, nil)
	descUsable = prometheus.NewDesc(Namespace+"_jwks_usable",
		"1 when usable keys are held for the issuer (fetched and not older than the maximum staleness), else 0.", []string{"issuer"}, nil)
	descFailures = prometheus.NewDesc(Namespace+"_jwks_consecutive_failures",
		"Key set fetches that failed in a row for the issuer.", []string{"issuer"}, nil)
	descCache = prometheus.NewDesc(Namespace+"_token_cache_requests_total",
		"Verified-token cache lookups by result (hit, miss).", []string{"result"}, nil)
	descCacheEntries = prometheus.NewDesc(Namespace+"_token_cache_entries",
		"Tokens held in the verified-token cache.", nil, nil)
	descCacheDeferred = prometheus.NewDesc(Namespace+"_token_cache_deferred_total",
		"Verified tokens the full verified-token cache did not store at their first verification (it stores a token at its second).", nil, nil)
	descOnDemand = prometheus.NewDesc(Namespace+"_jwks_on_demand_state",
		"1 for the current state of an issuer whose key set is fetched on demand (idle: no token of it yet; live: fetched; absent: its key endpoint answered 403 or 404), 0 for the others.",
		[]string{"issuer", "state"}, nil)
)

// onDemandStates are the state label values of cognito_gate_jwks_on_demand_state.
var onDemandStates = []claims.OnDemandState{claims.OnDemandIdle, claims.OnDemandLive, claims.OnDemandAbsent}

// keySets returns the status of every key set the cognito_gate_jwks_*
// families report: the primary issuers' sets, and those of the issuers
// fetched on demand once they have served keys. Before that an on-demand
// set is left out, as it is left out of readiness: any client can send a
// token naming such an issuer (the updated issuer of a pool still on the
// original one, whose endpoint answers 403), and its set, never fetched
// or refused, would show as unusable and fire the key set alerts.
func keySets(primary []*jwks.Set, onDemand []claims.OnDemandStatus) []jwks.Status {
	out := make([]jwks.Status, 0, len(primary)+len(onDemand))
	for _, s := range primary {
		out = append(out, s.Status())
	}
	for _, od := range onDemand {
		if od.State == claims.OnDemandLive && !od.Keys.LastSuccess.IsZero() {
			st := od.Keys
			st.Issuer = od.Issuer
			out = append(out, st)
		}
	}
	return out
}

func (c *verifierCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFetches, descKeys, descLastSuccess, descUsable, descFailures, descCache, descCacheEntries, descCacheDeferred, descOnDemand} {
		ch <- d
	}
}

func (c *verifierCollector) Collect(ch chan<- prometheus.Metric) {
	onDemand := c.v.OnDemand()
	for _, st := range keySets(c.v.Keys().Sets(), onDemand) {
		iss := st.Issuer
		for _, res := range jwks.FetchResults {
			ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(st.Fetches[res]), iss, res)
		}
		ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(st.Keys), iss)
		last := 0.0
		if !st.LastSuccess.IsZero() {
			last = float64(st.LastSuccess.UnixNano()) / float64(time.Second)
		}
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last, iss)
		usable := 0.0
		if st.Usable {
			usable = 1
		}
		ch <- prometheus.MustNewConstMetric(descUsable, prometheus.GaugeValue, usable, iss)
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(st.Failures), iss)
	}
	for _, od := range onDemand {
		for _, state := range onDemandStates {
			v := 0.0
			if od.State == state {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descOnDemand, prometheus.GaugeValue, v, od.Issuer, string(state))
		}
	}
	cs := c.v.CacheStats()
	ch <- prometheus.MustNewConstMetric(descCache, prometheus.CounterValue, float64(cs.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(descCache, prometheus.CounterValue, float64(cs.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(descCacheEntries, prometheus.GaugeValue, float64(cs.Entries))
	ch <- prometheus.MustNewConstMetric(descCacheDeferred, prometheus.CounterValue, float64(cs.Deferred))
}

// Package observability holds cognito-gate's monitoring examples: a Grafana
// dashboard (grafana-dashboard.json), Prometheus alerting rules (alerts.yml,
// unit-tested by alerts_test.yml) and a scrape configuration
// (prometheus.yml). README.md describes each panel and alert.
//
// The package has no code of its own. Its tests check that every metric
// the dashboard and the alerts query is exported by the running binary, run
// promtool over the rules, and drive a known mix of requests through
// cognito-gate while a real Prometheus scrapes it, then compare what
// Prometheus recorded with what was sent.
package observability

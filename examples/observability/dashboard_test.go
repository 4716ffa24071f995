package observability_test

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// The parts of a Grafana dashboard the tests look at.
type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"` // a string, or {"query": "..."} in newer exports
	Definition string          `json:"definition"`
	Datasource *datasourceRef  `json:"datasource"`
	IncludeAll bool            `json:"includeAll"`
	Multi      bool            `json:"multi"`
}

// queryText returns the variable's query whichever form it has.
func (v variable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	json.Unmarshal(v.Query, &o)
	return o.Query
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	GridPos     struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets     []target `json:"targets"`
	Panels      []panel  `json:"panels"` // a collapsed row's panels
	FieldConfig struct {
		Defaults struct {
			Custom struct {
				Stacking struct {
					Mode string `json:"mode"`
				} `json:"stacking"`
			} `json:"custom"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

type target struct {
	Expr       string         `json:"expr"`
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
	Instant    bool           `json:"instant"`
}

// promDatasource is how every panel, target and query variable names its
// data source: the $datasource variable, chosen on import.
var promDatasource = datasourceRef{Type: "prometheus", UID: "${datasource}"}

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	data, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	return &d
}

// allPanels returns the dashboard's panels, those of collapsed rows
// included, rows themselves excluded.
func (d *dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// query is one PromQL expression of the dashboard or the alerts, with
// where it comes from for messages.
type query struct {
	where, expr string
	variable    bool // a label_values(...) variable query
}

func (d *dashboard) queries() []query {
	var out []query
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, query{where: "variable $" + v.Name, expr: v.queryText(), variable: true})
		}
	}
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, query{where: "panel " + p.Title + " " + tg.RefID, expr: tg.Expr})
		}
	}
	return out
}

// The parts of a Prometheus rule file the tests look at.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) *ruleFile {
	t.Helper()
	data, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	return &rf
}

// TestDashboard checks the dashboard's structure: the template variables,
// one data source variable used everywhere, the panels the issue asks for,
// and queries that filter on $job (and $issuer for key set metrics).
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: want both set", d.UID, d.Title)
	}

	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.queryText() != "prometheus" {
		t.Errorf("want a datasource variable named datasource for Prometheus, got %+v", v)
	}
	for _, name := range []string{"job", "issuer"} {
		v, ok := vars[name]
		if !ok {
			t.Errorf("no template variable %q", name)
			continue
		}
		if v.Type != "query" || v.Datasource == nil || *v.Datasource != promDatasource || !v.Multi || !v.IncludeAll {
			t.Errorf("variable %s: want a multi-value query variable with All on ${datasource}, got %+v", name, v)
		}
		if _, err := variableSelectors(v.queryText()); err != nil {
			t.Errorf("variable %s: %v", name, err)
		}
	}
	if q := vars["issuer"].queryText(); !strings.Contains(q, `job=~"$job"`) {
		t.Errorf("variable issuer: query %q does not follow $job", q)
	}

	ids := map[int]string{}
	type rect struct {
		title      string
		x, y, w, h int
	}
	var placed []rect
	for _, p := range d.Panels {
		g := p.GridPos
		if g.W < 1 || g.X < 0 || g.X+g.W > 24 || g.H < 1 || g.Y < 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, g)
		}
		for _, r := range placed {
			if g.X < r.x+r.w && r.x < g.X+g.W && g.Y < r.y+r.h && r.y < g.Y+g.H {
				t.Errorf("panels %q and %q overlap", p.Title, r.title)
			}
		}
		placed = append(placed, rect{p.Title, g.X, g.Y, g.W, g.H})
	}
	var every []panel // rows too
	for _, p := range d.Panels {
		every = append(append(every, p), p.Panels...)
	}
	for _, p := range every {
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or also that of %q", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
	}

	titles := map[string]panel{}
	for _, p := range d.allPanels() {
		titles[p.Title] = p
		if p.Title == "" || p.Description == "" {
			t.Errorf("panel %d (%s): want a title and a description", p.ID, p.Type)
		}
		if p.Datasource == nil || *p.Datasource != promDatasource {
			t.Errorf("panel %q: datasource %+v, want %+v", p.Title, p.Datasource, promDatasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: target %+v: want an expr and a unique refId", p.Title, tg)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || *tg.Datasource != promDatasource {
				t.Errorf("panel %q target %s: datasource %+v, want %+v", p.Title, tg.RefID, tg.Datasource, promDatasource)
			}
		}
	}

	// The panels of issue 7.
	for _, title := range []string{
		"Request outcomes", "Denials by reason", "Top rejection reasons", "401 vs 403 vs 400 vs 503",
		"Verify latency", "Verified-token cache hit ratio", "JWKS fetches by issuer and result",
		"JWKS age (time since last good fetch)", "JWKS keys held", "Policy denials by rule",
	} {
		if _, ok := titles[title]; !ok {
			t.Errorf("no panel %q", title)
		}
	}
	if p := titles["Denials by reason"]; p.FieldConfig.Defaults.Custom.Stacking.Mode != "normal" {
		t.Errorf("Denials by reason: stacking %q, want normal", p.FieldConfig.Defaults.Custom.Stacking.Mode)
	}
	var quantiles []string
	for _, tg := range titles["Verify latency"].Targets {
		for _, q := range []string{"0.50", "0.95", "0.99"} {
			if strings.HasPrefix(tg.Expr, "histogram_quantile("+q+",") && strings.Contains(tg.Expr, "cognito_gate_verify_duration_seconds_bucket") {
				quantiles = append(quantiles, q)
			}
		}
	}
	if !slices.Equal(quantiles, []string{"0.50", "0.95", "0.99"}) {
		t.Errorf("Verify latency: quantiles %v from the histogram, want p50, p95, p99", quantiles)
	}

	// Status is not a label: the 401/403/503/500 panel derives it from
	// reason sets, which must be those of claims.Reason.Status.
	byStatus := map[int][]string{}
	for _, r := range claims.Reasons() {
		byStatus[r.Status()] = append(byStatus[r.Status()], string(r))
	}
	forbidden := strings.Join(byStatus[http.StatusForbidden], "|")
	badRequest := strings.Join(byStatus[http.StatusBadRequest], "|")
	unavailable := strings.Join(byStatus[http.StatusServiceUnavailable], "|")
	for ref, want := range map[string]string{
		"A": `result="denied", reason!~"` + forbidden + "|" + badRequest + `"`,
		"B": `result="denied", reason=~"` + forbidden + `"`,
		"E": `result="denied", reason=~"` + badRequest + `"`,
		"C": `reason=~"` + unavailable + `"`,
		"D": `reason="` + strings.Join(byStatus[http.StatusInternalServerError], "|") + `"`,
	} {
		i := slices.IndexFunc(titles["401 vs 403 vs 400 vs 503"].Targets, func(tg target) bool { return tg.RefID == ref })
		if i < 0 || !strings.Contains(titles["401 vs 403 vs 400 vs 503"].Targets[i].Expr, want) {
			t.Errorf("401 vs 403 vs 400 vs 503: target %s does not select %s", ref, want)
		}
	}
	if tr := titles["Top rejection reasons"].Targets; len(tr) != 1 || !strings.Contains(tr[0].Expr, `"status", "403", "reason", "`+forbidden+`"`) ||
		!strings.Contains(tr[0].Expr, `"status", "400", "reason", "`+badRequest+`"`) ||
		!strings.Contains(tr[0].Expr, `"status", "503", "reason", "`+unavailable+`"`) {
		t.Errorf("Top rejection reasons: the 403 reasons are not %s, the 400 ones not %s or the 503 ones not %s", forbidden, badRequest, unavailable)
	}

	for _, q := range d.queries() {
		sels, err := selectors(q.expr)
		if q.variable {
			sels, err = variableSelectors(q.expr)
		}
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		if len(sels) == 0 {
			t.Errorf("%s: no metric in %q", q.where, q.expr)
		}
		for _, s := range sels {
			if !strings.HasPrefix(s.Metric, "cognito_gate_") {
				t.Errorf("%s: metric %s is not cognito-gate's", q.where, s.Metric)
			}
			if q.where != "variable $job" && !strings.Contains(s.Matchers, `job=~"$job"`) {
				t.Errorf("%s: %s{%s} does not filter on job=~\"$job\"", q.where, s.Metric, s.Matchers)
			}
			if strings.HasPrefix(s.Metric, "cognito_gate_jwks_") && !q.variable && !strings.Contains(s.Matchers, `issuer=~"$issuer"`) {
				t.Errorf("%s: %s{%s} does not filter on issuer=~\"$issuer\"", q.where, s.Metric, s.Matchers)
			}
		}
	}
}

// TestAlertsFile checks what promtool does not: the alerts the issue asks
// for exist, each with a severity, a summary and a description.
func TestAlertsFile(t *testing.T) {
	rf := loadRules(t)
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = true
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: want summary and description annotations", r.Alert)
			}
		}
	}
	for _, a := range []string{
		"CognitoGateJWKSStale",                  // JWKS stale beyond a threshold
		"CognitoGateJWKSUnusable",               // no usable keys at all
		"CognitoGateJWKSFetchFailing",           // JWKS fetch failing
		"CognitoGateSignatureFailureSpike",      // bad_signature / unknown_kid
		"CognitoGateJWKSUnavailableErrors",      // 5xx jwks_unavailable
		"CognitoGateLiveCheckUnavailableErrors", // 5xx live_check_unavailable
		"CognitoGateRejectionRatioAnomaly",      // denial ratio anomaly
		"CognitoGateRevocationFileRefused",      // a replica runs an older deny list
	} {
		if !alerts[a] {
			t.Errorf("alerts.yml has no alert %s", a)
		}
	}
}

// TestQueriedMetricsExist checks that every metric named by a dashboard
// query (panels and variables) or a rule of alerts.yml is exposed by a
// running cognito-gate's /metrics (or recorded by alerts.yml itself).
func TestQueriedMetricsExist(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	g := startGate(t, testPolicy, pool)
	exported := scrape(t, g.admin)

	qs := loadDashboard(t).queries()
	recorded := map[string]bool{}
	for _, grp := range loadRules(t).Groups {
		for _, r := range grp.Rules {
			name := r.Alert
			if r.Record != "" {
				name = r.Record
				recorded[r.Record] = true
			}
			qs = append(qs, query{where: "alerts.yml " + name, expr: r.Expr})
		}
	}
	used := 0
	for _, q := range qs {
		sels, err := selectors(q.expr)
		if q.variable {
			sels, err = variableSelectors(q.expr)
		}
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		for _, s := range sels {
			used++
			if !exported[s.Metric] && !recorded[s.Metric] {
				t.Errorf("%s: metric %s is not exported by cognito-gate (query %q)", q.where, s.Metric, q.expr)
			}
		}
	}
	if used == 0 {
		t.Fatal("found no metric in any query")
	}
	t.Logf("checked %d queries with %d metric references", len(qs), used)
}

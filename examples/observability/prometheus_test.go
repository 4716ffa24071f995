package observability_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// testPolicy is the gateway's policy in these tests.
const testPolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: me
    route: GET /me
  - name: admin
    route: /admin/
    groups_any: [admin]
  - name: orders-write
    route: POST /orders
    scopes_any: [orders/write]
  - name: own-data
    route: /users/{sub}/
    claims:
      - claim: sub
        equals: "{sub}"
`

// jobName is the job of the shipped prometheus.yml, which the test uses.
const jobName = "cognito-gate"

// TestRealPrometheus runs cognito-gate with a healthy and a broken user
// pool and a real Prometheus scraping it every second with the shipped
// prometheus.yml and alerts.yml, sends a known mix of requests, and checks
// what Prometheus recorded: requests by result and reason, policy
// decisions by rule, the key set metrics, every dashboard query (each must
// return data), the variables' values and the rules' health.
func TestRealPrometheus(t *testing.T) {
	promBin := proctest.Tool(t, "prometheus", "apt-get install prometheus", "/usr/bin")

	good := cognitotest.New(t, cognitotest.Config{})
	broken := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Broken1"})
	broken.SetFault(cognitotest.Fault{Status: http.StatusServiceUnavailable}) // its keys never load
	g := startGate(t, testPolicy, good, broken)
	prom := startPrometheus(t, promBin, g.admin)

	// Rates and increases need a sample from before the traffic.
	prom.poll(t, "the first scrape of cognito-gate", func() (bool, error) {
		s, err := prom.query(fmt.Sprintf(`cognito_gate_requests_total{job=%q}`, jobName))
		return len(s) > 0, err
	})

	reqs := trafficMix(good, broken)
	client := &http.Client{Timeout: 10 * time.Second}
	want := map[string]float64{}    // result/reason -> requests
	wantDec := map[string]float64{} // rule/result -> decisions
	sent := 0
	for _, r := range reqs {
		for range r.times {
			req, err := http.NewRequest(r.method, g.proxy+r.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range r.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != r.status {
				t.Errorf("%s: status %d, want %d", r.name, resp.StatusCode, r.status)
			}
			want[r.result+"/"+r.reason]++
			if r.rule != "" {
				res := "deny"
				if r.result == "allowed" {
					res = "allow"
				}
				wantDec[r.rule+"/"+res]++
			}
			sent++
		}
	}
	trafficDone := float64(time.Now().UnixNano())/1e9 + 0.1 // margin for scrape timestamp alignment

	// Wait for a scrape that started after the last response.
	prom.poll(t, "a scrape after the traffic", func() (bool, error) {
		s, err := prom.query(fmt.Sprintf(`max(timestamp(cognito_gate_requests_total{job=%q}))`, jobName))
		return len(s) == 1 && s[0].Value >= trafficDone, err
	})

	// Requests by result and reason: exactly what was sent, every other
	// series zero.
	got := map[string]float64{}
	for _, s := range prom.mustQuery(t, fmt.Sprintf(`cognito_gate_requests_total{job=%q}`, jobName)) {
		got[s.Metric["result"]+"/"+s.Metric["reason"]] = s.Value
	}
	compareCounts(t, "cognito_gate_requests_total by result/reason", got, want)
	if len(got) < 17 {
		t.Errorf("Prometheus has %d request series, want at least the 17 results/reasons the middleware starts at zero", len(got))
	}
	t.Logf("sent %d requests, by result/reason: %v", sent, want)

	// The reason sets the dashboard derives 403 and 503 from.
	for expr, w := range map[string]float64{
		fmt.Sprintf(`sum(cognito_gate_requests_total{job=%q, result="denied", reason=~"insufficient_scope|group_denied|claim_denied"})`, jobName): want["denied/insufficient_scope"] + want["denied/group_denied"] + want["denied/claim_denied"],
		fmt.Sprintf(`sum(cognito_gate_requests_total{job=%q, reason=~"jwks_unavailable|live_check_unavailable"})`, jobName):                       want["unavailable/jwks_unavailable"] + want["unavailable/live_check_unavailable"],
	} {
		if s := prom.mustQuery(t, expr); len(s) != 1 || s[0].Value != w {
			t.Errorf("%s = %v, want %v", expr, s, w)
		}
	}

	// Policy decisions by rule.
	gotDec := map[string]float64{}
	for _, s := range prom.mustQuery(t, fmt.Sprintf(`cognito_gate_policy_decisions_total{job=%q}`, jobName)) {
		gotDec[s.Metric["rule"]+"/"+s.Metric["result"]] = s.Value
	}
	compareCounts(t, "cognito_gate_policy_decisions_total by rule/result", gotDec, wantDec)

	// Key sets: the good pool fetched and usable, the broken one failing.
	checkValue := func(expr string, wantOK func(float64) bool, what string) {
		t.Helper()
		s := prom.mustQuery(t, expr)
		if len(s) != 1 || !wantOK(s[0].Value) {
			t.Errorf("%s = %v, want %s", expr, s, what)
		}
	}
	gi, bi := good.Issuer(), broken.Issuer()
	checkValue(fmt.Sprintf(`cognito_gate_jwks_usable{job=%q, issuer=%q}`, jobName, gi), func(v float64) bool { return v == 1 }, "1")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_usable{job=%q, issuer=%q}`, jobName, bi), func(v float64) bool { return v == 0 }, "0")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_keys{job=%q, issuer=%q}`, jobName, gi), func(v float64) bool { return v >= 1 }, "at least 1")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_fetches_total{job=%q, issuer=%q, result="ok"}`, jobName, gi), func(v float64) bool { return v >= 1 }, "at least 1")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_fetches_total{job=%q, issuer=%q, result="status"}`, jobName, bi), func(v float64) bool { return v >= 1 }, "at least 1")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_consecutive_failures{job=%q, issuer=%q}`, jobName, bi), func(v float64) bool { return v >= 1 }, "at least 1")
	checkValue(fmt.Sprintf(`cognito_gate_jwks_last_success_timestamp_seconds{job=%q, issuer=%q}`, jobName, bi), func(v float64) bool { return v == 0 }, "0 (never)")
	// The same token sent four times: three cache hits at least.
	checkValue(fmt.Sprintf(`cognito_gate_token_cache_requests_total{job=%q, result="hit"}`, jobName), func(v float64) bool { return v >= 3 }, "at least 3")

	// Every dashboard query runs and returns data, with the variables set
	// as Grafana would (All for issuer).
	vars := strings.NewReplacer(
		"${job}", jobName, "$job", jobName, "${issuer}", ".*", "$issuer", ".*",
		"$__rate_interval", "1m", "$__range", "5m", "$__interval", "15s")
	d := loadDashboard(t)
	for _, q := range d.queries() {
		if q.variable {
			continue
		}
		expr := vars.Replace(q.expr)
		s, err := prom.query(expr)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.where, err, expr)
			continue
		}
		if len(s) == 0 {
			t.Errorf("%s: no data\n%s", q.where, expr)
		}
	}
	// The top reasons table labels each reason with its status.
	for _, p := range d.allPanels() {
		if p.Title != "Top rejection reasons" {
			continue
		}
		rows := prom.mustQuery(t, vars.Replace(p.Targets[0].Expr))
		for _, r := range rows {
			reason := claims.Reason(r.Metric["reason"])
			if status := strconv.Itoa(reason.Status()); !strings.Contains(r.Metric["status"], status) {
				t.Errorf("Top rejection reasons: %s has status %q, want %s", reason, r.Metric["status"], status)
			}
		}
		if len(rows) != len(want)-1 { // every reason sent but ok
			t.Errorf("Top rejection reasons: %d rows, want %d", len(rows), len(want)-1)
		}
	}

	// The variables' label_values(...) list this job and both issuers.
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		sels, err := variableSelectors(v.queryText())
		if err != nil || len(sels) != 1 {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		m := labelValuesQuery.FindStringSubmatch(v.queryText())
		values := prom.labelValues(t, m[2], vars.Replace(m[1]))
		want := map[string][]string{"job": {jobName}, "issuer": {gi, bi}}[v.Name]
		for _, w := range want {
			if !slices.Contains(values, w) {
				t.Errorf("variable %s: values %q lack %q", v.Name, values, w)
			}
		}
	}

	// Prometheus loaded alerts.yml and evaluates every rule without error;
	// the broken pool's keys make CognitoGateJWKSUnusable pending.
	prom.poll(t, "every rule of alerts.yml evaluated", func() (bool, error) {
		rules, err := prom.rules()
		if err != nil || len(rules) == 0 {
			return false, err
		}
		for _, r := range rules {
			if r.Health == "unknown" {
				return false, nil
			}
		}
		return true, nil
	})
	rules := prom.mustRules(t)
	if n := countRules(loadRules(t)); len(rules) != n {
		t.Errorf("Prometheus loaded %d rules, alerts.yml has %d", len(rules), n)
	}
	for _, r := range rules {
		if r.Health != "ok" {
			t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
		}
	}
	prom.poll(t, "CognitoGateJWKSUnusable pending for the broken pool", func() (bool, error) {
		alerts, err := prom.alerts()
		for _, a := range alerts {
			if a.Labels["alertname"] == "CognitoGateJWKSUnusable" && a.Labels["issuer"] == bi && a.State == "pending" {
				return true, err
			}
		}
		return false, err
	})
}

func countRules(rf *ruleFile) int {
	n := 0
	for _, g := range rf.Groups {
		n += len(g.Rules)
	}
	return n
}

// request is one kind of request of the traffic mix, sent times times.
type request struct {
	name           string
	method, path   string
	auth           []string // Authorization header values
	times          int
	status         int
	result, reason string // the outcome the middleware counts
	rule           string // the policy rule that decided, "" if the policy was not asked
}

// trafficMix returns requests for every reason the test can provoke, each
// with its own count so that a reason counted under another shows.
func trafficMix(good, broken *cognitotest.Pool) []request {
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	now := time.Now()
	bob := good.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithSubject("b0b0b0b0-0000-4000-8000-000000000001"))
	admin := good.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	reader := good.AccessToken(cognitotest.WithUsername("carol"), cognitotest.WithGroups("readers"))
	other := good.AccessToken(cognitotest.WithUsername("mallory"))
	// bob's header and claims with mallory's signature.
	badSig := bob[:strings.LastIndexByte(bob, '.')] + other[strings.LastIndexByte(other, '.'):]
	return []request{
		{"anonymous public", "GET", "/public/hello", nil, 3, 200, "allowed", "ok", "public"},
		{"valid token", "GET", "/me", bearer(bob), 4, 200, "allowed", "ok", "me"},
		{"admin", "GET", "/admin/stats", bearer(admin), 1, 200, "allowed", "ok", "admin"},
		{"no token", "GET", "/me", nil, 2, 401, "denied", "missing_token", "me"},
		{"garbage token", "GET", "/me", bearer("garbage"), 1, 401, "denied", "malformed", ""},
		{"two Authorization headers", "GET", "/me", append(bearer(bob), "Bearer x"), 1, 400, "denied", "malformed", ""},
		{"alg HS256", "GET", "/me", bearer(good.AccessToken(cognitotest.WithHeader("alg", "HS256"))), 1, 401, "denied", "unsupported_alg", ""},
		{"unknown kid", "GET", "/me", bearer(good.AccessToken(cognitotest.WithUnpublishedKey())), 3, 401, "denied", "unknown_kid", ""},
		{"bad signature", "GET", "/me", bearer(badSig), 5, 401, "denied", "bad_signature", ""},
		{"expired", "GET", "/me", bearer(good.AccessToken(cognitotest.WithIssuedAt(now.Add(-2 * time.Hour)))), 4, 401, "denied", "expired", ""},
		{"nbf in the future", "GET", "/me", bearer(good.AccessToken(cognitotest.WithClaim("nbf", now.Add(time.Hour).Unix()))), 1, 401, "denied", "not_yet_valid", ""},
		{"iat in the future", "GET", "/me", bearer(good.AccessToken(cognitotest.WithIssuedAt(now.Add(time.Hour)))), 1, 401, "denied", "issued_in_future", ""},
		{"other issuer", "GET", "/me", bearer(good.AccessToken(cognitotest.WithIssuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Elsewhere"))), 2, 401, "denied", "wrong_issuer", ""},
		{"other client", "GET", "/me", bearer(good.AccessToken(cognitotest.WithClientID("someotherclient0id0000000"))), 1, 401, "denied", "wrong_client", ""},
		{"ID token", "GET", "/me", bearer(good.IDToken()), 3, 401, "denied", "wrong_token_use", ""},
		{"not an admin", "GET", "/admin/stats", bearer(reader), 3, 403, "denied", "group_denied", "admin"},
		{"no write scope", "POST", "/orders", bearer(reader), 2, 403, "denied", "insufficient_scope", "orders-write"},
		{"someone else's data", "GET", "/users/someone-else/profile", bearer(bob), 1, 403, "denied", "claim_denied", "own-data"},
		{"pool without keys", "GET", "/me", bearer(broken.AccessToken()), 2, 503, "unavailable", "jwks_unavailable", ""},
	}
}

// compareCounts reports every key whose count differs; keys missing from
// want must be zero.
func compareCounts(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		g, present := got[k]
		if w := want[k]; g != w || !present && w != 0 {
			t.Errorf("%s %s: Prometheus has %v (present %v), sent %v", what, k, g, present, w)
		}
	}
}

// prometheus is a running Prometheus server.
type prometheus struct {
	base   string // http://127.0.0.1:port
	client *http.Client
	stderr *proctest.Buffer
}

// startPrometheus writes the shipped prometheus.yml with a 1 s scrape and
// evaluation interval, the gateway's admin address as the target and an
// absolute path to alerts.yml, and runs Prometheus on 127.0.0.1 with its
// storage in a temporary directory until the test ends.
func startPrometheus(t *testing.T, bin, target string) *prometheus {
	t.Helper()
	data, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Global        map[string]any   `yaml:"global"`
		RuleFiles     []string         `yaml:"rule_files"`
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0]["job_name"] != jobName || !slices.Equal(cfg.RuleFiles, []string{"alerts.yml"}) {
		t.Fatalf("prometheus.yml: want one scrape config, job %q, and rule_files [alerts.yml]", jobName)
	}
	alerts, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Global["scrape_interval"], cfg.Global["evaluation_interval"] = "1s", "1s"
	cfg.RuleFiles = []string{alerts}
	cfg.ScrapeConfigs[0]["static_configs"] = []map[string]any{{"targets": []string{target}}}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, out, 0o600); err != nil {
		t.Fatal(err)
	}

	// The port is free when chosen but could be taken before Prometheus
	// binds it: try a few.
	for attempt := 1; ; attempt++ {
		p := &prometheus{
			base:   fmt.Sprintf("http://127.0.0.1:%d", proctest.FreePort(t)),
			client: &http.Client{Timeout: 5 * time.Second},
			stderr: &proctest.Buffer{},
		}
		cmd := exec.Command(bin,
			"--config.file="+cfgFile,
			"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address="+strings.TrimPrefix(p.base, "http://"),
			"--log.level=warn",
		)
		exited := proctest.Start(t, "prometheus", cmd, p.stderr)
		ready := false
		deadline := time.Now().Add(30 * time.Second)
		for !ready && time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			case <-time.After(100 * time.Millisecond):
			}
			if resp, err := p.client.Get(p.base + "/-/ready"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ready = resp.StatusCode == http.StatusOK
			}
		}
		if ready {
			return p
		}
		if attempt == 3 {
			t.Fatalf("prometheus did not become ready:\n%s", p.stderr.String())
		}
		t.Logf("prometheus on %s did not start (attempt %d); retrying on another port", p.base, attempt)
	}
}

// poll calls f every 100 ms until it reports true, for at most 20 s. The
// waiting is for another process (a scrape, a rule evaluation).
func (p *prometheus) poll(t *testing.T, what string, f func() (bool, error)) {
	t.Helper()
	var lastErr error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok, err := f()
		if ok {
			return
		}
		lastErr = err
	}
	t.Fatalf("waited 20s for %s (last error: %v)", what, lastErr)
}

// apiGet calls a Prometheus HTTP API endpoint and decodes its data.
func (p *prometheus) apiGet(path string, params url.Values, data any) error {
	resp, err := p.client.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %s: %w", path, resp.Status, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// sample is one element of an instant vector.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query runs an instant query at the current time; the result must be a
// vector.
func (p *prometheus) query(expr string) ([]sample, error) {
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := p.apiGet("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %q, want vector", data.ResultType)
	}
	out := make([]sample, 0, len(data.Result))
	for _, r := range data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("value %v: %w", r.Value, err)
		}
		out = append(out, sample{Metric: r.Metric, Value: v})
	}
	return out, nil
}

func (p *prometheus) mustQuery(t *testing.T, expr string) []sample {
	t.Helper()
	s, err := p.query(expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return s
}

// labelValues returns the values of label on the series matching match.
func (p *prometheus) labelValues(t *testing.T, label, match string) []string {
	t.Helper()
	var values []string
	if err := p.apiGet("/api/v1/label/"+label+"/values", url.Values{"match[]": {match}}, &values); err != nil {
		t.Fatalf("label values of %s for %s: %v", label, match, err)
	}
	return values
}

// rule is a rule as /api/v1/rules reports it.
type rule struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

func (p *prometheus) rules() ([]rule, error) {
	var data struct {
		Groups []struct {
			Rules []rule `json:"rules"`
		} `json:"groups"`
	}
	if err := p.apiGet("/api/v1/rules", nil, &data); err != nil {
		return nil, err
	}
	var out []rule
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out, nil
}

func (p *prometheus) mustRules(t *testing.T) []rule {
	t.Helper()
	r, err := p.rules()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// alert is an alert as /api/v1/alerts reports it.
type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (p *prometheus) alerts() ([]alert, error) {
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	err := p.apiGet("/api/v1/alerts", nil, &data)
	return data.Alerts, err
}

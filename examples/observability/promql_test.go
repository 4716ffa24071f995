package observability_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// selector is one vector selector of a PromQL expression: a metric name
// and the text of its label matchers ("" when it has none).
type selector struct {
	Metric   string
	Matchers string
}

// promqlKeywords are the words of PromQL that look like metric names but
// are not: binary and set operators, modifiers, and number literals.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "offset": true,
	"inf": true, "nan": true,
}

// aggregations are PromQL's aggregation operators, which may be followed
// by a by or without clause before their "(".
var aggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// labelLists are the keywords followed by a parenthesised list of label
// names (not an expression).
var labelLists = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// selectors returns the vector selectors of a PromQL expression, in order.
// It is a scanner, not a parser: it skips string literals, the label lists
// of by/without/on/ignoring/group_left/group_right, range and subquery
// brackets, numbers and durations, and function and aggregation names (an
// identifier followed by "(", or an aggregation followed by by or
// without); every other identifier that is not a keyword
// is a metric name, with the {...} that follows it, if any. Grafana
// variables ($job, $__rate_interval) may appear inside strings and
// brackets. A selector without a metric name ({__name__=...}) is an error:
// it would hide the metric from this check.
func selectors(expr string) ([]selector, error) {
	var out []selector
	i := 0
	n := len(expr)
	skipString := func(i int) (int, error) {
		q := expr[i]
		for j := i + 1; j < n; j++ {
			switch {
			case expr[j] == '\\' && q != '`':
				j++
			case expr[j] == q:
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("unterminated string at %d in %q", i, expr)
	}
	// closing returns the index after the bracket that closes the one at
	// i, skipping strings.
	closing := func(i int, open, close byte) (int, error) {
		depth := 0
		for j := i; j < n; {
			switch c := expr[j]; {
			case c == '"' || c == '\'' || c == '`':
				k, err := skipString(j)
				if err != nil {
					return 0, err
				}
				j = k
				continue
			case c == open:
				depth++
			case c == close:
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, fmt.Errorf("unbalanced %c at %d in %q", open, i, expr)
	}
	nextNonSpace := func(i int) int {
		for i < n && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r') {
			i++
		}
		return i
	}
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
	isIdent := func(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

	for i < n {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j, err := skipString(i)
			if err != nil {
				return nil, err
			}
			i = j
		case c == '[':
			j, err := closing(i, '[', ']')
			if err != nil {
				return nil, err
			}
			i = j
		case c == '{':
			return nil, fmt.Errorf("selector without a metric name at %d in %q", i, expr)
		case '0' <= c && c <= '9' || c == '.' && i+1 < n && '0' <= expr[i+1] && expr[i+1] <= '9':
			// A number or a duration (1e3, 0x1f, 5m, 1h30m).
			for i < n && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < n && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := nextNonSpace(j)
			switch {
			case labelLists[word] && k < n && expr[k] == '(':
				end, err := closing(k, '(', ')')
				if err != nil {
					return nil, err
				}
				i = end
			case promqlKeywords[strings.ToLower(word)]:
				i = j
			case k < n && expr[k] == '(':
				i = j // a function or an aggregation
			case aggregations[word] && (strings.HasPrefix(expr[k:], "by") || strings.HasPrefix(expr[k:], "without")):
				i = j // sum by (le) (...)
			case k < n && expr[k] == '{':
				end, err := closing(k, '{', '}')
				if err != nil {
					return nil, err
				}
				out = append(out, selector{Metric: word, Matchers: strings.TrimSpace(expr[k+1 : end-1])})
				i = end
			default:
				out = append(out, selector{Metric: word})
				i = j
			}
		default:
			i++
		}
	}
	return out, nil
}

// labelValuesQuery matches a Grafana Prometheus variable query
// label_values(selector, label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// variableSelectors returns the selectors of a Grafana query variable.
func variableSelectors(q string) ([]selector, error) {
	m := labelValuesQuery.FindStringSubmatch(q)
	if m == nil {
		return nil, fmt.Errorf("variable query %q: want label_values(metric{...}, label)", q)
	}
	return selectors(m[1])
}

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []selector
	}{
		{"plain", "up", []selector{{"up", ""}}},
		{"matchers", `cognito_gate_jwks_keys{job=~"$job", issuer=~"$issuer"}`,
			[]selector{{"cognito_gate_jwks_keys", `job=~"$job", issuer=~"$issuer"`}}},
		{"aggregation and range", `sum by (reason) (rate(cognito_gate_requests_total{result="denied"}[$__rate_interval])) > 0`,
			[]selector{{"cognito_gate_requests_total", `result="denied"`}}},
		{"aggregation clause after", `sum(rate(a_total[5m])) without (instance, job)`, []selector{{"a_total", ""}}},
		{"brace in a string", `rate(x_bucket{a="}{",b='"'}[5m])`, []selector{{"x_bucket", `a="}{",b='"'`}}},
		{"vector matching", `a / on (job) group_left (rule) b * ignoring(x) c`,
			[]selector{{"a", ""}, {"b", ""}, {"c", ""}}},
		{"group_left without labels", `a * on (job) group_left b`, []selector{{"a", ""}, {"b", ""}}},
		{"numbers and durations", `time() - (m > 0) > 2 * 3600 and n offset 1h > 1e3 and o[5m:30s] > 0x1f`,
			[]selector{{"m", ""}, {"n", ""}, {"o", ""}}},
		{"recording rule names", `job:cognito_gate_requests:rate5m > 1`, []selector{{"job:cognito_gate_requests:rate5m", ""}}},
		{"label_replace strings", `label_replace(m, "status", "$1", "reason", "(.*)")`, []selector{{"m", ""}}},
		{"vector()", `count(m == 0) or vector(0)`, []selector{{"m", ""}}},
		{"set operators", `a unless b and c or d`, []selector{{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}}},
		{"function names are not metrics", `histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))`, []selector{{"h_bucket", ""}}},
		{"no metric", `vector(1)`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectors(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("selectors(%q)\n got %q\nwant %q", tc.expr, got, tc.want)
			}
		})
	}
	for _, bad := range []string{`{__name__="m"}`, `rate(m[5m)`, `m{a="b}`, `label_replace(m, "a`} {
		if got, err := selectors(bad); err == nil {
			t.Errorf("selectors(%q) = %q, want an error", bad, got)
		}
	}
	got, err := variableSelectors(`label_values(cognito_gate_jwks_keys{job=~"$job"}, issuer)`)
	if err != nil || !slices.Equal(got, []selector{{"cognito_gate_jwks_keys", `job=~"$job"`}}) {
		t.Errorf("variableSelectors = %q, %v", got, err)
	}
	if _, err := variableSelectors(`query_result(up)`); err == nil {
		t.Error("variableSelectors(query_result(up)): want an error")
	}
}

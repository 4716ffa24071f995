package gateproc

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p100", ms(1, 2, 3), 100, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
	if l := Summarise(ms(5, 1, 3)); l.N != 3 || l.P50 != 3*time.Millisecond || l.Max != 5*time.Millisecond {
		t.Errorf("Summarise = %+v", l)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 13
go_memstats_heap_inuse_bytes 2.121728e+06
cognito_gate_jwks_fetches_total{issuer="https://cognito-idp.us-east-1.amazonaws.com/x",result="ok"} 4
cognito_gate_jwks_fetches_total{issuer="https://cognito-idp.us-east-1.amazonaws.com/x",result="status"} 7
cognito_gate_requests_total{reason="missing_token",result="denied"} 360
odd{label="a \"quoted\", comma"} 1
broken{label="x} 1
`
	s := ParseMetrics(text)
	if v, ok := Value(s, "go_goroutines", nil); !ok || v != 13 {
		t.Errorf("go_goroutines = %v, %v", v, ok)
	}
	if v, _ := Value(s, "go_memstats_heap_inuse_bytes", nil); v != 2121728 {
		t.Errorf("heap = %v", v)
	}
	if v, _ := Value(s, "cognito_gate_jwks_fetches_total", nil); v != 11 {
		t.Errorf("fetches = %v, want the sum 11", v)
	}
	if v, _ := Value(s, "cognito_gate_jwks_fetches_total", map[string]string{"result": "status"}); v != 7 {
		t.Errorf("failed fetches = %v", v)
	}
	if _, ok := Value(s, "missing", nil); ok {
		t.Error("a missing metric was found")
	}
	if got := ByLabel(s, "cognito_gate_jwks_fetches_total", "result"); got["ok"] != 4 || got["status"] != 7 || len(got) != 2 {
		t.Errorf("ByLabel = %v", got)
	}
	if v, ok := Value(s, "odd", map[string]string{"label": `a "quoted", comma`}); !ok || v != 1 {
		t.Errorf("escaped label: %v %v", v, ok)
	}
	if _, ok := Value(s, "broken", nil); ok {
		t.Error("an unterminated label value was read")
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := slices.Clone(tt.xs)
		if got := Median(tt.xs); got != tt.want || !slices.Equal(tt.xs, in) {
			t.Errorf("Median(%v) = %v (input now %v), want %v, input unchanged", in, got, tt.xs, tt.want)
		}
	}
}

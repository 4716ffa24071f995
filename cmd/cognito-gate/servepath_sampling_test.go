package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestDenialSamplingConfig: log.denial_sampling's defaults, each key, and
// each problem at its file:line:key.
func TestDenialSamplingConfig(t *testing.T) {
	def := &middleware.LogSampling{First: 100, Thereafter: 100, Tick: time.Second}
	tests := []struct {
		name, yaml string
		want       *middleware.LogSampling
		err        string
	}{
		{"absent: on, the defaults", "", def, ""},
		{"disabled", "log:\n  denial_sampling: {disabled: true}\n", nil, ""},
		{"every key", "log:\n  denial_sampling: {first: 5, thereafter: 0, tick: 10s}\n", &middleware.LogSampling{First: 5, Tick: 10 * time.Second}, ""},
		{"first only", "log:\n  denial_sampling:\n    first: 7\n", &middleware.LogSampling{First: 7, Thereafter: 100, Tick: time.Second}, ""},
		{"first 0", "log:\n  denial_sampling:\n    first: 0\n", nil, "gate.yaml:13: log.denial_sampling.first: 0: want 1 or more"},
		{"negative thereafter", "log:\n  denial_sampling:\n    thereafter: -1\n", nil, "gate.yaml:13: log.denial_sampling.thereafter: want a non-negative whole number"},
		{"tiny tick", "log:\n  denial_sampling:\n    tick: 1us\n", nil, "gate.yaml:13: log.denial_sampling.tick: 1µs: want from 1ms to 1h"},
		{"disabled with settings", "log:\n  denial_sampling:\n    disabled: true\n    first: 3\n", nil, "gate.yaml:13: log.denial_sampling.disabled: sampling is disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gc, err := parseConfig([]byte(validConfig+tt.yaml), filepath.Join("dir", "gate.yaml"), nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gc.denialSampling, tt.want) {
				t.Errorf("denialSampling = %+v, want %+v", gc.denialSampling, tt.want)
			}
		})
	}
}

// TestDenialSamplingBinary: the binary samples denial log lines as
// log.denial_sampling says, and counts every line it leaves out, by
// reason: lines logged plus lines sampled equal the denials counted.
func TestDenialSamplingBinary(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "  denial_sampling: {first: 3, thereafter: 0, tick: 1h}\n") // in writeConfig's log section
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	const n = 20
	for range n {
		if resp := get(t, "GET", p.addr["proxy"]+"/me", "not.a.token", nil); resp.StatusCode != 401 {
			t.Fatalf("a bad token: %d", resp.StatusCode)
		}
	}
	sampled := metric(t, p, `cognito_gate_log_denials_sampled_total{reason="malformed"}`)
	denied := metric(t, p, `cognito_gate_requests_total{reason="malformed",result="denied"}`)
	logged := strings.Count(p.stderr.String(), `"reason":"malformed"`)
	if denied != n || sampled != n-3 || logged != 3 {
		t.Errorf("%v denials counted, %v left out of the log, %d logged; want %d, %d, 3", denied, sampled, logged, n, n-3)
	}
}

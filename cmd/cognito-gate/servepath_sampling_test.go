package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

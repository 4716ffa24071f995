package main

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// TestFileStates guards review finding R8: a watched file is loaded only
// once it has stayed the same for a poll, so a policy file written in
// place is never loaded half written, however the polls fall.
func TestFileStates(t *testing.T) {
	sum := func(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }
	for _, tc := range []struct {
		name  string
		polls []string // per poll, "policy,config" contents
		want  string   // per poll after the baseline, 'r' for a reload, '.' for none
	}{
		{"no change", []string{"a,c", "a,c", "a,c"}, ".."},
		{"a swap: whole at once", []string{"a,c", "b,c", "b,c", "b,c"}, ".r."},
		{"written in place, seen half written", []string{"a,c", "half,c", "full,c", "full,c"}, "..r"},
		{"half written at two polls: still being written", []string{"a,c", "h1,c", "h2,c", "h3,c", "h3,c"}, "...r"},
		{"back to what is loaded", []string{"a,c", "b,c", "a,c", "a,c"}, "..."},
		{"one file settles, the other is being written", []string{"a,c", "b,d1", "b,d2", "b,d2"}, "..r"},
		{"a second change after a reload", []string{"a,c", "b,c", "b,c", "e,c", "e,c"}, ".r.r"},
		{"a file goes away and comes back", []string{"a,c", "a,", "a,c", "a,c"}, "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s fileStates
			got := ""
			for i, p := range tc.polls {
				policy, config, _ := strings.Cut(p, ",")
				r := s.poll(map[string][sha256.Size]byte{"policy.yaml": sum(policy), "gate.yaml": sum(config)})
				switch {
				case i == 0 && r:
					t.Fatal("the baseline asked for a reload")
				case i == 0:
				case r:
					got += "r"
				default:
					got += "."
				}
			}
			if got != tc.want {
				t.Errorf("reloads %q, want %q", got, tc.want)
			}
		})
	}
}

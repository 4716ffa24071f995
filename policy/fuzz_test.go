package policy_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cognito-gate/cognito-gate/policy"
)

// FuzzParse checks that the YAML loader never panics, that it returns
// either a policy or *LoadErrors matching ErrSyntax or ErrConfig with
// lines inside the file, and that a policy it returns decides requests
// consistently. Seeds: testdata/fuzz/FuzzParse, the example policy and
// every load-error case.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(examplePolicy)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("rules:\n  - name: t\n    route: /t/{a}\n    clients: [c1]\n    claims:\n      - {claim: 'x[\"a.b\"][0]', in: [1, '1', true, \"{a}\"]}\n      - {claim: y.z, gte: -1.5e3}\n      - {claim: w, exists: false}\n    any_of:\n      - claims: [{claim: v, contains_all: [a, 2]}]\n"))
	for _, tc := range loadErrorCases {
		f.Add([]byte(tc.yaml))
	}
	requests := []*http.Request{
		request(f, "GET", "/"),
		request(f, "GET", "/admin/x"),
		request(f, "POST", "/users/u1/files/a"),
		request(f, "GET", "http://internal.example.com/x"),
		request(f, "GET", "/docs/../admin"),
		request(f, "GET", "/a/"),
		request(f, "GET", "/x"),
	}
	requests[len(requests)-1].Host = "www.example.com,internal.example.com"
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data, "fuzz.yaml")
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a policy and %v", err)
			}
			if !errors.Is(err, policy.ErrSyntax) && !errors.Is(err, policy.ErrConfig) {
				t.Fatalf("error %v matches neither ErrSyntax nor ErrConfig", err)
			}
			var le *policy.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LoadError", err)
			}
			if lines := lineCount(data); le.File != "fuzz.yaml" || le.Line < 0 || le.Line > lines {
				t.Fatalf("error %v: file %q line %d of %d", err, le.File, le.Line, lines)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, r := range requests {
			d := p.Decide(r, nil)
			if d.Status != d.Reason.Status() || d.Allow != (d.Status == http.StatusOK) || d.Rule == "" {
				t.Fatalf("inconsistent decision %v", d)
			}
			if ex := p.Explain(r, nil); !equalDecision(ex.Decision, d) {
				t.Fatalf("Explain decided %v, Decide %v", ex.Decision, d)
			}
		}
	})
}

// lineCount bounds the number of lines of data as YAML counts them: line
// breaks are LF, CR, NEL, LS and PS, in UTF-8 or, after a byte order mark,
// UTF-16.
func lineCount(data []byte) int {
	text := string(data)
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		u := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xff {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		text = string(utf16.Decode(u))
	}
	n := 1
	for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(text, sep)
	}
	return n
}

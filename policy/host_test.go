package policy_test

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// hostCases are Host values and whether CheckHost accepts them.
var hostCases = []struct {
	name string
	host string
	ok   bool
}{
	{"name", "internal.example.com", true},
	{"name with a port", "internal.example.com:8443", true},
	{"single label", "localhost", true},
	{"single label with a port", "localhost:8080", true},
	{"largest port", "example.com:65535", true},
	{"smallest port", "example.com:1", true},
	{"underscore", "my_service.internal", true},
	{"underscore label", "_acme-challenge.example.com", true},
	{"digits in labels", "1password.com", true},
	{"hyphen inside a label", "a-b.example.com", true},
	{"punycode", "xn--caf-dma.example", true},
	{"63-byte label", strings.Repeat("a", 63) + ".example.com", true},
	{"253-byte name", strings.Repeat("a.", 126) + "a", true},
	{"upper case is a host name", "API.Example.COM", true},
	{"trailing dot is a host name", "example.com.", true},
	{"trailing dot with a port", "example.com.:443", true},
	{"IPv4", "10.0.0.1", true},
	{"IPv4 with a port", "192.168.1.255:8080", true},
	{"IPv4 zeros", "0.0.0.0", true},
	{"IPv6", "[::1]", true},
	{"IPv6 with a port", "[2001:db8::1]:443", true},
	{"IPv4-mapped IPv6", "[::ffff:10.0.0.1]", true},
	{"IPv6 upper-case hex", "[2001:DB8::1]", true},

	{"empty", "", false},
	{"list", "www.example.com,internal.example.com", false},
	{"list with a space", "www.example.com, internal.example.com", false},
	{"trailing comma", "internal.example.com,", false},
	{"two ports", "internal.example.com:1:2", false},
	{"empty port", "internal.example.com:", false},
	{"port zero", "example.com:0", false},
	{"port too large", "example.com:65536", false},
	{"port far too large", "example.com:99999999999999999999", false},
	{"port with leading zero", "example.com:0443", false},
	{"port with a sign", "example.com:+443", false},
	{"port with letters", "example.com:http", false},
	{"port only", ":443", false},
	{"userinfo", "user@internal.example.com", false},
	{"userinfo and password", "user:pw@internal.example.com", false},
	{"percent-escape", "internal%2Eexample.com", false},
	{"space", "internal.example.com x", false},
	{"tab", "internal.example.com\t", false},
	{"newline", "internal.example.com\n", false},
	{"NUL", "internal.example.com\x00", false},
	{"DEL", "internal.example.com\x7f", false},
	{"non-ASCII", "intérnal.example.com", false},
	{"fullwidth dot", "internal\uff0eexample.com", false},
	{"slash", "internal.example.com/x", false},
	{"backslash", `internal.example.com\x`, false},
	{"question mark", "internal.example.com?x", false},
	{"hash", "internal.example.com#x", false},
	{"semicolon", "internal.example.com;x", false},
	{"asterisk", "*.example.com", false},
	{"only a dot", ".", false},
	{"empty label", "a..example.com", false},
	{"leading dot", ".example.com", false},
	{"two trailing dots", "example.com..", false},
	{"label starts with a hyphen", "-a.example.com", false},
	{"label ends with a hyphen", "a-.example.com", false},
	{"64-byte label", strings.Repeat("a", 64) + ".example.com", false},
	{"253-byte name and a trailing dot", strings.Repeat("a.", 127), true},
	{"255-byte name", strings.Repeat("a.", 127) + "a", false},
	{"numeric last label", "example.123", false},
	{"hex last label", "example.0x1f", false},
	{"bare hex", "0x7f000001", false},
	{"bare number", "2130706433", false},
	{"short IPv4", "127.1", false},
	{"five-part IPv4", "1.2.3.4.5", false},
	{"IPv4 octet too large", "10.0.0.256", false},
	{"IPv4 leading zero", "010.0.0.1", false},
	{"hex IPv4 part", "0x7f.0.0.1", false},
	{"unbracketed IPv6", "::1", false},
	{"unbracketed IPv6 with a port", "2001:db8::1:443", false},
	{"IPv6 zone", "[fe80::1%25eth0]", false},
	{"IPv6 raw zone", "[fe80::1%eth0]", false},
	{"IPv4 in brackets", "[10.0.0.1]", false},
	{"name in brackets", "[example.com]", false},
	{"IPvFuture", "[v1.fe]", false},
	{"empty brackets", "[]", false},
	{"unclosed bracket", "[::1", false},
	{"text after the bracket", "[::1]x", false},
	{"empty port after the bracket", "[::1]:", false},
	{"port over 65535 after the bracket", "[::]:70000", false}, // FuzzDecide found the reference accepting it
	{"port 65535 after the bracket", "[::1]:65535", true},
	{"two bracketed addresses", "[::1][::2]", false},
	{"bracket in a name", "a[b].example.com", false},
	{"invalid IPv6", "[1:2:3:4:5:6:7:8:9]", false},
}

func TestCheckHost(t *testing.T) {
	for _, tc := range hostCases {
		t.Run(tc.name, func(t *testing.T) {
			err := policy.CheckHost(tc.host)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckHost(%q) = %v; want ok=%v", tc.host, err, tc.ok)
			}
			if err == nil {
				checkAcceptedHost(t, tc.host)
				return
			}
			if !errors.Is(err, policy.ErrBadHost) {
				t.Errorf("error %v does not match ErrBadHost", err)
			}
			var he *policy.HostError
			if !errors.As(err, &he) || he.Host != tc.host || he.Reason == "" {
				t.Errorf("error %#v: want a *HostError for %q with a reason", err, tc.host)
			}
			if !strings.HasPrefix(err.Error(), "policy: bad host ") || strings.ContainsAny(err.Error(), "\n\t\x00") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

// TestCheckHostReasons checks that the error names what is wrong.
func TestCheckHostReasons(t *testing.T) {
	for _, tc := range []struct{ host, reason string }{
		{"www.example.com,internal.example.com", "comma"},
		{"internal.example.com:1:2", "more than one ':'"},
		{"internal.example.com:", "port"},
		{"a@b", "userinfo"},
		{"a%2eb", "%-escape"},
		{"é.example", "non-ASCII"},
		{"a b", "whitespace"},
		{"127.1", "numeric"},
		{"[fe80::1%25eth0]", "%-escape"},
		{"[10.0.0.1]", "IPv6"},
		{"", "empty"},
	} {
		var he *policy.HostError
		if err := policy.CheckHost(tc.host); !errors.As(err, &he) || !strings.Contains(he.Reason, tc.reason) {
			t.Errorf("CheckHost(%q) = %v; want a reason with %q", tc.host, err, tc.reason)
		}
	}
	long := strings.Repeat("x,", 1000)
	if err := policy.CheckHost(long); err == nil || len(err.Error()) > 200 {
		t.Errorf("CheckHost(long) = %q; want a short message", err)
	}
}

// TestDecideHostInvariant checks, for every host of the table, that a
// policy with a host rule answers 400 bad_request exactly when CheckHost
// refuses the host, and that a policy without host rules never looks at it.
func TestDecideHostInvariant(t *testing.T) {
	withHosts := loadExample(t)
	without, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "site", Route: "/", Anonymous: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range hostCases {
		r := request(t, "GET", "/healthz")
		r.Host = tc.host
		d := withHosts.Decide(r, nil)
		if bad := d.Reason == claims.ReasonBadRequest; bad != (policy.CheckHost(tc.host) != nil) {
			t.Errorf("%s: Host %q decided %v; CheckHost %v", tc.name, tc.host, d, policy.CheckHost(tc.host))
		}
		if d.Status == 400 && (d.Reason != claims.ReasonBadRequest && d.Reason != claims.ReasonNonCanonicalPath || d.Rule != policy.RuleNonCanonical) {
			t.Errorf("%s: Host %q decided %v; want bad_request or non_canonical_path by non_canonical", tc.name, tc.host, d)
		}
		if d := without.Decide(r, nil); !d.Allow {
			t.Errorf("%s: Host %q decided %v by a policy without host rules", tc.name, tc.host, d)
		}
	}
}

func TestCheckHostDoesNotAllocate(t *testing.T) {
	for _, h := range []string{"internal.example.com:8443", "10.0.0.1:80", "[2001:db8::1]:443", "a_b.internal"} {
		if n := testing.AllocsPerRun(100, func() { _ = policy.CheckHost(h) }); n != 0 {
			t.Errorf("CheckHost(%q) allocates %v times", h, n)
		}
	}
}

func TestExplainBadHost(t *testing.T) {
	p := loadExample(t)
	r := request(t, "GET", "/healthz")
	r.Host = "www.example.com,internal.example.com"
	ex := p.Explain(r, nil)
	if ex.Host != r.Host || !strings.Contains(ex.Refused, "comma") || len(ex.Matches) != 0 {
		t.Errorf("explanation %+v", ex)
	}
	s := ex.String()
	for _, want := range []string{
		`request  GET www.example.com,internal.example.com /healthz`,
		`refused  host has a comma (a list of hosts) (Host "www.example.com,internal.example.com")`,
		"decision deny 400 bad_request rule=non_canonical path=/healthz",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	r.Host = "internal.example.com /x"
	if s := p.Explain(r, nil).String(); !strings.Contains(s, `request  GET "internal.example.com /x" /healthz`) {
		t.Errorf("a host with a space is not quoted:\n%s", s)
	}
}

// Reference grammar for checkHostReference, written independently of the
// policy's byte-by-byte validator.
var (
	refLabel = `[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?`
	refName  = regexp.MustCompile(`^(?:` + refLabel + `\.)*` + refLabel + `\.?$`)
	refPort  = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)
	refQuad  = regexp.MustCompile(`^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.?$`)
	refNum   = regexp.MustCompile(`(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)\.?$`)
)

// checkHostReference is what CheckHost should say, by other means.
func checkHostReference(hp string) bool {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.LastIndex(hp, "]")
		if end < 0 {
			return false
		}
		host, port = hp[1:end], strings.TrimPrefix(hp[end+1:], ":")
		if hp[end+1:] != "" && !strings.HasPrefix(hp[end+1:], ":") {
			return false
		}
		if hp[end+1:] != "" && !refPort.MatchString(port) {
			return false
		}
		if n, _ := strconv.Atoi(port); n > 65535 {
			return false
		}
		ip := net.ParseIP(host)
		return ip != nil && strings.Contains(host, ":") && !strings.ContainsAny(host, "%[]")
	}
	if strings.Count(hp, ":") > 1 {
		return false
	}
	if h, p, ok := strings.Cut(hp, ":"); ok {
		if !refPort.MatchString(p) {
			return false
		}
		host, port = h, p
	}
	if port != "" {
		if n, _ := strconv.Atoi(port); n > 65535 {
			return false
		}
	}
	if len(strings.TrimSuffix(host, ".")) > 253 || !refName.MatchString(host) {
		return false
	}
	return !refNum.MatchString(host) || refQuad.MatchString(host)
}

func TestCheckHostReference(t *testing.T) {
	for _, tc := range hostCases {
		if got := checkHostReference(tc.host); got != tc.ok {
			t.Errorf("reference(%q) = %v; table says %v", tc.host, got, tc.ok)
		}
	}
}

// checkAcceptedHost checks what a host CheckHost accepts means to
// net/url and to ServeMux: one host and at most one port, the same to both.
func checkAcceptedHost(t *testing.T, hp string) {
	t.Helper()
	u, err := url.Parse("http://" + hp + "/")
	if err != nil || u.Host != hp || u.User != nil {
		t.Fatalf("CheckHost accepts %q, but url.Parse gives %+v, %v", hp, u, err)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			t.Fatalf("CheckHost accepts %q with port %q", hp, p)
		}
	}
}

package policy

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Why a Host is malformed (CheckHost; Decide answers 400 bad_request when
// some rule names a host). Constants, so that Decide does not allocate to
// say it; Explain shows them.
const (
	whyHostEmpty    = "host is empty"
	whyHostComma    = "host has a comma (a list of hosts)"
	whyHostSpace    = "host has whitespace or a control character"
	whyHostAt       = "host has userinfo ('@')"
	whyHostPercent  = "host has a %-escape"
	whyHostNonASCII = "host has non-ASCII bytes (want the xn-- form of an international name)"
	whyHostChar     = "host has a character other than letters, digits, '-', '_', '.', and ':' before a port"
	whyHostColons   = "host has more than one ':' outside brackets (an IPv6 address must be in brackets)"
	whyHostBracket  = "host has brackets without exactly an IPv6 address in them (no zone, no IPvFuture, nothing after ']' but a port)"
	whyHostPort     = "port is not a number from 1 to 65535 without leading zeros"
	whyHostLabel    = "host name has an empty label, a label longer than 63 bytes, or a label that starts or ends with '-'"
	whyHostLong     = "host name is longer than 253 bytes"
	whyHostNumeric  = `host name ends in a numeric label but is not a dotted-quad IPv4 address (parsers disagree about "127.1", "010.0.0.1" or "0x7f.1")`
)

// Why a well-formed host is not canonical (Decide refuses it as
// non-canonical, 400 non_canonical_path, when some rule names a host).
const (
	whyHostCase = "host is not lower-case"
	whyHostDot  = "host ends with a dot"
)

// CheckHost reports whether hostport, the value of a Host or
// X-Forwarded-Host header, names exactly one host: a DNS name, a
// dotted-quad IPv4 address or an IPv6 address in brackets, followed by at
// most one port. It returns nil, or a *HostError that matches ErrBadHost
// and says why not.
//
// A DNS name is one or more labels of ASCII letters, digits, '-' and '_',
// separated by dots: each label 1 to 63 bytes, not starting or ending with
// '-'; at most 253 bytes; its last label not numeric ("127.1" and
// "example.123" are refused: URL parsers read such names as IPv4
// addresses, or refuse them). '_' is accepted because internal names use
// it (Docker Compose services, SRV-style labels) and no parser reads it as
// anything but itself. A port is 1 to 65535, in decimal without leading
// zeros; "host:" (an empty port) is refused. Everything else is refused:
// commas (a list of hosts, which Werkzeug's ProxyFix reads as its last
// element and Express as its first), whitespace, userinfo ('@'),
// %-escapes, non-ASCII bytes (international names must be sent in their
// xn-- form), a second ':', IPv6 addresses without brackets, zones
// ("[fe80::1%25eth0]"), and the empty string.
//
// Upper-case letters and a trailing dot are valid here: "API.Example.com."
// is a host name. Decide refuses them too when some rule names a host,
// because ServeMux compares hosts byte for byte, but as non-canonical
// (claims.ReasonNonCanonicalPath) rather than malformed
// (claims.ReasonBadRequest); both are 400.
//
// CheckHost is what Decide applies to r.Host when some rule names a host;
// programs that forward requests by their Host (a proxy, a forward-auth
// endpoint passing on X-Forwarded-Host) should apply it whatever the
// policy, so that the upstream cannot read another host out of a value
// the policy judged as none. It does not allocate when hostport is valid.
func CheckHost(hostport string) error {
	if why := hostProblem(hostport); why != "" {
		return &HostError{Host: hostport, Reason: why}
	}
	return nil
}

// HostError is the error of CheckHost. It matches ErrBadHost.
type HostError struct {
	// Host is the value checked.
	Host string
	// Reason says what is wrong with it, e.g. "host has a comma (a list
	// of hosts)".
	Reason string
}

// maxQuotedHost bounds how much of a host an error message quotes.
const maxQuotedHost = 100

// Error returns `policy: bad host "…": reason`, quoting at most 100 bytes
// of the host.
func (e *HostError) Error() string {
	h := e.Host
	if len(h) > maxQuotedHost {
		h = h[:maxQuotedHost] + "…"
	}
	return "policy: bad host " + strconv.Quote(h) + ": " + e.Reason
}

// Unwrap returns ErrBadHost.
func (e *HostError) Unwrap() error { return ErrBadHost }

// hostProblem returns why hostport is not a host with at most one port
// (see CheckHost), or "". It does not allocate on success.
func hostProblem(hostport string) string {
	if hostport == "" {
		return whyHostEmpty
	}
	// Characters first, so that a list or userinfo is named as such.
	for i := 0; i < len(hostport); i++ {
		switch c := hostport[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == ':', c == '[', c == ']':
		case c == ',':
			return whyHostComma
		case c <= ' ' || c == 0x7f:
			return whyHostSpace
		case c == '@':
			return whyHostAt
		case c == '%':
			return whyHostPercent
		case c >= 0x80:
			return whyHostNonASCII
		default:
			return whyHostChar
		}
	}
	if hostport[0] == '[' {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return whyHostBracket
		}
		addr, rest := hostport[1:end], hostport[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return whyHostBracket
			}
			if !validPort(rest[1:]) {
				return whyHostPort
			}
		}
		// An IP-literal is an IPv6 address (RFC 3986 section 3.2.2; the
		// character scan has excluded zones). ParseAddr accepts IPv4 too,
		// which does not belong in brackets.
		if !strings.Contains(addr, ":") {
			return whyHostBracket
		}
		if a, err := netip.ParseAddr(addr); err != nil || !a.Is6() {
			return whyHostBracket
		}
		return ""
	}
	name := hostport
	if i := strings.IndexByte(hostport, ':'); i >= 0 {
		if strings.IndexByte(hostport[i+1:], ':') >= 0 {
			return whyHostColons
		}
		if !validPort(hostport[i+1:]) {
			return whyHostPort
		}
		name = hostport[:i]
	}
	if strings.ContainsAny(name, "[]") {
		return whyHostBracket
	}
	return nameProblem(name)
}

// nameProblem returns why name (without port) is not a DNS name or
// dotted-quad IPv4 address, or "". One trailing dot is accepted.
func nameProblem(name string) string {
	if name == "" {
		return whyHostEmpty
	}
	name = strings.TrimSuffix(name, ".")
	if len(name) > 253 {
		return whyHostLong
	}
	last := ""
	for rest := name; ; {
		label, more, found := strings.Cut(rest, ".")
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return whyHostLabel
		}
		if !found {
			last = label
			break
		}
		rest = more
	}
	if isNumeric(last) || len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') && isHex(last[2:]) {
		if !isIPv4(name) {
			return whyHostNumeric
		}
	}
	return ""
}

// isIPv4 reports whether s is a dotted-quad IPv4 address: four decimal
// numbers from 0 to 255, without leading zeros.
func isIPv4(s string) bool {
	for k := range 4 {
		part, rest, found := strings.Cut(s, ".")
		if found == (k == 3) || !isNumeric(part) || len(part) > 3 || len(part) > 1 && part[0] == '0' {
			return false
		}
		if n, _ := strconv.Atoi(part); n > 255 {
			return false
		}
		s = rest
	}
	return true
}

// validPort reports whether p is a port number from 1 to 65535 without
// leading zeros.
func validPort(p string) bool {
	if !isNumeric(p) || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, _ := strconv.Atoi(p)
	return n <= 65535
}

// isNumeric reports whether s is one or more ASCII digits.
func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isHex reports whether s is zero or more hexadecimal digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !ishex(s[i]) {
			return false
		}
	}
	return true
}

// checkHost returns why host (without port), which hostProblem accepted,
// is not in the form ServeMux compares, or "". Host names are
// case-insensitive and may end in a dot, but ServeMux compares them byte
// for byte: a request for "ADMIN.example.com" or "admin.example.com."
// would miss the rule for "admin.example.com" and be judged by a host-less
// rule, while the upstream's virtual hosting may serve it as
// admin.example.com.
func checkHost(host string) string {
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			return whyHostCase
		}
	}
	if strings.HasSuffix(host, ".") {
		return whyHostDot
	}
	return ""
}

// stripHostPort is ServeMux's (net/http.stripHostPort): h without a
// trailing ":port".
func stripHostPort(h string) string {
	if !strings.Contains(h, ":") {
		return h
	}
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		return h
	}
	return host
}

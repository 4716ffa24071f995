package policy

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

// memoPolicy has patterns of every kind ServeMux ranks: hosts, methods,
// wildcards, subtrees, {$}, and a pattern whose subtree is reached by a
// trailing-slash redirect.
func memoPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := New(Config{Rules: []Rule{
		{Name: "root", Route: "/{$}", Anonymous: true},
		{Name: "admin", Route: "/admin/"},
		{Name: "admin-get", Route: "GET /admin/reports/{id}"},
		{Name: "files", Route: "/users/{sub}/files/{rest...}"},
		{Name: "orders", Routes: []string{"POST /orders", "GET /orders/{id}"}},
		{Name: "api-host", Route: "api.example.com/v1/"},
		{Name: "api-host-items", Route: "PUT api.example.com/v1/items/{id}"},
		{Name: "exact", Route: "/exact"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// memoRequest is a request for the escaped path path.
func memoRequest(method, host, path string) *http.Request {
	return &http.Request{Method: method, Host: host, URL: &url.URL{Path: pathUnescape(path), RawPath: path}}
}

// checkMemo asks p three times for the route of method, host and path,
// and fails unless every answer is ServeMux's (see checkMemoRequest).
func checkMemo(t *testing.T, p *Policy, method, host, path string) {
	t.Helper()
	checkMemoRequest(t, p, memoRequest(method, host, path), path)
}

// checkMemoRequest asks p three times for the route of r at path, the
// escaped and cleaned path decide would look up, and fails unless every
// answer is ServeMux's: the first miss only marks the key, the second
// stores it, the third comes from the memo (checked: a key the memo may
// keep is kept after two). The memo keys on the path alone, so ServeMux must give
// the same answer whether it is asked about r itself (when path is r's
// own escaped path) or about a scratch request carrying path, as decide
// does for a cleaned path and its trailing-slash twin; that is checked
// too.
func checkMemoRequest(t *testing.T, p *Policy, r *http.Request, path string) {
	t.Helper()
	own := r.URL.EscapedPath() == path
	want := p.muxLookup(r, path, false)
	if own {
		if w := p.muxLookup(r, path, true); w != want {
			t.Fatalf("%s %s %s: ServeMux routes the request to %s and a scratch request for its path to %s", r.Method, r.Host, path, routeName(w), routeName(want))
		}
	}
	host := ""
	if p.hasHosts {
		host = r.Host
	}
	for i := range 3 {
		if i == 2 && r.Method != "CONNECT" && len(r.Method)+len(host)+len(path) <= memoMaxKey && memoGet(p.memo, r.Method, host, path) == nil {
			t.Fatalf("%s %s %s: not in the memo after two misses", r.Method, r.Host, path)
		}
		if got := p.lookup(r, path, own); got != want {
			t.Fatalf("lookup %d of %s %s %s: route %s, ServeMux's is %s", i, r.Method, r.Host, path, routeName(got), routeName(want))
		}
	}
}

// memoGet is m.get for a key, hashed.
func memoGet(m *routeMemo, method, host, path string) *route {
	return m.get(m.hash(method, host, path), method, host, path)
}

// memoSlot is the slot of a key.
func memoSlot(m *routeMemo, method, host, path string) *atomic.Pointer[memoEntry] {
	return &m.slots[m.hash(method, host, path)&(memoSlots-1)]
}

func routeName(rt *route) string {
	switch {
	case rt == nil:
		return "none"
	case rt.rule == nil:
		return "catch-all"
	}
	return rt.rule.name + " " + rt.pat.str
}

func TestRouteMemo(t *testing.T) {
	p := memoPolicy(t)
	for _, tc := range []struct{ method, host, path, rule string }{
		{"GET", "example.com", "/", "root"},
		{"GET", "example.com", "/x", ""},
		{"GET", "example.com", "/admin", "admin"}, // the redirect to /admin/
		{"GET", "example.com", "/admin/", "admin"},
		{"GET", "example.com", "/admin/reports/7", "admin-get"},
		{"HEAD", "example.com", "/admin/reports/7", "admin-get"},
		{"POST", "example.com", "/admin/reports/7", "admin"},
		{"GET", "example.com", "/users/u1/files/a/b", "files"},
		{"GET", "example.com", "/users/u1/files", "files"}, // the redirect to /users/u1/files/
		{"POST", "example.com", "/orders", "orders"},
		{"GET", "example.com", "/orders", ""},
		{"GET", "example.com", "/orders/9", "orders"},
		{"GET", "api.example.com", "/v1/items/3", "api-host"},
		{"PUT", "api.example.com", "/v1/items/3", "api-host-items"},
		{"PUT", "api.example.com:8443", "/v1/items/3", "api-host-items"},
		{"PUT", "other.example.com", "/v1/items/3", ""},
		{"GET", "example.com", "/exact", "exact"},
		{"GET", "example.com", "/exact/", ""},
	} {
		t.Run(tc.method+" "+tc.host+tc.path, func(t *testing.T) {
			r := memoRequest(tc.method, tc.host, tc.path)
			for i := range 3 { // the third answer comes from the memo
				rt := p.lookup(r, tc.path, true)
				name := ""
				if rt != nil && rt.rule != nil {
					name = rt.rule.name
				}
				if name != tc.rule {
					t.Fatalf("lookup %d: rule %q, want %q", i, name, tc.rule)
				}
			}
			if rt := memoGet(p.memo, tc.method, tc.host, tc.path); rt == nil {
				t.Fatal("the answer was not remembered")
			}
		})
	}
}

// TestRouteMemoKeys checks that an entry answers only its own method,
// host and path: keys that differ in one part, or share a slot, get
// ServeMux's answer for themselves.
func TestRouteMemoKeys(t *testing.T) {
	p := memoPolicy(t)
	// Many more keys than slots, so that slots are shared and overwritten.
	var keys [][3]string
	for i := range 4 * memoSlots {
		path := fmt.Sprintf("/admin/reports/%d", i)
		switch i % 4 {
		case 1:
			path = fmt.Sprintf("/orders/%d", i)
		case 2:
			path = fmt.Sprintf("/v1/items/%d", i)
		case 3:
			path = fmt.Sprintf("/x%d", i)
		}
		for _, m := range []string{"GET", "PUT", "POST"} {
			for _, h := range []string{"example.com", "api.example.com"} {
				keys = append(keys, [3]string{m, h, path})
			}
		}
	}
	for range 2 {
		for _, k := range keys {
			checkMemo(t, p, k[0], k[1], k[2])
		}
	}
}

// TestRouteMemoCollisions puts keys that share a slot and differ in one
// part only, then asks for the other: the entry must not answer it.
func TestRouteMemoCollisions(t *testing.T) {
	p := memoPolicy(t)
	base := [3]string{"PUT", "api.example.com", "/v1/items/3"}
	slot := memoSlot(p.memo, base[0], base[1], base[2])
	found := [3]bool{}
	for i := 0; i < 1<<20 && !(found[0] && found[1] && found[2]); i++ {
		for part := range 3 {
			if found[part] {
				continue
			}
			k := base
			switch part {
			case 0:
				k[0] = fmt.Sprintf("M%d", i)
			case 1:
				k[1] = fmt.Sprintf("h%d.example.com", i)
			case 2:
				k[2] = fmt.Sprintf("/v1/items/%d", i+4)
			}
			if memoSlot(p.memo, k[0], k[1], k[2]) != slot {
				continue
			}
			found[part] = true
			checkMemo(t, p, base[0], base[1], base[2]) // fills the slot
			checkMemo(t, p, k[0], k[1], k[2])          // must not be answered by it
			checkMemo(t, p, base[0], base[1], base[2])
		}
	}
	if found != [3]bool{true, true, true} {
		t.Fatal("no colliding keys found")
	}
}

// TestRouteMemoWithoutHosts checks that a policy without host patterns
// keys on no host, and that this cannot change an answer.
func TestRouteMemoWithoutHosts(t *testing.T) {
	p, err := New(Config{Rules: []Rule{{Name: "a", Route: "GET /a/{id}"}, {Name: "b", Route: "/b/"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"x.example.com", "y.example.com", "x.example.com:1"} {
		checkMemo(t, p, "GET", h, "/a/1")
		checkMemo(t, p, "GET", h, "/b")
	}
	if memoGet(p.memo, "GET", "", "/a/1") == nil {
		t.Fatal("no entry keyed on no host")
	}
	if memoGet(p.memo, "GET", "x.example.com", "/a/1") != nil {
		t.Fatal("an entry keyed on the host")
	}
}

// TestRouteMemoBounds checks that a long key is not kept and that a kept
// key does not share the request's memory.
func TestRouteMemoBounds(t *testing.T) {
	p := memoPolicy(t)
	long := "/users/u/files/" + strings.Repeat("a", memoMaxKey)
	checkMemo(t, p, "GET", "example.com", long)
	if memoGet(p.memo, "GET", "example.com", long) != nil {
		t.Fatal("a key longer than memoMaxKey was kept")
	}
	line := []byte("GET /orders/42 HTTP/1.1")
	path := string(line[4:14])
	checkMemo(t, p, "GET", "example.com", path)
	e := memoSlot(p.memo, "GET", "example.com", path).Load()
	if e == nil || e.path != path {
		t.Fatal("the key was not kept")
	}
	if strings.Contains(e.method+e.host+e.path, " ") || len(e.method)+len(e.host)+len(e.path) != len("GET")+len("example.com")+len(path) {
		t.Fatalf("entry %q %q %q", e.method, e.host, e.path)
	}
	if memoGet(p.memo, "CONNECT", "example.com", "/orders/42") != nil {
		t.Fatal("CONNECT answered from the memo")
	}
	for range 2 {
		p.memo.put(p.memo.hash("CONNECT", "example.com", "/orders/42"), "CONNECT", "example.com", "/orders/42", p.routes["/"])
	}
	if memoGet(p.memo, "CONNECT", "example.com", "/orders/42") != nil {
		t.Fatal("CONNECT kept in the memo")
	}
}

// TestRouteMemoStoresOnReturn checks the doorkeeper: a key that misses
// once is not stored, one that misses again is, and keys that never come
// back neither allocate nor push out a key that does.
func TestRouteMemoStoresOnReturn(t *testing.T) {
	p := memoPolicy(t)
	r := memoRequest("GET", "example.com", "/orders/1")
	p.lookup(r, "/orders/1", true)
	if memoGet(p.memo, "GET", "example.com", "/orders/1") != nil {
		t.Fatal("stored on its first miss")
	}
	p.lookup(r, "/orders/1", true)
	if memoGet(p.memo, "GET", "example.com", "/orders/1") == nil {
		t.Fatal("not stored on its second miss")
	}
	distinct := make([]*http.Request, 4*memoSlots)
	for i := range distinct {
		distinct[i] = memoRequest("GET", "example.com", fmt.Sprintf("/orders/%d", 1000+i))
	}
	i := 0
	n := testing.AllocsPerRun(len(distinct)-1, func() {
		d := distinct[i]
		p.lookup(d, d.URL.RawPath, true)
		i++
	})
	// ServeMux's own allocation for a wildcard match is the only one.
	if want := testing.AllocsPerRun(100, func() { p.muxLookup(r, "/orders/1", true) }); n != want {
		t.Fatalf("%v allocations per lookup of a path never seen before, ServeMux alone makes %v", n, want)
	}
	for _, d := range distinct {
		if memoGet(p.memo, d.Method, d.Host, d.URL.RawPath) != nil {
			t.Fatalf("%s was stored though it came once", d.URL.RawPath)
		}
	}
	if memoGet(p.memo, "GET", "example.com", "/orders/1") == nil {
		t.Fatal("paths that came once pushed out one that came back")
	}
}

// TestRouteMemoAllocs checks that a remembered lookup allocates nothing.
func TestRouteMemoAllocs(t *testing.T) {
	p := memoPolicy(t)
	r := memoRequest("GET", "example.com", "/users/u1/files/a/b")
	p.lookup(r, "/users/u1/files/a/b", true)
	p.lookup(r, "/users/u1/files/a/b", true) // stored the second time
	if n := testing.AllocsPerRun(100, func() { p.lookup(r, "/users/u1/files/a/b", true) }); n != 0 {
		t.Fatalf("%v allocations per remembered lookup", n)
	}
}

// FuzzRouteMemo checks that the memo answers every method, host and path
// as ServeMux does, before it is stored and after, with the memo shared
// by every input so that entries of earlier inputs share slots with
// later ones. The path is taken both as an escaped path and as a request
// target parsed as net/http parses one.
func FuzzRouteMemo(f *testing.F) {
	p := memoPolicy(f)
	f.Add("GET", "example.com", "/admin")
	f.Add("PUT", "api.example.com:1", "/v1/items/%2F")
	f.Add("HEAD", "API.example.com", "/admin/reports/x")
	f.Add("GET", "", "/users/a/files/")
	f.Add("GET", "example.com", "/users/a\"b/files/%41")
	f.Add("GET", "example.com", "/orders//9/../9/")
	f.Fuzz(func(t *testing.T, method, host, target string) {
		if checkMethod(method) != "" {
			return // decide refuses these before any lookup
		}
		if checkPath(target) == "" {
			checkMemo(t, p, method, host, cleanPath(target))
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		escaped := u.EscapedPath()
		if checkPath(escaped) != "" {
			return
		}
		r := &http.Request{Method: method, Host: host, URL: u}
		path := cleanPath(escaped)
		checkMemoRequest(t, p, r, path)
		if len(path) > 1 && path[len(path)-1] == '/' {
			checkMemoRequest(t, p, r, path[:len(path)-1]) // the twin
		} else if len(path) > 1 {
			checkMemoRequest(t, p, r, path+"/") // the directory twin
			// The filter never hides a directory rule.
			if rt := p.muxLookup(r, path+"/", false); rt != nil && rt.rule != nil &&
				rt.pat.namesDir(strings.Count(path, "/")) && !mayNameDir(p.dirs, path) {
				t.Errorf("%s %s: %q names it as a directory, but mayNameDir says no", method, path, rt.pat.str)
			}
		}
	})
}

// diffConfigs are the policies of FuzzRouteMemoDecide.
func diffConfigs() []Config {
	grp := func(g ...string) Requirement { return Requirement{GroupsAny: g} }
	own := Requirement{Claims: []Condition{{Claim: "sub", Op: OpEquals, Value: "{sub}"}}}
	return []Config{
		{Rules: []Rule{ // hosts, like memoPolicy, with requirements
			{Name: "root", Route: "/{$}", Anonymous: true},
			{Name: "admin", Route: "/admin/", Requirement: grp("admin")},
			{Name: "admin-get", Route: "GET /admin/reports/{id}", Requirement: grp("reports")},
			{Name: "files", Route: "/users/{sub}/files/{rest...}", Requirement: own},
			{Name: "orders", Routes: []string{"POST /orders", "GET /orders/{id}"}, Requirement: grp("orders")},
			{Name: "orders-slash", Route: "/orders/", Anonymous: true},
			{Name: "api-host", Route: "api.example.com/v1/", Anonymous: true},
			{Name: "api-host-items", Route: "PUT api.example.com/v1/items/{id}", Requirement: grp("admin")},
			{Name: "api-host-admin", Route: "api.example.com/admin/", Anonymous: true},
			{Name: "ip-host", Route: "10.0.0.1/admin/", Anonymous: true},
			{Name: "exact", Route: "/exact", Requirement: grp("admin")},
			{Name: "exactslash", Route: "/exact/", Anonymous: true},
		}},
		{Default: DefaultAllow, Rules: []Rule{ // no hosts; a catch-all of one method (405s)
			{Name: "pub", Route: "GET /{$}", Anonymous: true},
			{Name: "a", Route: "GET /a/{id}", Requirement: grp("a")},
			{Name: "b", Route: "/b/", Requirement: grp("b")},
			{Name: "bx", Route: "POST /b/x", Anonymous: true},
			{Name: "c", Route: "POST /c", Requirement: grp("c")},
			{Name: "cs", Route: "/c/", Anonymous: true},
			{Name: "h", Route: "HEAD /h", Requirement: grp("h")},
			{Name: "hs", Route: "GET /h/", Anonymous: true},
			{Name: "u", Route: "/u/{sub}/", Requirement: own},
			{Name: "us", Route: "/u/{sub}", Anonymous: true},
			{Name: "end", Route: "/e/{x}/{$}", Anonymous: true},
			{Name: "e2", Route: "/e/{x}", Requirement: grp("e")},
			{Name: "caf", Route: "/café/", Requirement: grp("cafe")},
		}},
		{Default: DefaultAuthenticated, Rules: []Rule{ // host catch-all, multi wildcards
			{Name: "hostall", Route: "api.example.com/", Anonymous: true},
			{Name: "hostget", Route: "GET api.example.com/x/{$}", Requirement: grp("x")},
			{Name: "any", Route: "/{path...}", Requirement: grp("any")},
			{Name: "x", Route: "GET /x", Anonymous: true},
			{Name: "xs", Route: "/x/", Requirement: grp("xs")},
			{Name: "s", Route: "/s/{a}/{b}", Anonymous: true},
			{Name: "ss", Route: "/s/{a}/{b}/", Requirement: grp("ss")},
			{Name: "sub", Route: "www.example.com/p/", Requirement: grp("www")},
		}},
	}
}

// diffToks are its tokens: none, and users with and without groups.
var diffToks = func() []*claims.Token {
	mk := func(sub string, groups ...string) *claims.Token {
		t, err := claims.NewToken(claims.Token{Use: claims.AccessToken, Subject: sub, Groups: groups, Scopes: []string{}}, []byte(`{"sub":"`+sub+`"}`))
		if err != nil {
			panic(err)
		}
		return t
	}
	return []*claims.Token{nil, mk("u1"), mk("u1", "admin", "reports", "orders", "a", "b", "c", "h", "e", "cafe", "x", "xs", "ss", "www", "any"), mk("café", "b", "any"), mk("u2", "admin")}
}()

// FuzzRouteMemoDecide checks whole decisions: Decide and Explain on a
// policy whose memo every earlier input has warmed give what the same
// policy gives with an empty memo, for requests parsed as net/http parses
// them (absolute-form targets, ports, IPv6 hosts) and built by hand (a
// URL.Host, RawQuery or Proto of their own, RawPath beside Path), with
// several tokens, over three policies: hosts, an IP host, trailing-slash
// twins and path-variable conditions; no hosts, default allow, HEAD and
// GET twins; a host catch-all, default authenticated.
func FuzzRouteMemoDecide(f *testing.F) {
	cfgs := diffConfigs()
	warm := make([]*Policy, len(cfgs))
	cold := make([]*Policy, len(cfgs))
	for i, c := range cfgs {
		p, err := New(c)
		if err != nil {
			f.Fatal(i, err)
		}
		warm[i] = p
		cold[i], _ = New(c)
	}
	for _, s := range [][5]string{
		{"GET", "example.com", "/admin", "api.example.com", "/admin"},
		{"GET", "api.example.com:443", "/admin/x", "api.example.com", "http://evil/admin/x"},
		{"POST", "x", "/orders/", "y", "/orders/"},
		{"HEAD", "x", "/h/", "y", "/h"},
		{"GET", "x", "/c/", "y", "/c"},
		{"GET", "x", "/u/u1/", "y", "/u/u1"},
		{"GET", "x", "/%61dmin/", "y", "/admin/"},
		{"GET", "x", "/caf%C3%A9/", "y", "/café/"},
		{"GET", "[::1]:80", "/x/", "[::1]", "/x"},
		{"GET", "10.0.0.1:80", "/admin/", "10.0.0.1", "//admin//"},
		{"PUT", "api.example.com", "/v1/items/3/", "api.example.com.", "/v1/items/3"},
	} {
		for c := range len(cfgs) {
			f.Add(uint8(c), uint8(1), s[0], s[1], s[2], s[3], s[4], false)
		}
	}
	f.Fuzz(func(t *testing.T, cfg, tk uint8, method, host, target, host2, target2 string, raw bool) {
		ci := int(cfg) % len(cfgs)
		w := warm[ci]
		tok := diffToks[int(tk)%len(diffToks)]
		reqs := []*http.Request{}
		for _, x := range [][2]string{{host, target}, {host2, target2}, {host2, target}, {host, target2}} {
			if r := parseReq(method, x[0], x[1]); r != nil {
				reqs = append(reqs, r)
			}
			if raw {
				// a hand-built request, as a handler might construct one
				u := &url.URL{Path: pathUnescape(x[1]), RawPath: x[1], Host: x[0], RawQuery: "q=1"}
				reqs = append(reqs, &http.Request{Method: method, Host: x[0], URL: u, Proto: "HTTP/2.0"})
				u2 := &url.URL{Path: x[1], Host: "other.example.com"}
				reqs = append(reqs, &http.Request{Method: method, Host: x[0], URL: u2})
			}
		}
		// Warm on every request first, so that later ones may hit entries of earlier ones.
		for _, r := range reqs {
			w.Decide(r, tok)
		}
		for _, r := range reqs {
			fresh := cold[ci]
			fresh.memo = newRouteMemo()
			want := fresh.Decide(r, tok)
			got := w.Decide(r, tok)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("cfg %d %q Host %q URL %#v tok %d: warm %v, fresh %v", ci, r.Method, r.Host, *r.URL, tk, got, want)
			}
			fresh2 := cold[ci]
			fresh2.memo = newRouteMemo()
			if ge, we := w.Explain(r, tok), fresh2.Explain(r, tok); !reflect.DeepEqual(ge.Decision, we.Decision) {
				t.Fatalf("explain cfg %d %q Host %q URL %#v: warm %v, fresh %v", ci, r.Method, r.Host, *r.URL, ge.Decision, we.Decision)
			}
		}
	})
}

// parseReq is the request net/http reads from a request line and Host
// header, or nil.
func parseReq(method, host, target string) *http.Request {
	if strings.ContainsAny(method+host+target, "\r\n ") || method == "" {
		return nil
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")))
	if err != nil {
		return nil
	}
	return r
}

// BenchmarkRouteMemo compares the lookup with the memo and without it
// (ServeMux alone), for one path again and again and for paths that never
// repeat within the memo's reach (IDs in paths: 16,384 distinct paths
// cycled through 1,024 slots).
func BenchmarkRouteMemo(b *testing.B) {
	p := memoPolicy(b)
	distinct := make([]*http.Request, 1<<14)
	paths := make([]string, len(distinct))
	for i := range distinct {
		paths[i] = fmt.Sprintf("/orders/%d", 100000+i)
		distinct[i] = memoRequest("GET", "example.com", paths[i])
	}
	for _, bc := range []struct {
		name string
		n    int
	}{{"same", 1}, {"distinct", len(distinct)}} {
		for _, way := range []struct {
			name   string
			lookup func(*http.Request, string, bool) *route
		}{{"memo", p.lookup}, {"servemux", p.muxLookup}} {
			b.Run(bc.name+"/"+way.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					k := i % bc.n
					way.lookup(distinct[k], paths[k], true)
					i++
				}
			})
		}
	}
}

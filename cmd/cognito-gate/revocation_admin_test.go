package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/revocation"
)

const adminSection = "revocation:\n  file: revoked.jsonl\n  admin_token_file: admin.token\n"

// adminFiles are a deny list with one comment and the admin secret.
func adminFiles() map[string]string {
	return map[string]string{"revoked.jsonl": "# deny list\n", "admin.token": testAdminSecret + "\n"}
}

// adminRequest is a POST /revocations from peer with the headers and body.
func adminRequest(peer string, hdr map[string][]string, body string) *http.Request {
	r := httptest.NewRequest("POST", revocationsPath, strings.NewReader(body))
	r.RemoteAddr = peer
	r.Header.Set("Content-Type", "application/json")
	for k, vs := range hdr {
		r.Header.Del(k)
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

// serveAdmin serves r on the admin routes of d.
func serveAdmin(d *denyList, r *http.Request) (*httptest.ResponseRecorder, adminAnswer) {
	mux := http.NewServeMux()
	d.routes(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var ans adminAnswer
	json.Unmarshal(w.Body.Bytes(), &ans)
	return w, ans
}

var adminBearer = map[string][]string{"Authorization": {"Bearer " + testAdminSecret}}

// TestAdminEndpointAttacks: every request that is not a loopback peer
// with the secret and one valid entry is refused, and changes nothing.
func TestAdminEndpointAttacks(t *testing.T) {
	now := time.Now()
	in := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	tests := []struct {
		name    string
		peer    string
		hdr     map[string][]string
		body    string
		status  int
		result  string // the counter's label
		problem string // in the answer's problems or error
	}{
		{"no secret", "127.0.0.1:4000", map[string][]string{"Authorization": nil}, `{"jti":"a"}`, 401, adminUnauthorized, "bearer secret"},
		{"wrong secret", "127.0.0.1:4000", map[string][]string{"Authorization": {"Bearer " + strings.ToUpper(testAdminSecret)}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"secret prefix", "127.0.0.1:4000", map[string][]string{"Authorization": {"Bearer " + testAdminSecret[:len(testAdminSecret)-1]}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"secret and more", "127.0.0.1:4000", map[string][]string{"Authorization": {"Bearer " + testAdminSecret + "x"}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"secret, another scheme", "127.0.0.1:4000", map[string][]string{"Authorization": {"Basic " + testAdminSecret}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"secret twice", "127.0.0.1:4000", map[string][]string{"Authorization": {"Bearer " + testAdminSecret, "Bearer " + testAdminSecret}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"empty bearer", "127.0.0.1:4000", map[string][]string{"Authorization": {"Bearer "}}, `{"jti":"a"}`, 401, adminUnauthorized, ""},
		{"remote peer with the secret", "192.0.2.7:4000", adminBearer, `{"jti":"a"}`, 403, adminForbidden, "loopback"},
		{"remote IPv6 peer", "[2001:db8::1]:4000", adminBearer, `{"jti":"a"}`, 403, adminForbidden, ""},
		{"unparsable peer", "somewhere", adminBearer, `{"jti":"a"}`, 403, adminForbidden, ""},
		{"form body", "127.0.0.1:4000", map[string][]string{"Authorization": adminBearer["Authorization"], "Content-Type": {"application/x-www-form-urlencoded"}}, `jti=a`, 415, adminInvalid, "application/json"},
		{"no content type", "127.0.0.1:4000", map[string][]string{"Authorization": adminBearer["Authorization"], "Content-Type": nil}, `{"jti":"a"}`, 415, adminInvalid, ""},
		{"oversized", "127.0.0.1:4000", adminBearer, `{"jti":"a","note":"` + strings.Repeat("x", maxAdminBody) + `"}`, 413, adminInvalid, "larger than 4096"},
		{"duplicate key", "127.0.0.1:4000", adminBearer, `{"jti":"a","jti":"b"}`, 400, adminInvalid, "duplicate member name"},
		{"duplicate key through an escape", "127.0.0.1:4000", adminBearer, `{"jti":"a","\u006ati":"b"}`, 400, adminInvalid, "duplicate member name"},
		{"two kinds", "127.0.0.1:4000", adminBearer, `{"jti":"a","sub":"b"}`, 400, adminInvalid, "jti and sub in one entry"},
		{"no kind", "127.0.0.1:4000", adminBearer, `{"note":"x"}`, 400, adminInvalid, "names no token"},
		{"unknown key", "127.0.0.1:4000", adminBearer, `{"jti":"a","user":"b"}`, 400, adminInvalid, "user: unknown key"},
		{"case variant of a key", "127.0.0.1:4000", adminBearer, `{"JTI":"a"}`, 400, adminInvalid, "JTI: unknown key"},
		{"not a string", "127.0.0.1:4000", adminBearer, `{"jti":1}`, 400, adminInvalid, "jti: want a string, got number"},
		{"array", "127.0.0.1:4000", adminBearer, `[{"jti":"a"}]`, 400, adminInvalid, "not one JSON object"},
		{"two objects", "127.0.0.1:4000", adminBearer, `{"jti":"a"}{"jti":"b"}`, 400, adminInvalid, "not one JSON object"},
		{"invalid UTF-8", "127.0.0.1:4000", adminBearer, "{\"jti\":\"a\xff\"}", 400, adminInvalid, "not one JSON object"},
		{"empty body", "127.0.0.1:4000", adminBearer, ``, 400, adminInvalid, "not one JSON object"},
		{"empty value", "127.0.0.1:4000", adminBearer, `{"jti":""}`, 400, adminInvalid, "jti: empty"},
		{"padded value", "127.0.0.1:4000", adminBearer, `{"sub":" a"}`, 400, adminInvalid, "white space at an end"},
		{"empty iss", "127.0.0.1:4000", adminBearer, `{"sub":"a","iss":""}`, 400, adminInvalid, "iss: empty"},
		{"iss of no pool", "127.0.0.1:4000", adminBearer, `{"sub":"a","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}`, 400, adminInvalid, "not the issuer of a configured user pool"},
		{"expiry beyond the bound", "127.0.0.1:4000", adminBearer, `{"jti":"a","expires":"` + in(25*time.Hour) + `"}`, 400, adminInvalid, "more than 24h10m0s"},
		{"expiry a year ahead", "127.0.0.1:4000", adminBearer, `{"jti":"a","expires":"` + now.AddDate(1, 0, 0).UTC().Format(time.RFC3339) + `"}`, 400, adminInvalid, "more than 24h10m0s"},
		{"expiry passed", "127.0.0.1:4000", adminBearer, `{"jti":"a","expires":"` + in(-time.Minute) + `"}`, 400, adminInvalid, "has passed"},
		{"expiry in milliseconds", "127.0.0.1:4000", adminBearer, `{"jti":"a","expires":"` + now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z") + `"}`, 400, adminInvalid, "whole seconds"},
		{"expiry not a time", "127.0.0.1:4000", adminBearer, `{"jti":"a","expires":"tomorrow"}`, 400, adminInvalid, "RFC 3339"},
		{"watermark in the future", "127.0.0.1:4000", adminBearer, `{"sub":"a","issued_before":"` + in(time.Hour) + `"}`, 400, adminInvalid, "in the future"},
		{"watermark on a jti", "127.0.0.1:4000", adminBearer, `{"jti":"a","issued_before":"` + in(-time.Hour) + `"}`, 400, adminInvalid, "only for sub, username and client_id"},
		{"newline in a value", "127.0.0.1:4000", adminBearer, `{"jti":"a\n{\"client_id\":\"victim\"}"}`, 400, adminInvalid, "control character"},
		{"raw newline in a value", "127.0.0.1:4000", adminBearer, "{\"jti\":\"a\nb\"}", 400, adminInvalid, "not one JSON object"},
		{"NUL in a value", "127.0.0.1:4000", adminBearer, `{"username":"a\u0000"}`, 400, adminInvalid, "control character"},
		{"note too long", "127.0.0.1:4000", adminBearer, `{"jti":"a","note":"` + strings.Repeat("n", 300) + `"}`, 400, adminInvalid, "note: 300 bytes, more than 256"},
		{"value too long", "127.0.0.1:4000", adminBearer, `{"jti":"` + strings.Repeat("j", 600) + `"}`, 400, adminInvalid, "jti: 600 bytes, more than 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, logs := testDenyList(t, adminSection, adminFiles())
			before := readFile(t, d.setup.file)
			w, ans := serveAdmin(d, adminRequest(tt.peer, tt.hdr, tt.body))
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.problem != "" && !strings.Contains(ans.Error+strings.Join(ans.Problems, "\n"), tt.problem) {
				t.Errorf("answer %s lacks %q", w.Body, tt.problem)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") != `Bearer realm="cognito-gate admin"` {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
			if got := readFile(t, d.setup.file); got != before {
				t.Errorf("the file changed:\n%s", got)
			}
			if names := dirEntries(t, filepath.Dir(d.setup.file)); strings.Contains(strings.Join(names, " "), ".new") {
				t.Errorf("a temporary file is left: %q", names)
			}
			if st := d.file.Status(); st.Entries != 0 || d.replica.list.Status().Entries != 0 {
				t.Errorf("entries held: %+v", st)
			}
			if got := testutil.ToFloat64(d.admin.vec.WithLabelValues(tt.result)); got != 1 {
				t.Errorf("admin_requests_total{result=%q} = %v, want 1", tt.result, got)
			}
			if logs.FilterMessage("revocation not added").Len() != 1 {
				t.Errorf("refusal not logged: %v", logs.All())
			}
			for _, e := range logs.All() {
				if strings.Contains(fmt.Sprint(e.ContextMap()), testAdminSecret[:16]) {
					t.Errorf("the secret is logged: %v", e)
				}
			}
		})
	}
}

// TestAdminEndpointAdds: a loopback peer with the secret adds one entry
// to the file, which is in force at once.
func TestAdminEndpointAdds(t *testing.T) {
	tok := &claims.Token{Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", JTI: "jti-1", OriginJTI: "o-1", Subject: "s-1", Username: "bob", ClientID: "abc",
		IssuedAt: time.Now().Add(-time.Minute), Expiry: time.Now().Add(time.Hour)}
	for _, tt := range []struct {
		name, peer, body, wantLine string
	}{
		{"jti", "127.0.0.1:4000", `{"jti":"jti-1"}`, `{"jti":"jti-1","expires":"`},
		{"origin_jti, IPv6 loopback", "[::1]:4000", `{"origin_jti":"o-1","note":"RevokeToken, ticket 4711"}`, `{"origin_jti":"o-1","expires":"`},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]:4000", `{"client_id":"abc"}`, `{"client_id":"abc","expires":"`},
		{"global sign-out of one pool", "127.0.0.2:4000", `{"sub":"s-1","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123","issued_before":"` + time.Now().UTC().Format(time.RFC3339) + `"}`,
			`{"sub":"s-1","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123","issued_before":"`},
		{"pretty-printed", "127.0.0.1:4000", "{\n  \"username\": \"bob\",\n  \"expires\": \"" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + "\"\n}\n", `{"username":"bob","expires":"`},
		{"injection through the note", "127.0.0.1:4000", `{"jti":"jti-1","note":"x\"}\n{\"client_id\":\"abc\",\"expires\":\"2030-01-01T00:00:00Z\"}"}`, `{"jti":"jti-1","expires":"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, logs := testDenyList(t, adminSection, adminFiles())
			if d.denylist().Revoked(tok, time.Now()) {
				t.Fatal("revoked before")
			}
			w, ans := serveAdmin(d, adminRequest(tt.peer, adminBearer, tt.body))
			if w.Code != 201 || ans.Scope != "file" || ans.Line != 2 || ans.File != d.setup.file {
				t.Fatalf("answer %d %s", w.Code, w.Body)
			}
			lines := strings.Split(strings.TrimSuffix(readFile(t, d.setup.file), "\n"), "\n")
			if len(lines) != 2 || lines[0] != "# deny list" || !strings.HasPrefix(lines[1], tt.wantLine) || lines[1] != string(ans.Entry) {
				t.Fatalf("file lines %q, want the comment and %s…", lines, tt.wantLine)
			}
			if !d.denylist().Revoked(tok, time.Now()) {
				t.Error("not revoked after the add")
			}
			if st := d.file.Status(); st.Entries != 1 {
				t.Errorf("entries = %d, want 1 (the injection must not add one)", st.Entries)
			}
			if !strings.Contains(tt.name, "injection") {
				return
			}
			other := *tok
			other.JTI = "another"
			if d.denylist().Revoked(&other, time.Now()) {
				t.Error("the injected client_id entry is in force")
			}
			if e := logs.FilterMessage("revocation added").All(); len(e) != 1 || e[0].ContextMap()["value"] != "jti-1" {
				t.Errorf("add logs: %v", logs.All())
			}
		})
	}
}

// TestAdminEndpointDefaults: expires defaults to ExpiresFor(now); the
// same entry twice is one rule (with the later expiry).
func TestAdminEndpointDefaults(t *testing.T) {
	d, _ := testDenyList(t, adminSection, adminFiles())
	before := time.Now()
	_, ans := serveAdmin(d, adminRequest("127.0.0.1:1", adminBearer, `{"jti":"x"}`))
	after := time.Now()
	var e struct{ Expires time.Time }
	if err := json.Unmarshal(ans.Entry, &e); err != nil {
		t.Fatal(err)
	}
	if e.Expires.Before(revocation.ExpiresFor(before)) || e.Expires.After(revocation.ExpiresFor(after)) {
		t.Errorf("expires %s, want ExpiresFor of the request's time (%s)", e.Expires, revocation.ExpiresFor(before))
	}
	w, ans := serveAdmin(d, adminRequest("127.0.0.1:1", adminBearer, `{"jti":"x"}`))
	if w.Code != 201 || ans.Line != 3 || d.file.Status().Entries != 1 {
		t.Errorf("second add: %d %+v, entries %d", w.Code, ans, d.file.Status().Entries)
	}
}

// TestAdminEndpointOff: without admin_token_file (or a deny list) the
// path is not served; only POST is.
func TestAdminEndpointOff(t *testing.T) {
	d, _ := testDenyList(t, "revocation:\n  file: revoked.jsonl\n", adminFiles())
	for _, dl := range []*denyList{d, nil} {
		if w, _ := serveAdmin(dl, adminRequest("127.0.0.1:1", adminBearer, `{"jti":"x"}`)); w.Code != 404 {
			t.Errorf("POST without admin_token_file: %d, want 404", w.Code)
		}
	}
	on, _ := testDenyList(t, adminSection, adminFiles())
	r := adminRequest("127.0.0.1:1", adminBearer, "")
	r.Method = "GET"
	if w, _ := serveAdmin(on, r); w.Code != 405 {
		t.Errorf("GET: %d, want 405", w.Code)
	}
}

// TestAdminEndpointRemote: admin_allow_remote lets other peers in, with
// the secret only.
func TestAdminEndpointRemote(t *testing.T) {
	d, _ := testDenyList(t, adminSection+"  admin_allow_remote: true\n", adminFiles())
	if w, _ := serveAdmin(d, adminRequest("192.0.2.7:4000", adminBearer, `{"jti":"x"}`)); w.Code != 201 {
		t.Errorf("remote peer with the secret: %d", w.Code)
	}
	if w, _ := serveAdmin(d, adminRequest("192.0.2.7:4000", map[string][]string{"Authorization": {"Bearer nope"}}, `{"jti":"y"}`)); w.Code != 401 {
		t.Errorf("remote peer without the secret: %d", w.Code)
	}
}

// TestAdminEndpointReadOnlyFile: when the file cannot be written, the
// entry is held by this replica only, and the answer says so.
func TestAdminEndpointReadOnlyFile(t *testing.T) {
	d, logs := testDenyList(t, adminSection, adminFiles())
	d.write = func(string, string, revocation.Options, time.Time) (int, error) {
		return 0, fmt.Errorf("%w: read-only file system", errReadOnly)
	}
	tok := &claims.Token{Username: "bob", IssuedAt: time.Now()}
	w, ans := serveAdmin(d, adminRequest("127.0.0.1:1", adminBearer, `{"username":"bob"}`))
	if w.Code != 201 || ans.Scope != "replica" || !strings.Contains(ans.Warning, "this replica only") || ans.File != "" {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	if !d.denylist().Revoked(tok, time.Now()) {
		t.Error("not revoked on this replica")
	}
	if d.file.Status().Entries != 0 || d.replica.list.Status().Entries != 1 {
		t.Error("the entry is not the replica's alone")
	}
	if testutil.ToFloat64(d.admin.vec.WithLabelValues(adminReplica)) != 1 || logs.FilterMessage("deny list file read-only; entry held by this replica only").Len() != 1 {
		t.Error("not counted or logged as the replica's")
	}
	// The replica's entries are checked like the file's.
	if w, ans := serveAdmin(d, adminRequest("127.0.0.1:1", adminBearer, `{"username":"x","issued_before":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`)); w.Code != 400 ||
		!strings.Contains(strings.Join(ans.Problems, " "), "issued_before") {
		t.Errorf("bad replica entry: %d %s", w.Code, w.Body)
	}
	if d.replica.list.Status().Entries != 1 {
		t.Error("a refused replica entry changed the entries")
	}
}

// TestAdminEndpointBrokenFile: a file that does not load as it is (edited
// by hand since it loaded) gets no entry: 409, and the file is untouched.
func TestAdminEndpointBrokenFile(t *testing.T) {
	d, _ := testDenyList(t, adminSection, adminFiles())
	writeRenamed(t, d.setup.file, "# deny list\nnot json\n")
	w, ans := serveAdmin(d, adminRequest("127.0.0.1:1", adminBearer, `{"jti":"x"}`))
	if w.Code != 409 || !strings.Contains(strings.Join(ans.Problems, " "), "revoked.jsonl:2: not a JSON object") {
		t.Errorf("answer %d %s", w.Code, w.Body)
	}
	if readFile(t, d.setup.file) != "# deny list\nnot json\n" {
		t.Error("the file changed")
	}
	if testutil.ToFloat64(d.admin.vec.WithLabelValues(adminConflict)) != 1 {
		t.Error("not counted as a conflict")
	}
}

// TestAdminSecretReload: SIGHUP reads the secret again; a secret file
// that no longer reads keeps the one held.
func TestAdminSecretReload(t *testing.T) {
	d, logs := testDenyList(t, adminSection, adminFiles())
	next := strings.Repeat("n", 40)
	writeRenamed(t, d.setup.tokenFile, next+"\n")
	d.reload()
	if d.authorized([]string{"Bearer " + testAdminSecret}) || !d.authorized([]string{"bearer " + next}) {
		t.Error("the new secret is not the one in force")
	}
	writeRenamed(t, d.setup.tokenFile, "short")
	d.reload()
	if !d.authorized([]string{"Bearer " + next}) || logs.FilterMessage("revocation admin secret not reloaded; keeping the one held").Len() != 1 {
		t.Error("a bad secret file replaced the secret held")
	}
}

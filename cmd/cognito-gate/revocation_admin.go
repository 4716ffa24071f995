package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// revocationsPath is the admin endpoint that adds an entry to the deny
// list: POST, one entry as a JSON object (the members of a line of the
// file; expires optional), authenticated by the bearer secret of
// revocation.admin_token_file, from loopback peers only unless
// revocation.admin_allow_remote is set.
const revocationsPath = "/revocations"

// maxAdminBody bounds the request body: one entry, as long as a line of
// the file may be.
const maxAdminBody = revocation.MaxLineBytes

// adminRealm is the realm of the admin endpoint's challenges.
const adminRealm = "cognito-gate admin"

// routes adds POST /revocations to the admin listener's mux, when the
// deny list and revocation.admin_token_file are configured. Otherwise the
// path is not served (the mux answers 404).
func (d *denyList) routes(mux *http.ServeMux) {
	if d == nil || d.setup.tokenFile == "" {
		return
	}
	mux.HandleFunc("POST "+revocationsPath, d.serveAdd)
}

// adminAnswer is the JSON body of every answer of the endpoint.
type adminAnswer struct {
	// Scope is "file" (in the deny list file: every replica that reads
	// it) or "replica" (this process only); empty on errors.
	Scope string `json:"scope,omitempty"`
	// Entry is the line added.
	Entry json.RawMessage `json:"entry,omitempty"`
	// File and Line say where, for scope file.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Warning explains scope replica.
	Warning string `json:"warning,omitempty"`
	// Error and Problems say why nothing was added.
	Error    string   `json:"error,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// replicaWarning is the answer's warning for an entry held by one
// replica.
const replicaWarning = "the deny list file is read-only here (a ConfigMap?): this entry is held by this replica only, until it expires or the process restarts; other replicas do not refuse these tokens — add the entry to the file where it comes from"

// serveAdd is POST /revocations. In order: the peer (403), the secret
// (401), the body (415, 413, 400), then the entry is added to the file
// (201, scope file) or, when the file is read-only, to this replica
// (201, scope replica); an entry the list refuses is 400 with its
// problems, a file that does not load as it is 409. Every answer is
// logged (never the secret), every add at info.
func (d *denyList) serveAdd(w http.ResponseWriter, r *http.Request) {
	log := d.logger.With(zap.String("peer", r.RemoteAddr))
	refuse := func(status int, result, why string, problems []string) {
		d.admin.inc(result)
		log.Warn("revocation not added", zap.Int("status", status), zap.String("reason", why), zap.Strings("problems", problems))
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", adminRealm))
		}
		writeAdminAnswer(w, status, adminAnswer{Error: why, Problems: problems})
	}
	if !d.setup.allowRemote && !loopbackPeer(r.RemoteAddr) {
		refuse(http.StatusForbidden, adminForbidden, "only loopback peers may add entries (revocation.admin_allow_remote is not set)", nil)
		return
	}
	if !d.authorized(r.Header.Values("Authorization")) {
		refuse(http.StatusUnauthorized, adminUnauthorized, "a valid bearer secret (revocation.admin_token_file) is required", nil)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		refuse(http.StatusUnsupportedMediaType, adminInvalid, "want Content-Type: application/json", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			refuse(http.StatusRequestEntityTooLarge, adminInvalid, fmt.Sprintf("body larger than %d bytes; send one entry", maxAdminBody), nil)
			return
		}
		refuse(http.StatusBadRequest, adminInvalid, "reading the body: "+err.Error(), nil)
		return
	}
	now := time.Now()
	e, err := parseAdminEntry(body, now)
	if err != nil {
		refuse(http.StatusBadRequest, adminInvalid, "not an entry", []string{err.Error()})
		return
	}

	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	line := e.String()
	ans := adminAnswer{Entry: json.RawMessage(line)}
	n, err := d.write(d.setup.file, line, d.setup.opts, now)
	switch {
	case err == nil:
		ans.Scope, ans.File, ans.Line = "file", d.setup.file, n
		if err := d.file.Reload(); err != nil {
			// Only if the file changed again since: Watch or SIGHUP load it.
			log.Error("revocation file written but not loaded; keeping the entries held", zap.Error(err))
		}
		d.logged()
	case errors.Is(err, errReadOnly):
		if n, err = d.replica.add(e, now); err != nil {
			status, why, problems := entryRefused(err, 0)
			refuse(status, adminResult(status), why, problems)
			return
		}
		ans.Scope, ans.Warning = "replica", replicaWarning
		log.Warn("deny list file read-only; entry held by this replica only", zap.String("file", d.setup.file), zap.Int("replica_entries", n))
	default:
		status, why, problems := entryRefused(err, n)
		refuse(status, adminResult(status), why, problems)
		return
	}
	d.admin.inc(ans.Scope)
	log.Info("revocation added", zap.String("scope", ans.Scope), zap.String("kind", string(e.Kind)), zap.String("value", e.Value),
		zap.String("iss", e.Issuer), zap.Time("issued_before", e.IssuedBefore), zap.Time("expires", e.Expires), zap.String("note", e.Note),
		zap.String("file", ans.File), zap.Int("line", ans.Line))
	writeAdminAnswer(w, http.StatusCreated, ans)
}

// entryRefused is the answer to an entry that was not added because of
// err: the list's problems with it (400), or with the file as it is
// (409), or another failure (500). line is the entry's line in the file
// written (0: none, or the last of the replica's entries).
func entryRefused(err error, line int) (status int, why string, problems []string) {
	if !errors.Is(err, revocation.ErrInvalid) {
		return http.StatusInternalServerError, "the entry could not be written: " + err.Error(), nil
	}
	var own, others []string
	for _, e := range joined(err) {
		var fe *revocation.FileError
		switch {
		case !errors.As(e, &fe):
			others = append(others, e.Error())
		case fe.Line == line || (line == 0 && fe.Line > 0):
			own = append(own, strings.TrimPrefix(fe.Key+": "+fe.Problem, ": "))
		default:
			others = append(others, fe.Error())
		}
	}
	if len(own) > 0 {
		return http.StatusBadRequest, "the entry is not valid", own
	}
	return http.StatusConflict, "the deny list file does not load as it is; fix it first", others
}

// The results of the admin endpoint, cognito_gate_revocation_admin_requests_total's
// label values.
const (
	adminFile         = "file"
	adminReplica      = "replica"
	adminForbidden    = "forbidden"
	adminUnauthorized = "unauthorized"
	adminInvalid      = "invalid"
	adminConflict     = "conflict"
	adminFailed       = "failed"
)

// adminResult is the result of a refusal with status.
func adminResult(status int) string {
	switch status {
	case http.StatusBadRequest:
		return adminInvalid
	case http.StatusConflict:
		return adminConflict
	}
	return adminFailed
}

// authorized reports whether the Authorization values carry the admin
// secret: exactly one header, scheme Bearer (any case), the secret. The
// SHA-256 of what was sent is compared with the secret's in constant time,
// so that neither the secret's bytes nor its length show in the timing.
func (d *denyList) authorized(values []string) bool {
	if len(values) != 1 {
		return false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	want := d.token.Load()
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}

// loopbackPeer reports whether remote, a request's RemoteAddr, is a
// loopback address (127.0.0.0/8, ::1, or IPv4 loopback mapped to IPv6).
func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// writeAdminAnswer writes ans as JSON with status.
func writeAdminAnswer(w http.ResponseWriter, status int, ans adminAnswer) {
	b, err := json.Marshal(ans)
	if err != nil {
		// Unreachable: strings, ints and a line that is JSON.
		b = []byte(`{"error":"internal error"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// entryKeys are the members an entry may have, as the file names them.
const entryKeys = "jti, origin_jti, sub, username, client_id, iss, issued_before, expires, note"

// parseAdminEntry reads body, one JSON object with the members of a line
// of the deny list file, strictly (internal/jsonstrict: RFC 8259, valid
// UTF-8, no member name twice, also through escapes): every member a
// string, exactly one of jti, origin_jti, sub, username and client_id.
// expires defaults to revocation.ExpiresFor(now). The values themselves
// (empty, padded, control characters, the bounds of expires and
// issued_before, the issuer) are the list's to judge, when the entry is
// loaded with the file; expires must be after now here.
func parseAdminEntry(body []byte, now time.Time) (revocation.Entry, error) {
	var e revocation.Entry
	var expires, before string
	var hasExpires, hasBefore bool
	err := jsonstrict.ObjectEach(body, func(name, value []byte, kind jsonstrict.Kind) error {
		key := string(name)
		if kind != jsonstrict.StringKind {
			return fmt.Errorf("%s: want a string, got %s", clipValue(key), kind)
		}
		s, err := jsonstrict.String(value)
		if err != nil {
			return fmt.Errorf("%s: %w", clipValue(key), err)
		}
		switch key {
		case string(revocation.JTI), string(revocation.OriginJTI), string(revocation.Subject), string(revocation.Username), string(revocation.ClientID):
			if e.Kind != "" {
				return fmt.Errorf("%s and %s in one entry; an entry names one thing (send two)", e.Kind, key)
			}
			e.Kind, e.Value = revocation.Kind(key), s
		case "iss":
			if s == "" {
				return errors.New("iss: empty; leave it out for every pool")
			}
			e.Issuer = s
		case "issued_before":
			before, hasBefore = s, true
		case "expires":
			expires, hasExpires = s, true
		case "note":
			e.Note = s
		default:
			return fmt.Errorf("%s: unknown key; want one of %s", clipValue(key), entryKeys)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, jsonstrict.ErrSyntax) || errors.Is(err, jsonstrict.ErrDuplicateName) || errors.Is(err, jsonstrict.ErrType) || errors.Is(err, jsonstrict.ErrDepth) {
			return revocation.Entry{}, fmt.Errorf("not one JSON object: %s", strings.TrimPrefix(err.Error(), "jsonstrict: "))
		}
		return revocation.Entry{}, err
	}
	if e.Kind == "" {
		return revocation.Entry{}, errors.New("names no token: want one of jti, origin_jti, sub, username, client_id")
	}
	if hasBefore {
		if e.IssuedBefore, err = parseEntryTime(before); err != nil {
			return revocation.Entry{}, fmt.Errorf("issued_before: %w", err)
		}
	}
	e.Expires = revocation.ExpiresFor(now)
	if hasExpires {
		if e.Expires, err = parseEntryTime(expires); err != nil {
			return revocation.Entry{}, fmt.Errorf("expires: %w", err)
		}
	}
	return e, checkExpiresAhead(e, now)
}

// checkExpiresAhead refuses an entry that has expired at now: the list
// would skip it, and the caller would believe something was revoked.
func checkExpiresAhead(e revocation.Entry, now time.Time) error {
	if !now.Before(e.Expires) {
		return fmt.Errorf("expires: %s has passed; an entry must expire after now (leave expires out for %s from now)",
			e.Expires.UTC().Format(time.RFC3339), revocation.EntryLifetime)
	}
	return nil
}

// clipValue shortens s, which a client or an operator sent, for an error
// message.
func clipValue(s string) string { return msg.Clip(s, 64) }

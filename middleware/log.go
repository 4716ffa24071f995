package middleware

import (
	"net/http"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// logOutcome writes one line per request: denials at info (warn when the
// token could not be checked), allowed and canceled requests at debug. Fields have stable
// names; the token, its signature and key material are never logged.
func logOutcome(l *zap.Logger, r *http.Request, o *outcome) {
	lvl := zapcore.DebugLevel
	line := "request allowed"
	switch o.result {
	case ResultDenied:
		lvl, line = zapcore.InfoLevel, "request denied"
	case ResultUnavailable:
		lvl, line = zapcore.WarnLevel, "token could not be checked"
	case ResultSkipped, ResultPreflight:
		line = "request not checked"
	case ResultCanceled:
		// The client went away: nothing to act on, and at warn a client
		// could fill the log by hanging up.
		line = "request canceled"
	}
	ce := l.Check(lvl, line)
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 12)
	fields = append(fields,
		zap.String("result", o.result),
		zap.String("reason", string(o.reason)),
		zap.Int("status", o.status),
		zap.String("method", r.Method),
		zap.String("path", msg.Clip(r.URL.Path, maxLoggedPath)),
	)
	if o.rule != "" {
		fields = append(fields, zap.String("rule", o.rule))
	}
	if t := o.token; t != nil {
		fields = append(fields,
			zap.String("issuer", t.Issuer),
			zap.String("client_id", t.ClientID),
			zap.String("sub", t.Subject),
			zap.String("token_use", string(t.Use)),
		)
	}
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 {
		fields = append(fields, zap.String("request_id", id))
	}
	if o.err != nil && o.result != ResultAllowed {
		// Verification errors quote at most 64 bytes of attacker-chosen
		// strings (issuer, kid, alg) and never the token itself.
		fields = append(fields, zap.String("error", o.err.Error()))
	}
	if o.timed {
		fields = append(fields, zap.Duration("verify_time", o.verifyTime))
	}
	ce.Write(fields...)
}

// maxLoggedPath bounds the request path in a log line: paths come from
// clients and may be as long as the server's header limit.
const maxLoggedPath = 256

// LogJWKS returns a key set observer that logs fetch failures at warn (with
// whether the last good keys are still served) and skipped keys, key
// rotations at info, and other successful fetches at debug. Pass it as
// claims.Config.JWKS.Observer. A nil logger logs nothing.
func LogJWKS(l *zap.Logger) jwks.Observer {
	if l == nil {
		l = zap.NewNop()
	}
	return jwks.ObserverFunc(func(e jwks.FetchEvent) {
		base := []zap.Field{
			zap.String("issuer", e.Issuer),
			zap.String("trigger", string(e.Trigger)),
			zap.String("result", e.Result()),
			zap.Duration("duration", e.Duration),
			zap.Int("keys", e.Keys),
		}
		if e.Err != nil {
			msg := "jwks fetch failed, no keys to serve"
			if e.Keys > 0 {
				msg = "jwks fetch failed, serving last good keys"
				base = append(base, zap.Time("last_success", e.LastSuccess))
			}
			l.Warn(msg, append(base, zap.Error(e.Err))...)
			return
		}
		for _, s := range e.Skipped {
			l.Warn("jwks key skipped", zap.String("issuer", e.Issuer), zap.Int("index", s.Index), zap.String("kid", s.KeyID), zap.String("skip_reason", s.Reason), zap.String("skip_detail", s.Detail))
		}
		if len(e.Added) > 0 || len(e.Removed) > 0 {
			l.Info("jwks keys changed", append(base, zap.Strings("added", e.Added), zap.Strings("removed", e.Removed))...)
			return
		}
		if ce := l.Check(zapcore.DebugLevel, "jwks refreshed"); ce != nil {
			ce.Write(base...)
		}
	})
}

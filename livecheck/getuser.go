package livecheck

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// The AWS JSON 1.1 protocol of the user pool API.
const (
	getUserTarget = "AWSCognitoIdentityProviderService.GetUser"
	jsonProtocol  = "application/x-amz-json-1.1"
)

// answer is what a check found: a Result and the error Check returns for
// it (nil for ResultAccepted).
type answer struct {
	result Result
	err    error
}

// identity is what the token says of its user, which GetUser's answer
// must repeat.
type identity struct {
	username, sub string
}

// getUser calls GetUser at url with the access token raw and classifies
// the answer; ctx bounds the call.
func (c *Checker) getUser(ctx context.Context, url, raw string, want identity) answer {
	body, _ := json.Marshal(struct{ AccessToken string }{raw}) // a string cannot fail
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		// The URL was checked by New; only a broken context gets here.
		return answer{ResultUnexpected, errorf("%w: %v", ErrUnexpectedAnswer, err)}
	}
	h := req.Header
	h.Set("Content-Type", jsonProtocol)
	h.Set("X-Amz-Target", getUserTarget)
	h.Set("User-Agent", "cognito-gate-livecheck")
	resp, err := c.cfg.client.Do(req)
	if err != nil {
		return c.failed(ctx, err)
	}
	defer resp.Body.Close()
	max := c.cfg.maxResponseBytes
	if resp.ContentLength > max {
		return answer{ResultUnexpected, errorf("%w: %d bytes, more than %d", ErrUnexpectedAnswer, resp.ContentLength, max)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	switch {
	case err != nil:
		return c.failed(ctx, err)
	case int64(len(data)) > max:
		return answer{ResultUnexpected, errorf("%w: more than %d bytes", ErrUnexpectedAnswer, max)}
	}
	return classify(resp.StatusCode, resp.Header, data, want)
}

// failed is the answer of a call that ended with err before an answer
// was read whole.
func (c *Checker) failed(ctx context.Context, err error) answer {
	switch {
	case c.base.Err() != nil:
		return answer{ResultClosed, ErrClosed}
	case ctx.Err() != nil || isTimeout(err):
		return answer{ResultTimeout, errorf("%w: no answer within %s", ErrUnavailable, c.cfg.timeout)}
	}
	return answer{ResultUnavailable, errorf("%w: %v", ErrUnavailable, err)}
}

// isTimeout reports whether err is a timeout of the client or its
// transport.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) && te.Timeout()
}

// classify maps one answer of GetUser (status, header and the body read
// whole) to what it says of the token whose user is want.
func classify(status int, h http.Header, body []byte, want identity) answer {
	switch {
	case status == http.StatusOK:
		return parseUser(h, body, want)
	case status == http.StatusTooManyRequests:
		return answer{ResultThrottled, errorf("%w: throttled (HTTP 429)", ErrUnavailable)}
	case status >= 500 && status <= 599:
		code, message := errorOf(h, body)
		return answer{ResultUnavailable, errorf("%w: HTTP %d %s %s", ErrUnavailable, status, code, quote(message))}
	case status < 400 || status > 499:
		return answer{ResultUnexpected, errorf("%w: HTTP %d", ErrUnexpectedAnswer, status)}
	}
	code, message := errorOf(h, body)
	switch code {
	case "NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException", "UserNotConfirmedException":
		return answer{ResultRevoked, errorf("%w: %s %s", ErrRevoked, code, quote(message))}
	case "TooManyRequestsException", "ThrottlingException":
		return answer{ResultThrottled, errorf("%w: throttled: %s %s", ErrUnavailable, code, quote(message))}
	case "InternalErrorException":
		return answer{ResultUnavailable, errorf("%w: %s %s", ErrUnavailable, code, quote(message))}
	case "":
		return answer{ResultUnexpected, errorf("%w: HTTP %d without an exception name", ErrUnexpectedAnswer, status)}
	}
	return answer{ResultUnexpected, errorf("%w: HTTP %d %s %s", ErrUnexpectedAnswer, status, code, quote(message))}
}

// errorOf returns the exception name and message of an error answer of
// the AWS JSON 1.1 protocol: the name from the X-Amzn-ErrorType header,
// else the body's __type (or code); the message from the body's message
// (or Message). A name is cut as the AWS SDKs cut it ("aws.x#Name:url"
// is "Name"), and must then be a plain identifier of at most 64
// characters, else it is "". Any body is safe: what is not a strict JSON
// object gives no name and no message from the body.
func errorOf(h http.Header, body []byte) (code, message string) {
	var fromBody struct{ typ, code, message, Message string }
	_ = jsonstrict.ObjectEach(body, func(name, value []byte, kind jsonstrict.Kind) error {
		if kind != jsonstrict.StringKind {
			return nil
		}
		var dst *string
		switch string(name) {
		case "__type":
			dst = &fromBody.typ
		case "code":
			dst = &fromBody.code
		case "message":
			dst = &fromBody.message
		case "Message":
			dst = &fromBody.Message
		default:
			return nil
		}
		s, err := jsonstrict.String(value)
		*dst = s
		return err
	})
	return exceptionName(cmp.Or(h.Get("X-Amzn-ErrorType"), fromBody.typ, fromBody.code)), cmp.Or(fromBody.message, fromBody.Message)
}

// exceptionName cuts raw as the AWS SDKs do — up to the first ':' or ',',
// after the last '#' — and returns it when it is a plain identifier of 1
// to 64 ASCII letters and digits, else "".
func exceptionName(raw string) string {
	if i := strings.IndexAny(raw, ":,"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.LastIndexByte(raw, '#'); i >= 0 {
		raw = raw[i+1:]
	}
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 64 {
		return ""
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	return raw
}

// parseUser reads a 200 answer of GetUser: Content-Type
// application/x-amz-json-1.1 and a strict JSON object (internal/jsonstrict:
// no repeated member, valid UTF-8, bounded depth) with a string Username
// and a UserAttributes array of objects with string Name and Value, of
// which exactly one is named "sub". The token is accepted when Username
// and sub are the token's username and sub, byte for byte; an answer of
// another user is a mismatch; anything else is unexpected.
func parseUser(h http.Header, body []byte, want identity) answer {
	unexpected := func(what string) answer {
		return answer{ResultUnexpected, errorf("%w: HTTP 200 %s", ErrUnexpectedAnswer, what)}
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != jsonProtocol {
		return unexpected("with Content-Type " + quote(h.Get("Content-Type")))
	}
	var (
		username, sub      string
		hasUsername, attrs bool
		subs               int
	)
	err := jsonstrict.ObjectEach(body, func(name, value []byte, kind jsonstrict.Kind) error {
		switch string(name) {
		case "Username":
			s, err := jsonstrict.String(value)
			username, hasUsername = s, err == nil
			return err
		case "UserAttributes":
			attrs = true
			return jsonstrict.ArrayEach(value, func(v []byte, _ jsonstrict.Kind) error {
				n, val, err := attribute(v)
				if err == nil && n == "sub" {
					sub = val
					subs++
				}
				return err
			})
		}
		return nil
	})
	switch {
	case err != nil:
		return unexpected("that is not GetUser's answer: " + err.Error())
	case !hasUsername || !attrs:
		return unexpected("without Username and UserAttributes")
	case subs != 1:
		return unexpected("with " + strconv.Itoa(subs) + " sub attributes")
	case username != want.username || sub != want.sub:
		return answer{ResultMismatch, errorf("%w: username %s, sub %s, want %s, %s", ErrIdentityMismatch, quote(username), quote(sub), quote(want.username), quote(want.sub))}
	}
	return answer{ResultAccepted, nil}
}

// errAttribute refuses a UserAttributes element that is not an object of
// a string Name and a string Value.
var errAttribute = errors.New("an attribute that is not {\"Name\": string, \"Value\": string}")

// attribute reads one element of UserAttributes, {"Name": ..., "Value":
// ...} (Value may be absent, as AttributeType allows); other members are
// refused.
func attribute(v []byte) (name, value string, err error) {
	var hasName bool
	err = jsonstrict.ObjectEach(v, func(n, val []byte, _ jsonstrict.Kind) error {
		s, err := jsonstrict.String(val)
		if err != nil {
			return errAttribute
		}
		switch string(n) {
		case "Name":
			name, hasName = s, true
		case "Value":
			value = s
		default:
			return errAttribute
		}
		return nil
	})
	if err == nil && !hasName {
		err = errAttribute
	}
	if err != nil && !errors.Is(err, errAttribute) {
		err = errAttribute
	}
	return name, value, err
}

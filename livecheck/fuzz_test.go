package livecheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzClassify: whatever the endpoint answers, classify never panics,
// names one of the results with its sentinel, and accepts only a 200 of
// the protocol whose Username and single sub are the token's — checked
// against encoding/json reading the same body exactly (names compared
// byte for byte, no member repeated).
func FuzzClassify(f *testing.F) {
	const sub = "7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01"
	ok := `{"Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"},{"Name":"email","Value":"a@example.com"}]}`
	for _, seed := range []struct {
		status            int
		contentType, name string
		body              string
	}{
		{200, jsonProtocol, "", ok},
		{200, jsonProtocol, "", `{"Username":"alice","Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"}]}`},
		{200, jsonProtocol, "", `{"Username":"\u0061lice","UserAttributes":[{"Name":"sub"},{"Name":"sub","Value":"` + sub + `"}]}`},
		{200, "text/html", "", ok},
		{400, jsonProtocol, "", `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`},
		{400, jsonProtocol, "UserNotFoundException:http://x", `{}`},
		{400, jsonProtocol, "", `{"__type":"a.b#TooManyRequestsException:u","message":1}`},
		{429, "", "", ""},
		{500, jsonProtocol, "", `{"__type":"InternalErrorException"}`},
		{307, "", "", ""},
		{200, jsonProtocol, "", `[{"Username":"alice"}]`},
	} {
		f.Add(seed.status, seed.contentType, seed.name, []byte(seed.body))
	}
	want := identity{username: "alice", sub: sub}
	f.Fuzz(func(t *testing.T, status int, contentType, name string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("X-Amzn-ErrorType", name)
		a := classify(status, h, body, want)
		if !slices.Contains(results[:], a.result) {
			t.Fatalf("result %q is none of Results", a.result)
		}
		sentinel := map[Result]error{
			ResultRevoked: ErrRevoked, ResultMismatch: ErrIdentityMismatch, ResultUnexpected: ErrUnexpectedAnswer,
			ResultThrottled: ErrUnavailable, ResultUnavailable: ErrUnavailable,
		}[a.result]
		switch {
		case a.result == ResultAccepted && a.err != nil, a.result != ResultAccepted && a.err == nil:
			t.Fatalf("result %s with error %v", a.result, a.err)
		case sentinel == nil && a.result != ResultAccepted:
			t.Fatalf("classify made result %s", a.result)
		case sentinel != nil && !errors.Is(a.err, sentinel):
			t.Fatalf("result %s with error %v", a.result, a.err)
		case a.result == ResultRevoked && (status < 400 || status > 499 || status == 429):
			t.Fatalf("revoked on HTTP %d", status)
		}
		if a.err != nil && !utf8.ValidString(a.err.Error()) {
			t.Fatalf("error text is not UTF-8: %q", a.err.Error())
		}
		if a.result != ResultAccepted && a.result != ResultMismatch {
			return
		}
		if status != 200 {
			t.Fatalf("%s on HTTP %d", a.result, status)
		}
		got, ok := oracle(body)
		if !ok {
			t.Fatalf("%s, but the body is no GetUser answer: %q", a.result, body)
		}
		if (got == want) != (a.result == ResultAccepted) {
			t.Fatalf("%s for %+v", a.result, got)
		}
	})
}

// oracle reads body as GetUser's answer with encoding/json, exactly:
// an object with a string Username and a UserAttributes array of objects
// of a string Name and optional string Value, exactly one Name "sub"; no
// member repeated in any object.
func oracle(body []byte) (identity, bool) {
	if !json.Valid(body) || !utf8.Valid(body) || hasDuplicates(body) {
		return identity{}, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		return identity{}, false
	}
	var id identity
	var attrs []map[string]json.RawMessage
	if json.Unmarshal(top["Username"], &id.username) != nil || json.Unmarshal(top["UserAttributes"], &attrs) != nil || attrs == nil {
		return identity{}, false
	}
	subs := 0
	for _, at := range attrs {
		var name, value string
		if at == nil || json.Unmarshal(at["Name"], &name) != nil {
			return identity{}, false
		}
		for k := range at {
			if k != "Name" && k != "Value" {
				return identity{}, false
			}
		}
		if v, ok := at["Value"]; ok && json.Unmarshal(v, &value) != nil {
			return identity{}, false
		}
		if name == "sub" {
			id.sub = value
			subs++
		}
	}
	return id, subs == 1
}

// hasDuplicates reports whether any object in the valid JSON body repeats
// a member name.
func hasDuplicates(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	var walk func() bool
	walk = func() bool {
		tok, err := d.Token()
		if err != nil {
			return true
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				k, err := d.Token()
				if err != nil || seen[k.(string)] {
					return true
				}
				seen[k.(string)] = true
				if walk() {
					return true
				}
			}
			_, err = d.Token()
			return err != nil
		case json.Delim('['):
			for d.More() {
				if walk() {
					return true
				}
			}
			_, err = d.Token()
			return err != nil
		}
		return false
	}
	return walk()
}

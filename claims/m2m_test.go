package claims_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// m2mClient is the app client id of the machine-to-machine tests.
const m2mClient = "5m2mclient0000000000000000"

// TestMachineTokens: client-credentials access tokens, as Cognito issues
// them, verify like any access token of an accepted client, and read as a
// machine's.
func TestMachineTokens(t *testing.T) {
	f := newFixture(t, func(c *claims.Config) { c.Pools[0].ClientIDs = append(c.Pools[0].ClientIDs, m2mClient) })
	ctx := context.Background()
	tests := []struct {
		name       string
		token      string
		wantClient string
		wantScopes []string
	}{
		{"default client", f.pool.ClientCredentialsToken(), f.pool.ClientID(), []string{"gate-test/read"}},
		{"machine client with its scopes", f.pool.ClientCredentialsToken(cognitotest.WithClientID(m2mClient), cognitotest.WithScopes("orders/read", "orders/write")),
			m2mClient, []string{"orders/read", "orders/write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pass := range []string{"verified", "cache hit"} {
				tok, err := f.v.Verify(ctx, tt.token)
				if err != nil {
					t.Fatalf("%s: %v", pass, err)
				}
				if !tok.IsMachine() || tok.Caller() != tt.wantClient || tok.ClientID != tt.wantClient || tok.Subject != tt.wantClient {
					t.Errorf("%s: IsMachine %v, Caller %q, client %q, sub %q; want a machine, %q", pass, tok.IsMachine(), tok.Caller(), tok.ClientID, tok.Subject, tt.wantClient)
				}
				if tok.Username != "" || tok.Groups != nil || !slices.Equal(tok.Scopes, tt.wantScopes) || tok.Use != claims.AccessToken {
					t.Errorf("%s: username %q, groups %q, scopes %q, use %s", pass, tok.Username, tok.Groups, tok.Scopes, tok.Use)
				}
				if tok.UserPoolID() != f.pool.PoolID() {
					t.Errorf("%s: UserPoolID %q", pass, tok.UserPoolID())
				}
			}
		})
	}
	// A machine client the pool does not accept is wrong_client, as any.
	if _, err := f.v.Verify(ctx, f.pool.ClientCredentialsToken(cognitotest.WithClientID("0ther0client000000000000000"))); !errors.Is(err, claims.ErrWrongClient) {
		t.Errorf("unaccepted machine client: %v, want ErrWrongClient", err)
	}
	// A user's token is no machine's.
	tok, err := f.v.Verify(ctx, f.pool.AccessToken(cognitotest.WithUsername("bob")))
	if err != nil || tok.IsMachine() || tok.Caller() != "bob" {
		t.Errorf("user token: %v, IsMachine %v, Caller %q", err, tok != nil && tok.IsMachine(), tok.Caller())
	}
}

func TestCaller(t *testing.T) {
	tests := []struct {
		name    string
		tok     claims.Token
		machine bool
		caller  string
	}{
		{"user access token", claims.Token{Use: claims.AccessToken, Username: "alice", Subject: "uuid", ClientID: "c"}, false, "alice"},
		{"user id token", claims.Token{Use: claims.IDToken, Username: "alice", Subject: "uuid", ClientID: "c"}, false, "alice"},
		{"machine token", claims.Token{Use: claims.AccessToken, Subject: "c", ClientID: "c"}, true, "c"},
		{"no username, sub not the client", claims.Token{Use: claims.AccessToken, Subject: "uuid", ClientID: "c"}, false, ""},
		{"username equal to the client", claims.Token{Use: claims.AccessToken, Username: "c", Subject: "c", ClientID: "c"}, false, "c"},
		{"id token without username", claims.Token{Use: claims.IDToken, Subject: "c", ClientID: "c"}, false, ""},
		{"empty", claims.Token{Use: claims.AccessToken}, false, ""},
	}
	for _, tt := range tests {
		if got := tt.tok.IsMachine(); got != tt.machine {
			t.Errorf("%s: IsMachine() = %v, want %v", tt.name, got, tt.machine)
		}
		if got := tt.tok.Caller(); got != tt.caller {
			t.Errorf("%s: Caller() = %q, want %q", tt.name, got, tt.caller)
		}
	}
}

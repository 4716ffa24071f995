package cognitotest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

func Example() {
	pool, err := cognitotest.Start(cognitotest.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()

	jwksURL, _ := url.Parse(pool.JWKSURL())
	fmt.Println("issuer:", pool.Issuer())
	fmt.Println("jwks:", jwksURL.Hostname(), jwksURL.Path)

	token := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin"))
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	fmt.Println("claims:", slices.Sorted(maps.Keys(claims)))
	fmt.Println("token_use:", claims["token_use"], "username:", claims["username"], "groups:", claims["cognito:groups"])
	// Output:
	// issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_GateTest1
	// jwks: 127.0.0.1 /us-east-1_GateTest1/.well-known/jwks.json
	// claims: [auth_time client_id cognito:groups event_id exp iat iss jti origin_jti scope sub token_use username version]
	// token_use: access username: bob groups: [admin]
}

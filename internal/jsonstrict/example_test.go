package jsonstrict_test

import (
	"errors"
	"fmt"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// This example decodes the claims of a token payload, matching member names
// exactly and refusing a repeated claim.
func ExampleObjectEach() {
	payload := []byte(`{"token_use":"access","exp":1700003600,"cognito:groups":["admin","dev"]}`)

	var (
		tokenUse string
		exp      int64
		groups   []string
	)
	err := jsonstrict.ObjectEach(payload, func(name, value []byte, kind jsonstrict.Kind) error {
		var err error
		switch string(name) {
		case "token_use":
			tokenUse, err = jsonstrict.String(value)
		case "exp":
			exp, err = jsonstrict.Int64(value)
		case "cognito:groups":
			groups, err = jsonstrict.Strings(value)
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		return nil
	})
	fmt.Println(tokenUse, exp, groups, err)

	// A second token_use, even spelled with an escape, is rejected before
	// the callback sees it.
	err = jsonstrict.ObjectEach([]byte(`{"token_use":"id","\u0074oken_use":"access"}`), func(name, value []byte, kind jsonstrict.Kind) error {
		return nil
	})
	fmt.Println(errors.Is(err, jsonstrict.ErrDuplicateName))

	// Output:
	// access 1700003600 [admin dev] <nil>
	// true
}

func ExampleInt64() {
	for _, v := range []string{`1700000000`, `1.7e9`, `"1700000000"`, `9223372036854775808`} {
		n, err := jsonstrict.Int64([]byte(v))
		fmt.Println(n, errors.Is(err, jsonstrict.ErrType), errors.Is(err, jsonstrict.ErrRange))
	}
	// Output:
	// 1700000000 false false
	// 0 true false
	// 0 true false
	// 0 false true
}

package main

import (
	"errors"
	"fmt"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// problem is a configuration problem the verifier found, placed in the
// file.
type problem struct{ field, msg string }

// claimsProblems has the verifier check cc, everything New would check
// (the pools, the algorithms, the leeway, the key cache's settings), and
// places each problem at the key it is about: pools[i].<key> for a pool's
// (whose line is that of pools[i] when the key is not in the file),
// the top-level key otherwise. The messages are claims', which name
// settings by their keys.
func claimsProblems(cc claims.Config) []problem {
	var out []problem
	for _, e := range joined(cc.Validate()) {
		var ce *claims.ConfigError
		switch {
		case e == nil:
		case !errors.As(e, &ce):
			out = append(out, problem{"", e.Error()}) // not expected: claims returns only ConfigErrors
		case ce.Pool >= 0:
			field := fmt.Sprintf("pools[%d]", ce.Pool)
			switch ce.Key {
			case "":
			case "keys":
				field += ".keys_file" // the file holds what claims calls keys
			default:
				field += "." + ce.Key
			}
			// The file names claims' keys "keys_file": it holds them.
			out = append(out, problem{field, msg.GoNames(ce.Problem, map[string]string{"keys": "keys_file"})})
		default:
			out = append(out, problem{ce.Key, ce.Problem})
		}
	}
	return out
}

package claims

import (
	"context"

	"github.com/cognito-gate/cognito-gate/internal/tokenkey"
)

// The context key is internal (tokenkey.Key), so that no package outside
// this module can read or overwrite the value.

// NewContext returns a copy of ctx that carries t.
func NewContext(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, tokenkey.Key{}, t)
}

// FromContext returns the verified token stored in ctx by NewContext (the
// middleware does this), and whether there was one.
func FromContext(ctx context.Context) (*Token, bool) {
	t, ok := ctx.Value(tokenkey.Key{}).(*Token)
	return t, ok && t != nil
}

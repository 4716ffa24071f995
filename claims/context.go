package claims

import "context"

// contextKey is the unexported type of the context key, so no other package
// can read or overwrite the value.
type contextKey struct{}

// NewContext returns a copy of ctx that carries t.
func NewContext(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, contextKey{}, t)
}

// FromContext returns the verified token stored in ctx by NewContext (the
// middleware does this), and whether there was one.
func FromContext(ctx context.Context) (*Token, bool) {
	t, ok := ctx.Value(contextKey{}).(*Token)
	return t, ok && t != nil
}

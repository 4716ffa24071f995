// Package tokenkey holds the context key under which a verified token
// travels: claims.NewContext and claims.FromContext use it, and the
// middleware's own context of an admitted request answers for it without
// a second context value. Being internal, no package outside this module
// can read or overwrite the value under it.
package tokenkey

// Key is the context key of the verified *claims.Token.
type Key struct{}

package claims

import (
	"bytes"
	"reflect"
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// compact returns the entry the cache stores for e, a verified token
// (e.tok) and its text (e.raw): a copy that holds no memory but its own.
//
// What the verifier leaves behind is made for one request, not for
// minutes in a cache: the claims JSON is a slice of the buffer the whole
// token was decoded into (header and signature too), every string claim
// is an allocation of its own, the text is a slice of the request's
// header value (a Cookie header that held it may hold much more), and
// the token and its entry are two objects. The copy has the text and
// every string of the token in one allocation (the strings are slices of
// it), the claims JSON in one of its exact size, the groups, scopes and
// roles in one array, and the token inside the entry: 5 allocations
// (6 with identities) instead of ~20, and ~2.6 KB instead of ~3.3 KB for
// a 1.1 KB access token. Its Token is equal to e.tok field by field.
func compact(e *cacheEntry) *cacheEntry {
	t := e.tok
	ce := &cacheEntry{key: e.key, p: e.p, val: *t}
	v := &ce.val
	n := len(t.Groups) + len(t.Scopes) + len(t.Roles)
	if n > 0 {
		buf := make([]string, n)
		v.Groups, buf = cloneInto(t.Groups, buf)
		v.Scopes, buf = cloneInto(t.Scopes, buf)
		v.Roles, _ = cloneInto(t.Roles, buf)
	}
	v.Identities = slices.Clone(t.Identities)
	v.payload = bytes.Clone(t.payload)
	shared := intern(v, e.p, e.key)

	text := len(e.raw)
	eachString(v, func(s *string) {
		if !shared.has(s) {
			text += len(*s)
		}
	})
	var b strings.Builder
	b.Grow(text)
	b.WriteString(e.raw)
	eachString(v, func(s *string) {
		if !shared.has(s) {
			b.WriteString(*s)
		}
	})
	arena := b.String()
	ce.raw, arena = arena[:len(e.raw)], arena[len(e.raw):]
	eachString(v, func(s *string) {
		if !shared.has(s) {
			*s, arena = arena[:len(*s)], arena[len(*s):]
		}
	})
	ce.tok = v
	ce.bytes = allocBytes(entryStructBytes) + allocBytes(int64(text)) + allocBytes(int64(len(v.payload))) +
		allocBytes(int64(n)*stringHeaderBytes) + allocBytes(int64(len(v.Identities))*identityStructBytes) + mapSlotBytes
	return ce
}

// internedFields are the fields of a Token that intern pointed at shared
// strings.
type internedFields struct {
	f [4]*string
	n int
}

func (f *internedFields) has(s *string) bool { return slices.Contains(f.f[:f.n], s) }

// intern points the strings of t that every token of its pool and key
// repeats — the issuer, the app client, the kid and the alg — at the
// configuration's and the key's own copies, when they are equal, and
// returns the fields it changed. (A 1.1 KB access token spends ~140
// bytes on them.)
func intern(t *Token, p *pool, key *jwks.Key) (shared internedFields) {
	set := func(field *string, s string) {
		if *field == s {
			*field = s
			shared.f[shared.n] = field
			shared.n++
		}
	}
	if p != nil {
		set(&t.Issuer, p.issuer)
		if i := slices.Index(p.clients, t.ClientID); i >= 0 {
			set(&t.ClientID, p.clients[i])
		}
	}
	if key != nil {
		set(&t.KeyID, key.ID)
		if key.Alg != "" {
			set(&t.Algorithm, key.Alg)
		}
	}
	return shared
}

// eachString calls f with every string of t that comes from the token's
// text: its string fields and the elements of its string slices and
// identities. (Use is always one of the package's constants.)
// TestCompactCoversEveryString holds it to Token's fields.
func eachString(t *Token, f func(*string)) {
	for _, s := range [...]*string{
		&t.Issuer, &t.Subject, &t.Username, &t.ClientID, &t.PreferredRole, &t.Email,
		&t.JTI, &t.OriginJTI, &t.EventID, &t.KeyID, &t.Algorithm,
	} {
		f(s)
	}
	for _, ss := range [...][]string{t.Groups, t.Scopes, t.Roles} {
		for i := range ss {
			f(&ss[i])
		}
	}
	for i := range t.Identities {
		id := &t.Identities[i]
		f(&id.UserID)
		f(&id.ProviderName)
		f(&id.ProviderType)
		f(&id.Issuer)
	}
}

// Sizes for entrySize.
var (
	entryStructBytes    = int64(reflect.TypeFor[cacheEntry]().Size())
	identityStructBytes = int64(reflect.TypeFor[Identity]().Size())
	stringHeaderBytes   = int64(reflect.TypeFor[string]().Size())
)

// mapSlotBytes is an entry's share of its shard's map: a slot of a key
// (uint64) and a value (a pointer) and its control byte, doubled because
// a map that grows by doubling runs between half full and full (7/8).
const mapSlotBytes = 2 * (8 + 8 + 1)

// sizeClasses are the Go allocator's size classes for small objects
// (runtime/sizeclasses.go, unchanged since Go 1.13).
var sizeClasses = [...]int64{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
	20480, 21760, 24576, 27264, 28672, 32768,
}

// allocBytes is the memory the allocator takes for an object of n bytes:
// its size class, or whole 8 KiB pages above 32 KiB. Zero takes nothing.
func allocBytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if i, _ := slices.BinarySearch(sizeClasses[:], n); i < len(sizeClasses) {
		return sizeClasses[i]
	}
	return (n + 8191) &^ 8191
}

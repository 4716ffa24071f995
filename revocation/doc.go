// Package revocation is a deny list of Cognito tokens, read from a file:
// the claims.Denylist that closes the window Cognito's own revocation
// leaves open.
//
// RevokeToken, GlobalSignOut, AdminUserGlobalSignOut and disabling a user
// end refresh tokens at once, but every access and ID token already
// issued stays valid, for up to a day, to any verifier that checks only
// signatures and times. A List refuses such tokens: give it to
// claims.Config.Denylist and the verifier asks it about every token that
// passed every other check, cache hits included (claims.ErrRevoked,
// reason revoked, 401).
//
// # The file
//
// One entry per line, each a JSON object (JSON lines); blank lines and
// lines starting with '#' are skipped. An entry names exactly one thing
// the token carries, and when it may go:
//
//	{"jti":"5f0c…","expires":"2026-11-23T12:05:00Z"}
//	{"origin_jti":"9b2e…","expires":"2026-11-23T12:05:00Z","note":"RevokeToken, ticket 4711"}
//	{"sub":"7d1e5b8a-…","issued_before":"2026-11-22T12:00:00Z","expires":"2026-11-23T12:05:00Z"}
//	{"username":"alice","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC","expires":"2026-11-23T12:05:00Z"}
//	{"client_id":"1example23456789","issued_before":"2026-11-22T12:00:00Z","expires":"2026-11-23T12:05:00Z"}
//
// The members:
//
//   - jti: one token. origin_jti: every access and ID token of one
//     sign-in, which share the origin_jti of their refresh token — what
//     RevokeToken ends. sub (the user's id) or username (username of
//     access tokens, cognito:username of ID tokens): one user's tokens.
//     client_id: one app client's tokens (client_id of access tokens, aud
//     of ID tokens). Exactly one of them per entry.
//   - issued_before (sub, username and client_id only): a watermark; only
//     tokens whose sign-in began before it are refused, so the user can
//     sign in again. The sign-in's start is the token's auth_time when it
//     has one earlier than its iat, else its iat: a token refreshed after
//     the watermark from a sign-in before it is refused too, which is what
//     "sign out everywhere" means — and it holds even when the refresh
//     token was not revoked at Cognito. A token whose sign-in began at the
//     watermark's second or later passes: write the moment of the
//     sign-out rounded up to the second. Without issued_before, every
//     token of the user or client is refused until the entry expires (a
//     disabled user). At most MaxClockSkew in the future.
//   - iss (optional): only tokens of that user pool. A Cognito issuer
//     names the pool, in either form and any region: the original and
//     updated forms of one pool, and a replica region's issuer, are one
//     pool (its id); any other issuer is compared exactly. Usernames are
//     unique only within a pool. When Options.Issuers is set, iss must
//     name one of their pools.
//   - expires (required): when the entry stops matching and is dropped.
//     No entry needs to outlive the tokens it stops: Cognito access and
//     ID tokens live at most a day (an app client's token validity ranges
//     from five minutes to one day), and the verifier accepts them for at
//     most claims.MaxLeeway past exp, so an entry made at T needs T plus
//     EntryLifetime (24h5m; ExpiresFor). An expires further than
//     MaxLifetime (24h10m: five more minutes for the clocks of the writer
//     and the gate) from now is refused, so that a wrong year cannot
//     hold an entry, and memory, for years.
//   - note (optional, at most MaxNoteBytes): for people; not kept.
//
// Times are RFC 3339 in whole seconds. Values are compared byte for byte,
// as Cognito writes them: jti values are case-sensitive strings, sub and
// origin_jti lowercase UUIDs; for usernames, write the username Cognito
// stores (a case-insensitive pool still puts one spelling in its tokens),
// or better, the sub. A value must not be empty (a token without the
// claim matches nothing), padded or longer than MaxValueBytes; an unknown
// member, a member given twice, two kinds in one entry or a line that is
// not exactly one JSON object (internal/jsonstrict: RFC 8259, valid UTF-8,
// no duplicate names) is an error. The same rule on several lines counts
// once, with the latest expires.
//
// # Loading
//
// Load reads and checks the whole file, then publishes its entries at
// once; a file with any problem is refused as a whole, with one
// *FileError per problem naming the file, the line and the key
// ("revoked.jsonl:3: expires: …"), and the list held stays. Entries that
// have already expired are skipped. Reload loads the same file again (for
// SIGHUP); Watch loads it whenever it changes, polled on ticks the caller
// gives it (a ConfigMap or shared volume updates every replica). There is
// no file system notification dependency.
//
// # Bounds
//
// A file holds at most Options.MaxEntries entries that have not expired
// (DefaultMaxEntries, 100,000; at most EntriesLimit) in at most
// Options.MaxFileBytes bytes (32 MiB by default), lines of at most
// MaxLineBytes: a larger file is refused. Held, an entry costs about
// 150 bytes with a 36-byte value (TestMemoryPerEntry measures it: about
// 15 MB for 100,000 entries, 150 MB for EntriesLimit); while a load
// builds the new list, the file's bytes and the list held are in memory
// too. Expired entries match nothing at once, and are dropped from memory
// at the next load, by Prune, or by Watch once an eighth of the list has
// expired.
//
// # Lookups
//
// Revoked reads an immutable snapshot through one atomic pointer load (no
// lock; loads never make a lookup wait), asks a blocked Bloom filter (16
// bits an entry, one cache line per claim, all asked at once) about the
// token's jti, origin_jti, sub, username and client, and looks in a map
// only for a value the filter may hold (every entry's value, and about
// 0.3% of the others); it allocates nothing. BenchmarkLookup measures it
// with 100,000 entries, BenchmarkVerify a cold and a cached verification
// with and without such a list, and bench/'s BenchmarkRevocationInterleaved the
// ratio of the two verifications, alternately: the list adds about 1%.
package revocation

// Package jsonstrict scans and decodes untrusted JSON exactly, for the
// headers and payloads of JSON Web Tokens.
//
// The package does not unmarshal into structs. ObjectEach and ArrayEach walk
// one object or array and hand each member or element to a callback as raw,
// already validated bytes together with its Kind; the decoders String,
// AppendString, Int64, Bool and Strings then turn one such value into a Go
// value. Valid checks a whole document without calling back.
//
// Every entry point applies the same rules, each for a security reason:
//
//   - Member names are compared byte for byte after unescaping, never case
//     insensitively as encoding/json matches struct fields, so "Token_Use"
//     cannot stand in for "token_use".
//   - A member name may appear only once in each object, compared after
//     unescaping, so a later "token_use" or "\u0074oken_use" cannot override
//     an earlier one that another parser (for example the one that signed
//     or logged the token) may have read instead.
//   - The input must be valid JSON as RFC 8259 defines it: no trailing
//     commas, leading zeros, bad escapes, control characters in strings or
//     trailing data, so that every consumer of a token agrees on what it says.
//   - Strings must be valid UTF-8 and may not contain lone UTF-16 surrogate
//     escapes, which other decoders silently replace with U+FFFD, making two
//     different names or values compare equal.
//   - Arrays and objects may nest at most MaxDepth levels, which bounds the
//     stack used by an attacker-chosen document.
//   - Decoders refuse values of the wrong type: Int64 accepts only integers
//     written without fraction or exponent and reports overflow instead of
//     rounding, Bool accepts only true and false.
//
// Errors wrap the sentinels in errors.go and never quote more than 32 bytes
// of the input, because tokens are attacker-controlled and may be secret.
//
// Scanning an object whose member names contain no escapes allocates
// nothing. All functions are safe for concurrent use; the package holds no
// mutable state.
package jsonstrict

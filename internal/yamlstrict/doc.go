// Package yamlstrict decodes YAML configuration strictly, with an error for
// every problem that says where it is. It is the one YAML decoder of the
// module: package policy reads policy files with it and cognito-gate its
// configuration file (and the policy inline in it), so both follow the same
// rules, and it is the only package that imports the YAML library.
//
// The rules:
//
//   - A file holds exactly one YAML document: a second one (after "---")
//     is an error, not ignored; an empty file or a null document is
//     reported to the caller as such (Parse returns a nil root).
//   - Anchors and aliases are refused wherever they are: they let a small
//     file expand into a large configuration, and make a line number
//     ambiguous.
//   - Mapping keys are plain strings; an unknown key and a repeated key
//     are errors.
//   - Values have the type the field wants: a list, a mapping, a string
//     (numbers, booleans and dates are read as the text written, so that
//     a group may be called 2024), true or false, a whole number
//     (optionally with a KiB, MiB or GiB suffix), a duration. Null,
//     !!binary and custom tags are refused for all of them; only an
//     optional field (a pointer, for Decode) takes null, as unset.
//   - When the Decoder has an environment, ${VAR} and ${VAR:-default} in a
//     value are replaced: by VAR's value when it is set and not empty,
//     else by default, else the value is an error naming VAR. Keys are
//     never substituted. A substituted value is text: it is then read as
//     the field's type, so that "enabled: ${FLAG:-false}" is a boolean.
//     Without an environment, "${" is text like any other.
//   - A panic of the YAML parser (which is not ours) is an error, not a
//     crash. Only the parser runs under recover, so that a bug in this
//     package or in its callers still panics where tests and fuzzers see
//     it.
//
// Decoding never stops at the first problem: each is recorded as an *Error
// with the file, line and field path ("pools[0].client_ids",
// "rules[2].any_of[0].claims[1].equals") and the walk goes on with the
// next value, so that one run reports everything wrong with a file. The
// Decoder also remembers the line of every field it read, so that a
// caller's later validation can point at the field too (Line), and which
// fields it could not read, so that such validation can stay silent about
// them rather than report their zero values (Reported).
//
// A Decoder is for one document and one goroutine.
package yamlstrict

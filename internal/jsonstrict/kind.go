package jsonstrict

import "strconv"

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values. Invalid is the zero Kind and describes no value.
// The kind of strings is StringKind, not String, because String is the
// decoder for string values.
const (
	Invalid Kind = iota
	Null
	False
	True
	Number
	StringKind
	Array
	Object
)

// String returns the lowercase JSON name of k, such as "number", or
// "invalid" for Invalid.
func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case Null:
		return "null"
	case False:
		return "false"
	case True:
		return "true"
	case Number:
		return "number"
	case StringKind:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOf returns the Kind of the JSON value that starts at the first byte of
// value, judging by that byte alone, or Invalid if value is empty or starts
// with a byte that begins no JSON value. It does not validate the rest.
func kindOf(value []byte) Kind {
	if len(value) == 0 {
		return Invalid
	}
	switch c := value[0]; c {
	case '"':
		return StringKind
	case '{':
		return Object
	case '[':
		return Array
	case 't':
		return True
	case 'f':
		return False
	case 'n':
		return Null
	default:
		if c == '-' || isDigit(c) {
			return Number
		}
	}
	return Invalid
}

package jsonstrict

import "fmt"

// ObjectEach calls fn for every member of the JSON object that is the whole
// of data, surrounding whitespace allowed, in document order.
//
// name is the member's name with its escapes decoded. value is the raw
// bytes of the member's value, a sub-slice of data that has already been
// validated and can be passed to String, Int64, Bool or Strings; kind is its
// type. If the name had no escapes, name is a sub-slice of data too;
// otherwise it points into a scratch buffer and is valid only during the
// call, so fn must copy it to keep it. fn must not modify name, value or
// data.
//
// If fn returns an error, ObjectEach stops and returns that error
// unchanged. Otherwise ObjectEach returns an error wrapping ErrSyntax if
// data is not valid JSON (including invalid UTF-8 in strings and lone
// surrogate escapes), ErrDuplicateName if any object in data, at any depth,
// repeats a member name, ErrDepth if data nests more than MaxDepth levels
// deep, or ErrNotObject if data is valid JSON but not an object.
//
// ObjectEach scans data once and calls fn as it goes, so fn may already have
// been called for the members before the point where ObjectEach found an
// error. Callers must discard everything fn collected if ObjectEach returns
// an error. A duplicate name is reported before fn sees its second
// occurrence.
//
// A nil fn only validates data, like Valid, and reports why it is invalid.
func ObjectEach(data []byte, fn func(name []byte, value []byte, kind Kind) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return eofError(i)
	}
	var err error
	if data[i] == '{' {
		i, err = scanObject(data, i, 1, fn)
	} else {
		var kind Kind
		i, kind, err = scanValue(data, i, 0)
		if err == nil {
			err = checkEnd(data, i)
		}
		if err == nil {
			return fmt.Errorf("jsonstrict: top level is %s: %w", kind, ErrNotObject)
		}
	}
	if err != nil {
		return err
	}
	return checkEnd(data, i)
}

// ArrayEach calls fn for every element of the JSON array that is the whole
// of data, surrounding whitespace allowed, in document order.
//
// value is the raw bytes of the element, a sub-slice of data that has
// already been validated and can be passed to String, Int64, Bool or
// Strings; kind is its type. fn must not modify value or data.
//
// If fn returns an error, ArrayEach stops and returns that error unchanged.
// Otherwise ArrayEach returns an error wrapping ErrSyntax, ErrDuplicateName
// or ErrDepth under the same rules as ObjectEach, or an error wrapping
// ErrType if data is valid JSON but not an array. As with ObjectEach, fn may
// have been called for elements before an error was found, and callers must
// then discard what fn collected.
//
// A nil fn only validates data.
func ArrayEach(data []byte, fn func(value []byte, kind Kind) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return eofError(i)
	}
	var err error
	if data[i] == '[' {
		i, err = scanArray(data, i, 1, fn)
	} else {
		var kind Kind
		i, kind, err = scanValue(data, i, 0)
		if err == nil {
			err = checkEnd(data, i)
		}
		if err == nil {
			return fmt.Errorf("jsonstrict: top level is %s, want array: %w", kind, ErrType)
		}
	}
	if err != nil {
		return err
	}
	return checkEnd(data, i)
}

// Valid reports whether data is exactly one valid JSON value, surrounding
// whitespace allowed, under the rules of ObjectEach: RFC 8259 grammar, valid
// UTF-8 in strings, no lone surrogate escapes, no duplicate member names in
// any object, and no nesting deeper than MaxDepth.
func Valid(data []byte) bool {
	return validate(data) == nil
}

// validate returns nil if Valid(data) holds and otherwise an error saying
// why not, wrapping ErrSyntax, ErrDuplicateName or ErrDepth.
func validate(data []byte) error {
	i := skipSpace(data, 0)
	i, _, err := scanValue(data, i, 0)
	if err != nil {
		return err
	}
	return checkEnd(data, i)
}

// checkEnd returns an error wrapping ErrSyntax unless only whitespace
// follows offset i of data.
func checkEnd(data []byte, i int) error {
	if i = skipSpace(data, i); i < len(data) {
		return charError(i, data[i], "after top-level value")
	}
	return nil
}

// smallNames is how many member names of one object duplicate detection
// keeps in a fixed-size array, compared by linear scan, before it moves them
// to a map. Objects up to this size are checked without allocating.
const smallNames = 16

// scanObject validates the JSON object whose opening brace is at offset i of
// data and returns the offset just past its closing brace. depth counts the
// object itself and the arrays and objects that enclose it. If fn is not
// nil, scanObject calls it for every member as ObjectEach documents.
func scanObject(data []byte, i, depth int, fn func(name, value []byte, kind Kind) error) (int, error) {
	var (
		small   [smallNames][]byte // The first member names, unescaped.
		n       int                // How many of small are in use.
		big     map[string]struct{}
		scratch []byte // Unescaped names; append-only, so earlier names stay intact.
	)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(data) {
			return i, eofError(i)
		}
		if data[i] != '"' {
			return i, charError(i, data[i], "looking for beginning of member name")
		}
		start := i
		end, escaped, err := scanString(data, i)
		if err != nil {
			return end, err
		}
		name := data[start+1 : end-1 : end-1]
		if escaped {
			if scratch == nil {
				scratch = make([]byte, 0, 64)
			}
			off := len(scratch)
			scratch = appendUnescaped(scratch, name)
			name = scratch[off:len(scratch):len(scratch)]
		}

		if big == nil {
			for _, seen := range small[:n] {
				if string(seen) == string(name) {
					return start, duplicateError(start, name)
				}
			}
			if n < len(small) {
				small[n] = name
				n++
			} else {
				big = make(map[string]struct{}, 4*smallNames)
				for _, seen := range small {
					big[string(seen)] = struct{}{}
				}
				big[string(name)] = struct{}{}
			}
		} else {
			if _, ok := big[string(name)]; ok {
				return start, duplicateError(start, name)
			}
			big[string(name)] = struct{}{}
		}

		i = skipSpace(data, end)
		if i >= len(data) {
			return i, eofError(i)
		}
		if data[i] != ':' {
			return i, charError(i, data[i], "after member name")
		}
		i = skipSpace(data, i+1)
		vstart := i
		var kind Kind
		i, kind, err = scanValue(data, i, depth)
		if err != nil {
			return i, err
		}
		if fn != nil {
			if err := fn(name, data[vstart:i:i], kind); err != nil {
				return i, err
			}
		}

		i = skipSpace(data, i)
		if i >= len(data) {
			return i, eofError(i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == '}' {
				return i, syntaxError(i, "trailing comma in object")
			}
		case '}':
			return i + 1, nil
		default:
			return i, charError(i, data[i], "after object member")
		}
	}
}

// scanArray validates the JSON array whose opening bracket is at offset i
// of data and returns the offset just past its closing bracket. depth counts
// the array itself and the arrays and objects that enclose it. If fn is not
// nil, scanArray calls it for every element as ArrayEach documents.
func scanArray(data []byte, i, depth int, fn func(value []byte, kind Kind) error) (int, error) {
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for {
		vstart := i
		var (
			kind Kind
			err  error
		)
		i, kind, err = scanValue(data, i, depth)
		if err != nil {
			return i, err
		}
		if fn != nil {
			if err := fn(data[vstart:i:i], kind); err != nil {
				return i, err
			}
		}

		i = skipSpace(data, i)
		if i >= len(data) {
			return i, eofError(i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == ']' {
				return i, syntaxError(i, "trailing comma in array")
			}
		case ']':
			return i + 1, nil
		default:
			return i, charError(i, data[i], "after array element")
		}
	}
}

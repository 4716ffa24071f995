package yamlstrict

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// FuzzDecode feeds arbitrary text to Parse and Decode. They must never
// panic; every problem must name the file, a line inside it and a message;
// and decoding the same text twice must give the same errors in the same
// order, and the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"name: a\non: true\nwait: 1s\nsize: 1KiB\nlist: [a, b]\nitems:\n  - {name: x, port: 1}\nlabels: {a: b}\nraw: {x: [1]}\nsub: {a: b}\n",
		"name: ${NAME}\non: ${YES}\nwait: ${NOPE:-1s}\nsize: ${BIG}\n",
		"name: [\n",
		"a: 1\n---\nb: 2\n",
		"items:\n  - &a {name: x}\n  - *a\n",
		"<<: {name: a}\n",
		"labels:\n  a: 1\n  a: 2\n  ? [x]\n  : y\n",
		"\xff\xfen\x00a\x00m\x00e\x00:\x00 \x00a\x00\n\x00",
		"name: !!binary aGk=\non: !custom true\n",
		"size: 9223372036854775807\ncount: 99999999999999999999\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c1, d1, ok1 := decode(string(data), lookup)
		c2, d2, ok2 := decode(string(data), lookup)
		if ok1 != ok2 || !reflect.DeepEqual(errorTexts(d1), errorTexts(d2)) {
			t.Fatalf("two decodings differ:\n%v\n%v", errorTexts(d1), errorTexts(d2))
		}
		c1.Raw, c2.Raw = nil, nil
		if !reflect.DeepEqual(c1, c2) {
			t.Fatalf("two decodings differ: %+v, %+v", c1, c2)
		}
		lines := lineCount(data)
		for _, e := range d1.Errors() {
			if e.File != "t.yaml" || e.Line < 0 || e.Line > lines || e.Msg == "" {
				t.Fatalf("error %q: file %q, line %d of %d", e, e.File, e.Line, lines)
			}
		}
		if !ok1 && len(d1.Errors()) == 0 {
			t.Fatal("Parse failed without an error")
		}
	})
}

func errorTexts(d *Decoder) []string {
	var s []string
	for _, e := range d.Errors() {
		s = append(s, e.Error())
	}
	return s
}

// lineCount bounds the number of lines of data as YAML counts them: line
// breaks are LF, CR, NEL, LS and PS, in UTF-8 or, after a byte order mark,
// UTF-16.
func lineCount(data []byte) int {
	text := string(data)
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		u := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xff {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		text = string(utf16.Decode(u))
	}
	n := 1
	for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(text, sep)
	}
	return n
}

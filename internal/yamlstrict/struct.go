package yamlstrict

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	nodeType     = reflect.TypeFor[*Node]()
)

// Decode decodes n, the value at field, into v, a pointer to a struct
// whose fields are named by `yaml:"name"` tags (fields without one are not
// read). A field's type says what its value must be:
//
//   - a struct: a mapping with the struct's keys;
//   - a slice: a list (an empty list gives an empty, non-nil slice);
//   - map[string]T: a mapping with keys of the user's choice;
//   - a pointer: null (left nil) or the pointed-to type;
//   - *Node: any value, kept unread for the caller (null leaves it nil);
//   - string, bool, time.Duration (Duration), int or int64 (Size).
//
// Problems are recorded, and their fields left as they were.
func (d *Decoder) Decode(n *Node, field string, v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("yamlstrict: Decode of %T, want a pointer to a struct", v))
	}
	d.value(n, rv.Elem(), field)
}

// value decodes n into v.
func (d *Decoder) value(n *Node, v reflect.Value, field string) {
	if !d.plain(n, field) {
		return
	}
	t := v.Type()
	switch {
	case t == nodeType:
		if !isNull(n) {
			v.Set(reflect.ValueOf(n))
		}
		return
	case t == durationType:
		if x, ok := d.Duration(n, field); ok {
			v.SetInt(int64(x))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(t.Elem())
		d.value(n, p.Elem(), field)
		v.Set(p)
	case reflect.Struct:
		d.structure(n, v, field)
	case reflect.Slice:
		s := reflect.MakeSlice(t, 0, len(n.y.Content))
		d.Sequence(n, field, func(_ int, item *Node, f string) {
			e := reflect.New(t.Elem()).Elem()
			d.value(item, e, f)
			s = reflect.Append(s, e)
		})
		if n.y.Kind == yaml.SequenceNode {
			v.Set(s)
		}
	case reflect.Map:
		d.mapValue(n, v, field)
	default:
		d.scalar(n, v, field)
	}
}

// mapValue decodes the mapping n into the map v.
func (d *Decoder) mapValue(n *Node, v reflect.Value, field string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		panic("yamlstrict: map keys must be strings, in " + t.String())
	}
	m := reflect.MakeMap(t)
	d.Entries(n, field, func(key string, val *Node, f string) {
		e := reflect.New(t.Elem()).Elem()
		d.value(val, e, f)
		m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
	})
	if n.y.Kind == yaml.MappingNode {
		v.Set(m)
	}
}

// scalar decodes the scalar n into v, a string, bool or integer.
func (d *Decoder) scalar(n *Node, v reflect.Value, field string) {
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.String(n, field); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if b, ok := d.Bool(n, field); ok {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int64:
		if i, ok := d.Size(n, field); ok {
			if v.OverflowInt(i) {
				d.Fail(n, field, nil, "%d is too large", i)
				return
			}
			v.SetInt(i)
		}
	default:
		panic("yamlstrict: cannot decode into " + v.Type().String())
	}
}

// structure decodes the mapping n into the struct v, by yaml tags.
func (d *Decoder) structure(n *Node, v reflect.Value, field string) {
	t := v.Type()
	var keys []string
	index := make(map[string]int)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		index[name] = i
	}
	d.Mapping(n, field, keys, func(key string, val *Node, f string) {
		d.value(val, v.Field(index[key]), f)
	})
}

// isNull reports whether n is a plain null: "~", "null" or nothing.
func isNull(n *Node) bool {
	return n.y.Kind == yaml.ScalarNode && n.y.ShortTag() == "!!null"
}

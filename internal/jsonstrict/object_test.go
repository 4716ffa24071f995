package jsonstrict

import (
	"errors"
	"slices"
	"testing"
)

// member is one call of an ObjectEach callback.
type member struct {
	name  string
	value string
	kind  Kind
}

// collectMembers runs ObjectEach on in and returns the members it reported.
func collectMembers(t *testing.T, in string) ([]member, error) {
	t.Helper()
	var got []member
	err := ObjectEach([]byte(in), func(name, value []byte, kind Kind) error {
		got = append(got, member{string(name), string(value), kind})
		return nil
	})
	return got, err
}

func TestObjectEach(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []member
	}{
		{"empty object", `{}`, nil},
		{"empty object with whitespace", " { \n } ", nil},
		{
			"every kind",
			`{"n":null,"f":false,"t":true,"i":-12,"s":"x\"y","a":[1,{}],"o":{"k":"v"},"x":1.5e3}`,
			[]member{
				{"n", `null`, Null},
				{"f", `false`, False},
				{"t", `true`, True},
				{"i", `-12`, Number},
				{"s", `"x\"y"`, StringKind},
				{"a", `[1,{}]`, Array},
				{"o", `{"k":"v"}`, Object},
				{"x", `1.5e3`, Number},
			},
		},
		{
			"whitespace is not part of values",
			" {\t\"a\" :\n 1 ,\r\n\"b\": [ ] } ",
			[]member{{"a", `1`, Number}, {"b", `[ ]`, Array}},
		},
		{
			"names are unescaped",
			`{"\u0074oken_use":"access","a\/b":1,"\ud83d\ude00":2,"tab\t":3,"\"":4}`,
			[]member{
				{"token_use", `"access"`, StringKind},
				{"a/b", `1`, Number},
				{"😀", `2`, Number},
				{"tab\t", `3`, Number},
				{`"`, `4`, Number},
			},
		},
		{
			"names are case-sensitive",
			`{"exp":1,"Exp":2}`,
			[]member{{"exp", `1`, Number}, {"Exp", `2`, Number}},
		},
		{
			"document order",
			`{"z":1,"a":2,"m":3}`,
			[]member{{"z", `1`, Number}, {"a", `2`, Number}, {"m", `3`, Number}},
		},
		{
			"empty name",
			`{"":0}`,
			[]member{{"", `0`, Number}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectMembers(t, tc.in)
			if err != nil {
				t.Fatalf("ObjectEach: got %v, want nil", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("members:\ngot  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestObjectEachErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"array", `[1]`, ErrNotObject},
		{"array is a type error", `[1]`, ErrType},
		{"string", `"{}"`, ErrNotObject},
		{"number", `1`, ErrNotObject},
		{"null", `null`, ErrNotObject},
		{"empty input", ``, ErrSyntax},
		{"invalid array", `[1,]`, ErrSyntax},
		{"trailing data", `{"a":1}}`, ErrSyntax},
		{"trailing value", `{"a":1} {"a":2}`, ErrSyntax},
		{"array with trailing data", `[1] x`, ErrSyntax},
		{"number with trailing data", `1 x`, ErrSyntax},
		{"duplicate name", `{"a":1,"b":2,"a":3}`, ErrDuplicateName},
		{"escaped duplicate name", `{"token_use":"id","\u0074oken_use":"access"}`, ErrDuplicateName},
		{"duplicate name in nested object", `{"a":{"b":1,"b":1}}`, ErrDuplicateName},
		{"too deep", nestedObjects(MaxDepth+1, "1"), ErrDepth},
		{"too deep inside array", `{"a":` + nested(MaxDepth, "1") + `}`, ErrDepth},
		{"lone surrogate", `{"a":"\ud800"}`, ErrSyntax},
		{"invalid UTF-8", "{\"a\":\"\x80\"}", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collectMembers(t, tc.in)
			if !errors.Is(err, tc.want) {
				t.Errorf("ObjectEach: got %v, want an error wrapping %v", err, tc.want)
			}
		})
	}
}

// TestObjectEachValidates checks that ObjectEach accepts and rejects
// objects exactly as Valid does.
func TestObjectEachValidates(t *testing.T) {
	isObject := func(in string) bool {
		return kindOf([]byte(in)[skipSpace([]byte(in), 0):]) == Object
	}
	for _, tc := range validCases {
		if !isObject(tc.in) {
			continue
		}
		t.Run("valid/"+tc.name, func(t *testing.T) {
			if err := ObjectEach([]byte(tc.in), nil); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
	for _, tc := range invalidCases {
		if !isObject(tc.in) {
			continue
		}
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			if err := ObjectEach([]byte(tc.in), nil); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tc.want)
			}
		})
	}
}

func TestObjectEachStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var names []string
	err := ObjectEach([]byte(`{"a":1,"b":2,"c":3}`), func(name, _ []byte, _ Kind) error {
		names = append(names, string(name))
		if string(name) == "b" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("error: got %v, want the callback's error unchanged", err)
	}
	if want := []string{"a", "b"}; !slices.Equal(names, want) {
		t.Errorf("names: got %q, want %q", names, want)
	}
}

func TestObjectEachDuplicateBeforeCallback(t *testing.T) {
	var values []string
	err := ObjectEach([]byte(`{"token_use":"id","\u0074oken_use":"access"}`), func(_, value []byte, _ Kind) error {
		values = append(values, string(value))
		return nil
	})
	if !errors.Is(err, ErrDuplicateName) {
		t.Errorf("error: got %v, want an error wrapping ErrDuplicateName", err)
	}
	if want := []string{`"id"`}; !slices.Equal(values, want) {
		t.Errorf("values: got %q, want %q", values, want)
	}
}

// TestObjectEachValuesAreCapped checks that a callback appending to name or
// value cannot overwrite the input that follows.
func TestObjectEachValuesAreCapped(t *testing.T) {
	data := []byte(`{"a":"x","\u0062":"y"}`)
	want := string(data)
	err := ObjectEach(data, func(name, value []byte, _ Kind) error {
		if cap(name) != len(name) || cap(value) != len(value) {
			t.Errorf("member %q: name and value have spare capacity", name)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ObjectEach: got %v, want nil", err)
	}
	if got := string(data); got != want {
		t.Errorf("data: got %q, want %q", got, want)
	}
}

func TestObjectEachManyMembers(t *testing.T) {
	got, err := collectMembers(t, members(5000, `"\u006d5000":5000`))
	if err != nil {
		t.Fatalf("ObjectEach: got %v, want nil", err)
	}
	if len(got) != 5001 {
		t.Fatalf("members: got %d, want 5001", len(got))
	}
	if want := (member{"m5000", "5000", Number}); got[5000] != want {
		t.Errorf("last member: got %+v, want %+v", got[5000], want)
	}
}

func TestObjectEachAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	tests := []struct {
		name string
		in   string
	}{
		{"access token payload", accessTokenPayload},
		{"16 members", members(16, "")},
		{"nested objects", `{"a":{"b":{"c":[{"d":1,"e":2}]}},"f":"` + "\u00e9\\n" + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.in)
			n := 0
			fn := func(_, _ []byte, _ Kind) error { n++; return nil }
			got := testing.AllocsPerRun(100, func() {
				if err := ObjectEach(data, fn); err != nil {
					t.Fatal(err)
				}
			})
			if got != 0 {
				t.Errorf("allocations: got %v, want 0", got)
			}
		})
	}
}

func TestArrayEach(t *testing.T) {
	type element struct {
		value string
		kind  Kind
	}
	tests := []struct {
		name string
		in   string
		want []element
	}{
		{"empty array", `[]`, nil},
		{"empty array with whitespace", " [ ] ", nil},
		{
			"every kind",
			`[null, false,true ,-0,"a",[],{"a":[1]},2E2]`,
			[]element{
				{`null`, Null}, {`false`, False}, {`true`, True}, {`-0`, Number},
				{`"a"`, StringKind}, {`[]`, Array}, {`{"a":[1]}`, Object}, {`2E2`, Number},
			},
		},
		{
			"repeated values are fine",
			`["a","a"]`,
			[]element{{`"a"`, StringKind}, {`"a"`, StringKind}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []element
			err := ArrayEach([]byte(tc.in), func(value []byte, kind Kind) error {
				got = append(got, element{string(value), kind})
				return nil
			})
			if err != nil {
				t.Fatalf("ArrayEach: got %v, want nil", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("elements:\ngot  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestArrayEachErrors(t *testing.T) {
	stop := errors.New("stop")
	tests := []struct {
		name string
		in   string
		fn   func([]byte, Kind) error
		want error
	}{
		{"object", `{}`, nil, ErrType},
		{"string", `"[]"`, nil, ErrType},
		{"empty input", ``, nil, ErrSyntax},
		{"invalid object", `{"a"}`, nil, ErrSyntax},
		{"trailing comma", `[1,2,]`, nil, ErrSyntax},
		{"trailing data", `[1]]`, nil, ErrSyntax},
		{"object with trailing data", `{} x`, nil, ErrSyntax},
		{"duplicate name in element", `[{"a":1,"a":1}]`, nil, ErrDuplicateName},
		{"too deep", nested(MaxDepth+1, ""), nil, ErrDepth},
		{"callback error", `[1,2]`, func([]byte, Kind) error { return stop }, stop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ArrayEach([]byte(tc.in), tc.fn); !errors.Is(err, tc.want) {
				t.Errorf("ArrayEach: got %v, want an error wrapping %v", err, tc.want)
			}
		})
	}
}

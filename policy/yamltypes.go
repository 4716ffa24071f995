package policy

import (
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
)

// scalarType is what the YAML parser made of a scalar: its tag (!!str,
// !!int, !!float, !!bool, !!null, ...) and its text as written.
type scalarType struct {
	tag, text string
}

// scalarTypes returns the type of every scalar of the policy in data (the
// value of section, when not ""), by the field path the decoder gives it
// ("rules[0].claims[1].equals", "rules[0].claims[1].in[2]"). The decoder
// reads values as text; a condition's value is typed by its YAML type
// (42 is a number, "42" a string), which yamlstrict does not pass on, so
// the document is parsed once more to learn it.
//
// Only documents the decoder has parsed are given to it, so the parser
// succeeds again; a panic of the parser, which is not ours, still cannot
// crash a load: the result is then nil, and every typed value an error.
// Where a key is repeated or a value is an alias, which the decoder
// refuses, the first occurrence is recorded, as the decoder reads it.
func scalarTypes(data []byte, section string) (types map[string]scalarType) {
	defer func() {
		if recover() != nil {
			types = nil
		}
	}()
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	root, field := doc.Content[0], ""
	if section != "" {
		root, field = member(root, section), section
		if root == nil {
			return nil
		}
	}
	types = make(map[string]scalarType)
	recordTypes(root, field, types)
	return types
}

// member returns the value of the first key name of the mapping n, or nil.
func member(n *yaml.Node, name string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == "!!str" && k.Value == name {
			return n.Content[i+1]
		}
	}
	return nil
}

// recordTypes records the types of the scalars in n, the value at field.
func recordTypes(n *yaml.Node, field string, types map[string]scalarType) {
	switch n.Kind {
	case yaml.ScalarNode:
		types[field] = scalarType{tag: n.ShortTag(), text: n.Value}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			recordTypes(item, field+"["+strconv.Itoa(i)+"]", types)
		}
	case yaml.MappingNode:
		seen := make(map[string]bool)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || seen[k.Value] {
				continue
			}
			seen[k.Value] = true
			recordTypes(n.Content[i+1], yamlstrict.Join(field, k.Value), types)
		}
	}
}

package detect

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// posError is a conversion problem at a YAML node.
type posError struct {
	node *yaml.Node
	msg  string
}

func (e *posError) Error() string { return e.msg }

func nodeErrorf(n *yaml.Node, format string, args ...any) error {
	return &posError{node: n, msg: fmt.Sprintf(format, args...)}
}

// appendJSON writes the YAML value n to buf as JSON. Numbers keep their text
// when it is valid JSON, because filter patterns compare numbers by their text
// ("12.0" is not "12"); dates and times stay strings as written.
func appendJSON(buf *bytes.Buffer, n *yaml.Node) error {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		seen := map[string]bool{}
		first := true
		if err := appendMembers(buf, n, seen, &first); err != nil {
			return err
		}
		buf.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return appendScalar(buf, n)
	}
	return nodeErrorf(n, "unsupported YAML node")
}

// appendMembers writes the members of mapping n, those of merged mappings
// ("<<: *base") first unless overridden by an explicit key of n.
func appendMembers(buf *bytes.Buffer, n *yaml.Node, seen map[string]bool, first *bool) error {
	// Explicit keys win over merged ones, so note them before merging.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMerge(k) {
			if k.Kind != yaml.ScalarNode {
				return nodeErrorf(k, "keys must be text, found %s", describe(k))
			}
			if seen[k.Value] {
				return nodeErrorf(k, "duplicate key %q", k.Value)
			}
			seen[k.Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			if err := appendMerged(buf, v, seen, first); err != nil {
				return err
			}
			continue
		}
		appendMember(buf, k.Value, first)
		if err := appendJSON(buf, v); err != nil {
			return err
		}
	}
	return nil
}

func appendMember(buf *bytes.Buffer, key string, first *bool) {
	if !*first {
		buf.WriteByte(',')
	}
	*first = false
	appendString(buf, key)
	buf.WriteByte(':')
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" }

// appendMerged writes the members of a merged mapping (or list of mappings)
// that are not already present.
func appendMerged(buf *bytes.Buffer, v *yaml.Node, seen map[string]bool, first *bool) error {
	v = resolve(v)
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	for _, m := range srcs {
		m = resolve(m)
		if m.Kind != yaml.MappingNode {
			return nodeErrorf(m, "<< must merge a mapping, found %s", describe(m))
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if isMerge(k) || k.Kind != yaml.ScalarNode || seen[k.Value] {
				continue
			}
			seen[k.Value] = true
			appendMember(buf, k.Value, first)
			if err := appendJSON(buf, m.Content[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func appendScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		appendString(buf, n.Value)
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nodeErrorf(n, "invalid boolean %q", n.Value)
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int", "!!float":
		if isJSONNumber(n.Value) {
			buf.WriteString(n.Value)
			return nil
		}
		// YAML-only spellings (0x1F, 1_000, .5, +3) become plain decimals.
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nodeErrorf(n, "number %s has no JSON form; quote it to send text", n.Value)
		}
		var i int64
		if n.ShortTag() == "!!int" && n.Decode(&i) == nil {
			buf.WriteString(strconv.FormatInt(i, 10))
		} else {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	default:
		return nodeErrorf(n, "unsupported YAML tag %s", n.ShortTag())
	}
	return nil
}

// isJSONNumber reports whether s is a number as JSON spells it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

// appendString writes s as a JSON string. Unlike encoding/json it leaves <, >
// and & alone, so that a test event holds the same bytes CloudTrail would
// write and patterns see the text the author typed.
func appendString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case c == '\n':
			buf.WriteString(`\n`)
		case c == '\r':
			buf.WriteString(`\r`)
		case c == '\t':
			buf.WriteString(`\t`)
		case c < 0x20:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xf])
		default:
			buf.WriteByte(c)
		}
	}
	buf.WriteByte('"')
}

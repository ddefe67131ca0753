package filterpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// This file is a second, deliberately plain implementation of the matching
// semantics: the record is decoded with encoding/json (UseNumber, so numbers
// keep their text) and the AST is walked directly. The fast path (Compile,
// Doc.Reset, Eval) must agree with it on every well-formed record.

// refDecode decodes a record the way the reference evaluator sees it; it
// fails for anything but a single JSON object.
func refDecode(record []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return obj, nil
}

// refMatch is Pattern.Match by the reference evaluator.
func refMatch(p *Pattern, record []byte) bool {
	if p.Root() == nil {
		return true
	}
	obj, err := refDecode(record)
	if err != nil {
		return false
	}
	return refEval(p.Root(), obj)
}

func refEval(n Node, doc any) bool {
	switch n := n.(type) {
	case *Or:
		for _, t := range n.Terms {
			if refEval(t, doc) {
				return true
			}
		}
		return false
	case *And:
		for _, t := range n.Terms {
			if !refEval(t, doc) {
				return false
			}
		}
		return true
	case *Paren:
		return refEval(n.X, doc)
	case *Condition:
		nodes := refSelect(n.Selector.Segments, doc)
		if n.Op == OpNotExists {
			return len(nodes) == 0
		}
		for _, v := range nodes {
			if refCompare(n, v) {
				return true
			}
		}
		return false
	}
	panic("unknown node")
}

// refSelect returns the values a selector selects; JSON null is a nil
// element, absence is an empty result.
func refSelect(segs []Segment, v any) []any {
	if len(segs) == 0 {
		return []any{v}
	}
	seg, rest := segs[0], segs[1:]
	var out []any
	switch seg.Kind {
	case SegmentMember:
		if obj, ok := v.(map[string]any); ok {
			if child, ok := obj[seg.Name]; ok {
				out = append(out, refSelect(rest, child)...)
			}
		}
	case SegmentIndex:
		if arr, ok := v.([]any); ok && seg.Index < len(arr) {
			out = append(out, refSelect(rest, arr[seg.Index])...)
		}
	case SegmentAnyMember:
		if obj, ok := v.(map[string]any); ok {
			for _, child := range obj {
				out = append(out, refSelect(rest, child)...)
			}
		}
	case SegmentAnyIndex:
		if arr, ok := v.([]any); ok {
			for _, child := range arr {
				out = append(out, refSelect(rest, child)...)
			}
		}
	}
	return out
}

func refCompare(c *Condition, v any) bool {
	switch c.Op {
	case OpIsNull:
		return v == nil
	case OpIsTrue:
		return v == true
	case OpIsFalse:
		return v == false
	}
	var text string
	var num json.Number
	switch v := v.(type) {
	case string:
		text = v
	case json.Number:
		text, num = string(v), v
	default:
		return false // null, booleans, objects and arrays are not value nodes
	}
	if c.Op.Relational() {
		if num == "" {
			return false
		}
		x, _ := strconv.ParseFloat(string(num), 64)
		switch c.Op {
		case OpLess:
			return x < c.Value.Num
		case OpLessEqual:
			return x <= c.Value.Num
		case OpGreater:
			return x > c.Value.Num
		default:
			return x >= c.Value.Num
		}
	}
	var eq bool
	switch {
	case c.Value.Kind == ValueNumber && num != "":
		x, _ := strconv.ParseFloat(string(num), 64)
		eq = x == c.Value.Num
	case c.Value.Kind == ValueNumber:
		eq = text == c.Value.Text
	case c.Value.Kind == ValueRegex:
		goExpr, err := translateRegex(c.Value.Str)
		if err != nil {
			panic(err.msg)
		}
		eq = regexp.MustCompile(goExpr).MatchString(text)
	default:
		eq = refGlob(c.Value.Str, text)
	}
	return eq == (c.Op == OpEqual)
}

// refGlob is the left-to-right, non-backtracking wildcard match of the
// specification, written out on strings.
func refGlob(lit, text string) bool {
	parts := strings.Split(lit, "*")
	if len(parts) == 1 {
		return lit == text
	}
	rest, ok := strings.CutPrefix(text, parts[0])
	if !ok {
		return false
	}
	for i, part := range parts[1:] {
		last := i == len(parts)-2
		if part == "" {
			if last {
				return true
			}
			continue
		}
		_, after, found := strings.Cut(rest, part)
		if !found {
			return false
		}
		rest = after
	}
	return rest == ""
}

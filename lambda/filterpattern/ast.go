package filterpattern

import (
	"strconv"
	"strings"
)

// Node is a node of a parsed JSON filter pattern: *Or, *And, *Paren or
// *Condition. Nodes describe the source; the evaluator works from its own
// compiled form, so the tree is for reading (explaining a pattern,
// translating it to another query language) and must not be modified.
type Node interface {
	// Pos is the byte offset of the node's first character in the pattern.
	Pos() int
	// End is the byte offset just past the node's last character.
	End() int
	// String renders the node in a canonical spelling that parses back to
	// an equivalent node: single blanks around operators, no blanks inside
	// parentheses, values and selectors verbatim.
	String() string
	node()
}

// Or is a disjunction of two or more terms: a || b || c.
type Or struct {
	Terms []Node
}

// And is a conjunction of two or more terms: a && b && c. It binds tighter
// than ||.
type And struct {
	Terms []Node
}

// Paren is a parenthesised expression. It is kept in the tree so that
// positions and the author's grouping survive.
type Paren struct {
	Lparen int // offset of "("
	Rparen int // offset of ")"
	X      Node
}

// Condition is one test of a selected value: "$.a = 1", "$.b IS NULL",
// "$.c NOT EXISTS".
type Condition struct {
	Selector *Selector
	Op       Op
	OpPos    int    // offset of the operator or of the keyword IS / NOT
	Value    *Value // nil for IS NULL, IS TRUE, IS FALSE and NOT EXISTS
	end      int
	test     *test // compiled by Parse
}

// Op is a comparison operator or keyword test.
type Op uint8

// The operators, in the order of the grammar.
const (
	OpEqual        Op = iota + 1 // =
	OpNotEqual                   // !=
	OpLess                       // <
	OpLessEqual                  // <=
	OpGreater                    // >
	OpGreaterEqual               // >=
	OpIsNull                     // IS NULL
	OpIsTrue                     // IS TRUE
	OpIsFalse                    // IS FALSE
	OpNotExists                  // NOT EXISTS
)

var opNames = [...]string{
	OpEqual: "=", OpNotEqual: "!=", OpLess: "<", OpLessEqual: "<=", OpGreater: ">", OpGreaterEqual: ">=",
	OpIsNull: "IS NULL", OpIsTrue: "IS TRUE", OpIsFalse: "IS FALSE", OpNotExists: "NOT EXISTS",
}

// String returns the operator as written in a pattern.
func (op Op) String() string {
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return "Op(" + strconv.Itoa(int(op)) + ")"
}

// Relational reports whether op is one of < <= > >=, which need a number.
func (op Op) Relational() bool { return op >= OpLess && op <= OpGreaterEqual }

// Selector is a property selector such as $.userIdentity.type, $.a[0],
// $.a[*].b, $.* or $.['dotted.key'].
type Selector struct {
	Position int    // offset of "$"
	Text     string // the selector as written
	Segments []Segment
}

// SegmentKind tells what a selector segment selects.
type SegmentKind uint8

// The segment kinds.
const (
	SegmentMember    SegmentKind = iota + 1 // .name or .['name']
	SegmentIndex                            // [n]
	SegmentAnyMember                        // .*
	SegmentAnyIndex                         // [*]
)

// Segment is one step of a selector.
type Segment struct {
	Kind  SegmentKind
	Name  string // SegmentMember: the property name
	Index int    // SegmentIndex: the zero-based array index
	Pos   int    // offset of the segment's "." or "["
}

// HasWildcard reports whether the selector contains .* or [*].
func (s *Selector) HasWildcard() bool {
	for _, seg := range s.Segments {
		if seg.Kind == SegmentAnyMember || seg.Kind == SegmentAnyIndex {
			return true
		}
	}
	return false
}

// Path returns the selector in a canonical spelling: $.a.b, $.a[0], $.a[*],
// $.*, with names that are not plain identifiers written as .['name'].
// Selectors that address the same values have the same Path.
func (s *Selector) Path() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, seg := range s.Segments {
		switch seg.Kind {
		case SegmentMember:
			if isPlainName(seg.Name) {
				b.WriteByte('.')
				b.WriteString(seg.Name)
			} else {
				b.WriteString(".['")
				b.WriteString(seg.Name)
				b.WriteString("']")
			}
		case SegmentIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.Index))
			b.WriteByte(']')
		case SegmentAnyMember:
			b.WriteString(".*")
		case SegmentAnyIndex:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// ValueKind tells how a value was written.
type ValueKind uint8

// The value kinds.
const (
	ValueQuoted ValueKind = iota + 1 // "text": compared as text
	ValueBare                        // unquoted word that is not a number: compared as text
	ValueNumber                      // unquoted number: numeric against numbers, as text against strings
	ValueRegex                       // %regex%
)

// Value is the right-hand side of a comparison.
type Value struct {
	Position int    // offset of the value's first character
	Text     string // the value as written, including quotes or % delimiters
	Kind     ValueKind
	// Str is the text compared: the unescaped contents of a quoted string,
	// the word itself for bare words and numbers, the expression between
	// the % signs for a regex.
	Str string
	// Num is the value of a ValueNumber.
	Num float64
}

// HasWildcard reports whether a quoted or bare value contains the "*"
// wildcard.
func (v *Value) HasWildcard() bool {
	return (v.Kind == ValueQuoted || v.Kind == ValueBare) && strings.Contains(v.Str, "*")
}

// IsAny reports whether the value is a lone "*", which matches any string or
// number.
func (v *Value) IsAny() bool {
	return (v.Kind == ValueQuoted || v.Kind == ValueBare) && v.Str == "*"
}

// Pos returns the offset of the first term.
func (n *Or) Pos() int { return n.Terms[0].Pos() }

// Pos returns the offset of the first term.
func (n *And) Pos() int { return n.Terms[0].Pos() }

// Pos returns the offset of "(".
func (n *Paren) Pos() int { return n.Lparen }

// Pos returns the offset of the selector.
func (n *Condition) Pos() int { return n.Selector.Position }

// End returns the offset after the last term.
func (n *Or) End() int { return n.Terms[len(n.Terms)-1].End() }

// End returns the offset after the last term.
func (n *And) End() int { return n.Terms[len(n.Terms)-1].End() }

// End returns the offset after ")".
func (n *Paren) End() int { return n.Rparen + 1 }

// End returns the offset after the value or the last keyword.
func (n *Condition) End() int { return n.end }

// String returns the terms joined by " || ".
func (n *Or) String() string { return joinNodes(n.Terms, " || ") }

// String returns the terms joined by " && ".
func (n *And) String() string { return joinNodes(n.Terms, " && ") }

// String returns the expression in parentheses.
func (n *Paren) String() string { return "(" + n.X.String() + ")" }

// String returns "selector op value" or "selector KEYWORDS", with the
// selector and value as written.
func (n *Condition) String() string {
	if n.Value == nil {
		return n.Selector.Text + " " + n.Op.String()
	}
	return n.Selector.Text + " " + n.Op.String() + " " + n.Value.Text
}

func joinNodes(nodes []Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.String()
	}
	return strings.Join(parts, sep)
}

func (*Or) node()        {}
func (*And) node()       {}
func (*Paren) node()     {}
func (*Condition) node() {}

// Walk calls fn for n and, depth first in source order, for every node below
// it.
func Walk(n Node, fn func(Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *Or:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *And:
		for _, t := range n.Terms {
			Walk(t, fn)
		}
	case *Paren:
		Walk(n.X, fn)
	}
}

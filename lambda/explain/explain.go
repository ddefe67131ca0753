// Package explain shows why a filter pattern matches a record or not: the
// pattern's conditions as a tree, with the values each selector found in the
// record and the truth of every node.
//
// Each condition is evaluated by the filterpattern engine itself, as a
// pattern of its own, so the explanation can never disagree with a match;
// && and || nodes combine their terms' results. Only the displayed values
// come from a separate, ordinary JSON decoding of the record.
package explain

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// Kind tells what a Node stands for.
type Kind uint8

// The node kinds.
const (
	KindAll       Kind = iota + 1 // the empty pattern, which matches every record
	KindOr                        // a || b ...
	KindAnd                       // a && b ...
	KindCondition                 // one test of a selected value
)

// Node is one node of an explanation. Parentheses are not nodes of their
// own: the tree's nesting shows the grouping.
type Node struct {
	Kind Kind
	// Condition is the parsed condition of a KindCondition node.
	Condition *filterpattern.Condition
	// Text is the condition exactly as written in the pattern, without the
	// parentheses around it; "||" or "&&" for the operators.
	Text string
	// Result is the node's truth on the record.
	Result bool
	// Found holds the values the condition's selector selected, in document
	// order, as JSON text; empty when it selected nothing.
	Found []string
	// Terms are the operands of an || or && node.
	Terms []*Node
}

// Explainer explains one pattern on many records. It is immutable and safe
// for concurrent use.
type Explainer struct {
	pattern *filterpattern.Pattern
	// single holds each condition of the pattern as a pattern of its own.
	single map[*filterpattern.Condition]*filterpattern.Pattern
}

// New prepares the explanation of p.
func New(p *filterpattern.Pattern) (*Explainer, error) {
	x := &Explainer{pattern: p, single: map[*filterpattern.Condition]*filterpattern.Pattern{}}
	var err error
	filterpattern.Walk(p.Root(), func(n filterpattern.Node) {
		c, ok := n.(*filterpattern.Condition)
		if !ok || err != nil {
			return
		}
		// The canonical spelling parses back to an equivalent condition.
		var one *filterpattern.Pattern
		one, err = filterpattern.Parse("{ " + c.String() + " }")
		if err != nil {
			err = fmt.Errorf("condition %q at col %d: %w", c.String(), c.Pos()+1, err)
			return
		}
		x.single[c] = one
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// Pattern returns the pattern being explained.
func (x *Explainer) Pattern() *filterpattern.Pattern { return x.pattern }

// Explain evaluates the pattern on record, one JSON object, and returns the
// explanation tree. Its root's Result equals the pattern's Match.
func (x *Explainer) Explain(record []byte) (*Node, error) {
	doc, err := decode(record)
	if err != nil {
		return nil, err
	}
	if x.pattern.MatchesAll() {
		return &Node{Kind: KindAll, Text: "(empty pattern)", Result: true}, nil
	}
	return x.explain(x.pattern.Root(), record, doc), nil
}

func (x *Explainer) explain(n filterpattern.Node, record []byte, doc any) *Node {
	switch n := n.(type) {
	case *filterpattern.Paren:
		return x.explain(n.X, record, doc)
	case *filterpattern.Or:
		out := &Node{Kind: KindOr, Text: "||"}
		for _, t := range n.Terms {
			term := x.explain(t, record, doc)
			out.Result = out.Result || term.Result
			out.Terms = append(out.Terms, term)
		}
		return out
	case *filterpattern.And:
		out := &Node{Kind: KindAnd, Text: "&&", Result: true}
		for _, t := range n.Terms {
			term := x.explain(t, record, doc)
			out.Result = out.Result && term.Result
			out.Terms = append(out.Terms, term)
		}
		return out
	case *filterpattern.Condition:
		src := x.pattern.String()
		return &Node{
			Kind:      KindCondition,
			Condition: n,
			Text:      src[n.Pos():n.End()],
			Result:    x.single[n].Match(record),
			Found:     selectValues(doc, n.Selector),
		}
	}
	panic(fmt.Sprintf("explain: unknown node %T", n))
}

// Reasons returns the conditions that made n true, in pattern order and
// without the "$." before each selector ("eventName = StopLogging"): every
// condition of a true &&, and the true terms of a true ||. It is empty when
// n is false or the pattern is empty.
func (n *Node) Reasons() []string {
	var out []string
	n.reasons(&out)
	return out
}

func (n *Node) reasons(out *[]string) {
	if !n.Result {
		return
	}
	switch n.Kind {
	case KindCondition:
		*out = append(*out, Brief(n.Condition))
	case KindOr, KindAnd:
		for _, t := range n.Terms {
			t.reasons(out)
		}
	}
}

// Brief renders a condition the way a reader says it: the selector without
// its leading "$." and the rest as written, e.g. `eventName = StopLogging`
// or `userIdentity.invokedBy NOT EXISTS`.
func Brief(c *filterpattern.Condition) string {
	sel := strings.TrimPrefix(c.Selector.Text, "$.")
	if c.Value == nil {
		return sel + " " + c.Op.String()
	}
	return sel + " " + c.Op.String() + " " + c.Value.Text
}

// Why returns the conditions that made the pattern match any of records,
// each once, in pattern order: the "matched because" of an alert. Records
// that do not match or are not JSON objects add nothing.
func (x *Explainer) Why(records [][]byte) []string {
	seen := map[*filterpattern.Condition]bool{}
	for _, rec := range records {
		root, err := x.Explain(rec)
		if err != nil || !root.Result {
			continue
		}
		root.walkReasons(func(c *filterpattern.Condition) { seen[c] = true })
	}
	var out []string
	filterpattern.Walk(x.pattern.Root(), func(n filterpattern.Node) {
		if c, ok := n.(*filterpattern.Condition); ok && seen[c] {
			out = append(out, Brief(c))
		}
	})
	return out
}

func (n *Node) walkReasons(fn func(*filterpattern.Condition)) {
	if !n.Result {
		return
	}
	if n.Kind == KindCondition {
		fn(n.Condition)
	}
	for _, t := range n.Terms {
		t.walkReasons(fn)
	}
}

// Why is Explainer.Why for a pattern explained once; it returns nil when
// the pattern cannot be explained.
func Why(p *filterpattern.Pattern, records [][]byte) []string {
	x, err := New(p)
	if err != nil {
		return nil
	}
	return x.Why(records)
}

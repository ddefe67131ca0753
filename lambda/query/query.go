package query

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// Engine names, as the errors and the CLI spell them.
const (
	EngineInsights = "insights"
	EngineAthena   = "athena"
)

// DefaultLimit is the number of rows a query returns unless Options say
// otherwise.
const DefaultLimit = 1000

// DefaultTable is the Athena table name the AWS documentation uses for
// CloudTrail logs.
const DefaultTable = "cloudtrail_logs"

// Options shape the printed query.
type Options struct {
	// Title is printed as a comment above the query, e.g. the rule's id and
	// title; the pattern text always is.
	Title string
	// Limit caps the rows returned; 0 means DefaultLimit.
	Limit int
	// Table is the Athena table to query; "" means DefaultTable.
	Table string
	// Exclude lists patterns whose events the query leaves out, as a
	// rule's active exclude entries suppress its matches.
	Exclude []Exclusion
}

// Exclusion is a pattern whose matches a query leaves out.
type Exclusion struct {
	Pattern *filterpattern.Pattern
	// Why is printed as a comment next to the pattern, e.g. the entry's
	// reason and expiry.
	Why string
}

func (o Options) limit() int {
	if o.Limit <= 0 {
		return DefaultLimit
	}
	return o.Limit
}

// Error says which part of a pattern an engine cannot express with the
// pattern's meaning. Nothing is printed for such a pattern: a query that
// selects different events would be worse than none.
type Error struct {
	Engine  string // EngineInsights or EngineAthena
	Pattern string
	Offset  int // 0-based byte offset of the construct in Pattern
	Msg     string
}

// Error returns "col N: msg", N being Offset+1, as filterpattern does.
func (e *Error) Error() string {
	return fmt.Sprintf("col %d: %s", e.Offset+1, e.Msg)
}

// Snippet renders the pattern with a caret under the construct.
func (e *Error) Snippet() string {
	col := len([]rune(e.Pattern[:min(e.Offset, len(e.Pattern))]))
	return "  " + e.Pattern + "\n  " + strings.Repeat(" ", col) + "^"
}

// unsupported is the Error for the construct at off.
func unsupported(engine string, p *filterpattern.Pattern, off int, format string, args ...any) *Error {
	return &Error{Engine: engine, Pattern: p.String(), Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// comment renders the title and pattern as comment lines with prefix.
func comment(prefix string, p *filterpattern.Pattern, o Options, notes []string) string {
	var b strings.Builder
	if o.Title != "" {
		b.WriteString(prefix + " " + oneLine(o.Title) + "\n")
	}
	b.WriteString(prefix + " pattern: " + oneLine(p.String()) + "\n")
	for _, x := range o.Exclude {
		line := prefix + " excluding: " + oneLine(x.Pattern.String())
		if x.Why != "" {
			line += " (" + oneLine(x.Why) + ")"
		}
		b.WriteString(line + "\n")
	}
	for _, n := range notes {
		b.WriteString(prefix + " note: " + n + "\n")
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// walkConditions calls fn for every condition of the pattern in source order
// and stops at the first error.
func walkConditions(p *filterpattern.Pattern, fn func(*filterpattern.Condition) error) error {
	var err error
	filterpattern.Walk(p.Root(), func(n filterpattern.Node) {
		if c, ok := n.(*filterpattern.Condition); ok && err == nil {
			err = fn(c)
		}
	})
	return err
}

// memberKeys returns the member names of a selector without wildcards or
// indexes, or ok false.
func memberKeys(s *filterpattern.Selector) (keys []string, ok bool) {
	for _, seg := range s.Segments {
		if seg.Kind != filterpattern.SegmentMember {
			return nil, false
		}
		keys = append(keys, seg.Name)
	}
	return keys, true
}

// boolTree translates the &&, || and parentheses of a pattern with the
// engine's and/or keywords, leaving each condition to cond. In a disjunction,
// conjunctions are parenthesized rather than left to the engine's precedence.
func boolTree(n filterpattern.Node, and, or string, cond func(*filterpattern.Condition) (string, error)) (string, error) {
	switch n := n.(type) {
	case *filterpattern.Or:
		return joinTerms(n.Terms, or, true, and, or, cond)
	case *filterpattern.And:
		return joinTerms(n.Terms, and, false, and, or, cond)
	case *filterpattern.Paren:
		x, err := boolTree(n.X, and, or, cond)
		if err != nil {
			return "", err
		}
		return parenthesize(x), nil
	case *filterpattern.Condition:
		return cond(n)
	}
	return "", fmt.Errorf("query: unexpected node %T", n)
}

func joinTerms(terms []filterpattern.Node, sep string, inOr bool, and, or string, cond func(*filterpattern.Condition) (string, error)) (string, error) {
	parts := make([]string, len(terms))
	for i, term := range terms {
		s, err := boolTree(term, and, or, cond)
		if err != nil {
			return "", err
		}
		if _, isAnd := term.(*filterpattern.And); isAnd && inOr {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, sep), nil
}

// parenthesize wraps s in parentheses unless one pair already encloses all
// of it. Parentheses inside quotes ('...', "...", `...`, /.../) do not
// count.
func parenthesize(s string) string {
	if enclosed(s) {
		return s
	}
	return "(" + s + ")"
}

func enclosed(s string) bool {
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"', '`', '/':
			// Skip to the closing quote; a backslash escapes the next byte
			// in "..." and /.../, and SQL's '' reads as two quoted parts.
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && (c == '"' || c == '/') {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i == len(s)-1
			}
		}
	}
	return false
}

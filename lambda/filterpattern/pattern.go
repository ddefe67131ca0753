package filterpattern

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

// Pattern is a parsed filter pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	src       string
	root      Node // nil: the pattern is empty and matches everything
	selectors []string
	paths     []string // distinct selector paths, in order of first use

	// Match compiles a private Program on first use.
	once sync.Once
	prog *Program
	docs sync.Pool
}

// String returns the pattern's source text, verbatim.
func (p *Pattern) String() string { return p.src }

// Root returns the pattern's syntax tree, or nil for the empty pattern.
func (p *Pattern) Root() Node { return p.root }

// Selectors returns the distinct selector texts of the pattern, as written,
// in order of first appearance.
func (p *Pattern) Selectors() []string {
	return append([]string(nil), p.selectors...)
}

// MatchesAll reports whether the pattern is empty (or only blanks), which
// CloudWatch Logs treats as "match every event".
func (p *Pattern) MatchesAll() bool { return p.root == nil }

// Match reports whether the pattern matches one raw record. A record that is
// not a well-formed JSON object never matches, except that the empty pattern
// matches everything. For many records use Compile, NewDoc, Reset and Eval,
// which share one scan among all patterns.
func (p *Pattern) Match(record []byte) bool {
	if p.root == nil {
		return true
	}
	p.once.Do(func() {
		p.prog = Compile(p)
		p.docs.New = func() any { return p.prog.NewDoc() }
	})
	d := p.docs.Get().(*Doc)
	ok := d.Reset(record) == nil && d.evalAt(0)
	d.release()
	p.docs.Put(d)
	return ok
}

func newPattern(src string, root Node) (*Pattern, error) {
	p := &Pattern{src: src, root: root}
	seenText := map[string]bool{}
	seenPath := map[string]bool{}
	var err error
	Walk(root, func(n Node) {
		c, ok := n.(*Condition)
		if !ok || err != nil {
			return
		}
		if !seenText[c.Selector.Text] {
			seenText[c.Selector.Text] = true
			p.selectors = append(p.selectors, c.Selector.Text)
		}
		if path := c.Selector.Path(); !seenPath[path] {
			seenPath[path] = true
			p.paths = append(p.paths, path)
		}
		c.test, err = newTest(src, c)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// test is the compiled form of a Condition's operator and value.
type test struct {
	op       Op
	wildcard bool        // the selector has .* or [*]: any selected value may satisfy the test
	text     textMatcher // = and !=: how string nodes (and number nodes' text) are compared
	numeric  bool        // the value is an unquoted number: number nodes compare numerically
	num      float64
}

func newTest(src string, c *Condition) (*test, error) {
	t := &test{op: c.Op, wildcard: c.Selector.HasWildcard()}
	v := c.Value
	if v == nil {
		return t, nil
	}
	switch v.Kind {
	case ValueNumber:
		t.numeric, t.num = true, v.Num
		t.text = textMatcher{kind: matchExact, exact: v.Str}
	case ValueRegex:
		goExpr, rerr := translateRegex(v.Str)
		if rerr != nil {
			return nil, &SyntaxError{Pattern: src, Offset: v.Position + 1 + rerr.off, Msg: rerr.msg}
		}
		t.text = textMatcher{kind: matchRegex, re: regexp.MustCompile(goExpr)}
	default:
		t.text = newGlob(v.Str)
	}
	return t, nil
}

type matchKind uint8

const (
	matchExact matchKind = iota // text equals exact
	matchAny                    // "*": any text
	matchGlob                   // * wildcards, matched left to right without backtracking
	matchRegex                  // unanchored regular expression search
)

// textMatcher decides whether a value's text matches a literal.
type textMatcher struct {
	kind  matchKind
	exact string
	parts [][]byte // matchGlob: the literal split at "*"
	re    *regexp.Regexp
}

func newGlob(lit string) textMatcher {
	if !strings.Contains(lit, "*") {
		return textMatcher{kind: matchExact, exact: lit}
	}
	if strings.Trim(lit, "*") == "" {
		return textMatcher{kind: matchAny}
	}
	var parts [][]byte
	for _, part := range strings.Split(lit, "*") {
		parts = append(parts, []byte(part))
	}
	return textMatcher{kind: matchGlob, parts: parts}
}

func (m *textMatcher) match(text []byte) bool {
	switch m.kind {
	case matchExact:
		return string(text) == m.exact
	case matchAny:
		return true
	case matchGlob:
		return globMatch(m.parts, text)
	default:
		return m.re.Match(text)
	}
}

// globMatch matches text against a literal split at its "*" wildcards, the
// way CloudWatch Logs is observed to: the first part must be a prefix, each
// further part is searched once, at its first occurrence after the previous
// one, with no retry, and unless the literal ends in "*" the last part's
// first occurrence must end the text. So "*Denied" does not match
// "DeniedAccessDenied", and "*111.111.111" does not match
// "111.111.111.111" (both observed).
func globMatch(parts [][]byte, text []byte) bool {
	if !bytes.HasPrefix(text, parts[0]) {
		return false
	}
	pos := len(parts[0])
	last := len(parts) - 1
	for i := 1; i <= last; i++ {
		seg := parts[i]
		if len(seg) == 0 {
			if i == last {
				return true
			}
			continue
		}
		j := bytes.Index(text[pos:], seg)
		if j < 0 {
			return false
		}
		pos += j + len(seg)
	}
	return pos == len(text)
}

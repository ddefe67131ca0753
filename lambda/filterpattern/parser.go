package filterpattern

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits CloudWatch Logs enforces on a filter pattern.
const (
	MaxPatternLength  = 1024 // characters (UTF-16 code units, as the API counts them)
	MaxRegexes        = 2    // %regex% values per pattern
	MaxWildcardSelect = 3    // selectors containing .* or [*] per pattern
)

const onlyJSON = "only JSON filter patterns ({ ... }) are supported"

type tokenKind uint8

const (
	tEOF tokenKind = iota
	tLBrace
	tRBrace
	tLParen
	tRParen
	tAnd
	tOr
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tSelector
	tString
	tRegex
	tWord
)

var tokenOps = [...]Op{tEq: OpEqual, tNe: OpNotEqual, tLt: OpLess, tLe: OpLessEqual, tGt: OpGreater, tGe: OpGreaterEqual}

type token struct {
	kind     tokenKind
	pos, end int
	sel      *Selector // tSelector
	str      string    // tString: unescaped contents; tRegex: the expression
}

// parser is a recursive-descent parser over a scanner that produces one
// token of lookahead. Errors unwind with panic(bailout{}) after setting err,
// in the manner of text/template/parse.
type parser struct {
	src       string
	pos       int // scan position
	tok       token
	regexes   int
	wildcards int
	err       *SyntaxError
}

type bailout struct{}

// Parse parses a CloudWatch Logs JSON filter pattern. A pattern that is
// empty or only blanks is valid and matches every record; any other pattern
// must start with "{" (term and space-delimited patterns are rejected). The
// error, if any, is a *SyntaxError.
func Parse(src string) (pat *Pattern, err error) {
	if n, over := utf16Len(src, MaxPatternLength); over >= 0 {
		return nil, &SyntaxError{Pattern: src, Offset: over,
			Msg: fmt.Sprintf("pattern is %d characters long; CloudWatch Logs allows at most %d", n, MaxPatternLength)}
	}
	if !utf8.ValidString(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRuneInString(src[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return nil, &SyntaxError{Pattern: src, Offset: off, Msg: "invalid UTF-8 encoding"}
	}
	trimmed := strings.TrimLeft(src, " \t")
	switch {
	case trimmed == "":
		return &Pattern{src: src}, nil
	case len(trimmed) < len(src) && trimmed[0] == '{':
		return nil, &SyntaxError{Pattern: src, Offset: 0,
			Msg: "leading whitespace makes CloudWatch Logs read the pattern as terms, not JSON: " + onlyJSON}
	case src[0] == '[':
		return nil, &SyntaxError{Pattern: src, Offset: 0, Msg: "space-delimited filter patterns are not supported: " + onlyJSON}
	case src[0] != '{':
		return nil, &SyntaxError{Pattern: src, Offset: 0, Msg: "term filter patterns are not supported: " + onlyJSON}
	}

	p := &parser{src: src}
	defer p.recover(&err)
	root := p.parsePattern()
	return newPattern(src, root)
}

// utf16Len counts the UTF-16 code units of s, as the CloudWatch Logs API
// measures a pattern's length, and returns the byte offset of the first
// character beyond limit (-1 when there is none).
func utf16Len(s string, limit int) (units, over int) {
	over = -1
	if len(s) <= limit {
		return len(s), over // no character is shorter than one byte
	}
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > limit && over < 0 {
			over = i
		}
	}
	return units, over
}

func (p *parser) recover(errp *error) {
	e := recover()
	if e == nil {
		return
	}
	if _, ok := e.(bailout); !ok {
		panic(e) // a bug, not a syntax error
	}
	*errp = p.err
}

func (p *parser) failf(off int, format string, args ...any) {
	p.err = &SyntaxError{Pattern: p.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
	panic(bailout{})
}

// expected reports that what stands at the current token is not what the
// grammar needs: "expected ')', found '&&'".
func (p *parser) expected(what string) {
	found := p.describe(p.tok)
	if p.tok.kind == tWord {
		switch strings.ToUpper(found) {
		case "AND", "OR":
			found += " (the operators are && and ||)"
		}
	}
	p.failf(p.tok.pos, "expected %s, found %s", what, found)
}

func (p *parser) describe(t token) string {
	switch t.kind {
	case tEOF:
		return "EOF"
	case tSelector, tString, tRegex, tWord:
		return p.src[t.pos:t.end]
	default:
		return "'" + p.src[t.pos:t.end] + "'"
	}
}

// pattern = "{" expr "}" and nothing after the "}".
func (p *parser) parsePattern() Node {
	p.next()
	if p.tok.kind != tLBrace {
		p.expected("'{'")
	}
	p.next()
	root := p.parseOr()
	if p.tok.kind != tRBrace {
		p.expected("'}'")
	}
	if p.tok.end < len(p.src) {
		p.failf(p.tok.end, "a pattern that starts with '{' must end with '}'")
	}
	return root
}

// expr = and { "||" and }
func (p *parser) parseOr() Node {
	x := p.parseAnd()
	if p.tok.kind != tOr {
		return x
	}
	terms := []Node{x}
	for p.tok.kind == tOr {
		p.next()
		terms = append(terms, p.parseAnd())
	}
	return &Or{Terms: terms}
}

// and = primary { "&&" primary }
func (p *parser) parseAnd() Node {
	x := p.parsePrimary()
	if p.tok.kind != tAnd {
		return x
	}
	terms := []Node{x}
	for p.tok.kind == tAnd {
		p.next()
		terms = append(terms, p.parsePrimary())
	}
	return &And{Terms: terms}
}

// primary = "(" expr ")" | condition
func (p *parser) parsePrimary() Node {
	switch p.tok.kind {
	case tLParen:
		lparen := p.tok.pos
		p.next()
		x := p.parseOr()
		if p.tok.kind != tRParen {
			p.expected("')'")
		}
		rparen := p.tok.pos
		p.next()
		return &Paren{Lparen: lparen, Rparen: rparen, X: x}
	case tSelector:
		return p.parseCondition()
	case tWord:
		if isPlainName(p.src[p.tok.pos:p.tok.end]) {
			p.expected("selector or '(' (selectors start with \"$.\")")
		}
	}
	p.expected("selector or '('")
	return nil
}

// condition = selector op value | selector "IS" (NULL|TRUE|FALSE) | selector "NOT" "EXISTS"
func (p *parser) parseCondition() Node {
	sel := p.tok.sel
	if sel.HasWildcard() {
		p.wildcards++
		if p.wildcards > MaxWildcardSelect {
			p.failf(sel.Position, "a pattern may contain at most %d selectors with wildcards", MaxWildcardSelect)
		}
	}
	p.next()
	cond := &Condition{Selector: sel, OpPos: p.tok.pos}
	switch p.tok.kind {
	case tEq, tNe, tLt, tLe, tGt, tGe:
		cond.Op = tokenOps[p.tok.kind]
		p.next()
		cond.Value = p.parseValue(cond.Op)
		cond.end = p.tok.end
		p.next()
		return cond
	case tWord:
		switch word := p.src[p.tok.pos:p.tok.end]; word {
		case "IS":
			p.next()
			switch p.wordOrEmpty() {
			case "NULL":
				cond.Op = OpIsNull
			case "TRUE":
				cond.Op = OpIsTrue
			case "FALSE":
				cond.Op = OpIsFalse
			case "NOT":
				p.failf(cond.OpPos, "IS NOT is not supported by CloudWatch Logs; use != or NOT EXISTS")
			default:
				p.checkKeywordCase()
				p.expected("NULL, TRUE or FALSE after IS")
			}
		case "NOT":
			p.next()
			if p.wordOrEmpty() != "EXISTS" {
				p.checkKeywordCase()
				p.expected("EXISTS after NOT")
			}
			cond.Op = OpNotExists
		case "EXISTS":
			p.failf(p.tok.pos, `EXISTS is not supported by CloudWatch Logs; use = "*" to test that a property has a value`)
		default:
			p.checkKeywordCase()
			p.expected("comparison operator, IS or NOT EXISTS after selector")
		}
		cond.end = p.tok.end
		p.next()
		return cond
	}
	p.expected("comparison operator, IS or NOT EXISTS after selector")
	return nil
}

func (p *parser) wordOrEmpty() string {
	if p.tok.kind != tWord {
		return ""
	}
	return p.src[p.tok.pos:p.tok.end]
}

var keywords = []string{"IS", "NULL", "TRUE", "FALSE", "NOT", "EXISTS"}

// checkKeywordCase turns "is null" into a precise message: CloudWatch Logs
// documents the keywords in upper case only.
func (p *parser) checkKeywordCase() {
	w := p.wordOrEmpty()
	for _, kw := range keywords {
		if w != kw && strings.EqualFold(w, kw) {
			p.failf(p.tok.pos, "keywords must be upper case: write %s, not %s", kw, w)
		}
	}
}

func (p *parser) parseValue(op Op) *Value {
	t := p.tok
	v := &Value{Position: t.pos, Text: p.src[t.pos:t.end]}
	switch t.kind {
	case tString:
		v.Kind, v.Str = ValueQuoted, t.str
	case tRegex:
		p.regexes++
		if p.regexes > MaxRegexes {
			p.failf(t.pos, "a pattern may contain at most %d regular expressions", MaxRegexes)
		}
		v.Kind, v.Str = ValueRegex, t.str
	case tWord:
		v.Str = v.Text
		if isNumber(v.Text) {
			f, err := strconv.ParseFloat(v.Text, 64)
			if err != nil {
				if !errors.Is(err, strconv.ErrRange) {
					panic(err) // isNumber admits only what ParseFloat parses
				}
				p.failf(t.pos, "number %s is out of range", v.Text)
			}
			v.Kind, v.Num = ValueNumber, f
		} else {
			if i := strings.IndexByte(v.Text, '+'); i >= 0 {
				p.failf(t.pos+i, "'+' may appear unquoted only in numbers; quote the value")
			}
			v.Kind = ValueBare
		}
	default:
		p.expected(fmt.Sprintf("value after '%s'", op))
	}
	if op.Relational() && v.Kind != ValueNumber {
		p.failf(v.Position, "operator %s needs a number, found %s", op, v.Text)
	}
	return v
}

// isNumber reports whether s is [+-] digits [. digits] [(e|E) [+-] digits].
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// ---- scanner ----

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// isWordByte reports the characters of an unquoted value.
func isWordByte(c byte) bool {
	return isNameByte(c) || c == '.' || c == '*' || c == '+'
}

// endsToken reports whether c may directly follow a selector or an unquoted
// word.
func endsToken(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '=', '!', '<', '>', '&', '|', ')', '}':
		return true
	}
	return false
}

func (p *parser) next() {
	p.skipBlanks()
	start := p.pos
	p.tok = token{pos: start}
	if start >= len(p.src) {
		p.tok.kind, p.tok.end = tEOF, start
		return
	}
	c := p.src[start]
	two := func(second byte) bool { return start+1 < len(p.src) && p.src[start+1] == second }
	width := 1
	switch c {
	case '{':
		p.tok.kind = tLBrace
	case '}':
		p.tok.kind = tRBrace
	case '(':
		p.tok.kind = tLParen
	case ')':
		p.tok.kind = tRParen
	case '&':
		if !two('&') {
			p.failf(start, "unexpected '&'; the operator is '&&'")
		}
		p.tok.kind, width = tAnd, 2
	case '|':
		if !two('|') {
			p.failf(start, "unexpected '|'; the operator is '||'")
		}
		p.tok.kind, width = tOr, 2
	case '=':
		if two('=') {
			p.failf(start, "'==' is not an operator; use '='")
		}
		p.tok.kind = tEq
	case '!':
		if !two('=') {
			p.failf(start, "unexpected '!'; there is no negation operator: use != or NOT EXISTS")
		}
		p.tok.kind, width = tNe, 2
	case '<':
		switch {
		case two('='):
			p.tok.kind, width = tLe, 2
		case two('>'):
			p.failf(start, "'<>' is not an operator; use '!='")
		default:
			p.tok.kind = tLt
		}
	case '>':
		if two('=') {
			p.tok.kind, width = tGe, 2
		} else {
			p.tok.kind = tGt
		}
	case '$':
		p.scanSelector()
		return
	case '"':
		p.scanString()
		return
	case '%':
		p.scanRegex()
		return
	default:
		if isWordByte(c) {
			p.scanWord()
			return
		}
		if c == '\'' {
			p.failf(start, "unexpected \"'\"; quote values with double quotes")
		}
		p.failf(start, "unexpected %s", describeChar(p.src, start))
	}
	p.pos = start + width
	p.tok.end = p.pos
}

func describeChar(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == '\n' || r == '\r':
		return "line break"
	case r < ' ' || r == 0x7f:
		return fmt.Sprintf("control character %U", r)
	}
	return strconv.QuoteRune(r)
}

func (p *parser) skipBlanks() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t':
			p.pos++
		case '\n', '\r':
			p.failf(p.pos, "line breaks are not allowed in a filter pattern")
		default:
			return
		}
	}
}

func (p *parser) scanWord() {
	start := p.pos
	for p.pos < len(p.src) && isWordByte(p.src[p.pos]) {
		p.pos++
	}
	if p.pos < len(p.src) && !endsToken(p.src[p.pos]) {
		p.failf(p.pos, "unexpected %s after %q; quote values that contain it", describeChar(p.src, p.pos), p.src[start:p.pos])
	}
	p.tok.kind, p.tok.end = tWord, p.pos
}

// scanString scans "..." with the escapes \" and \\.
func (p *parser) scanString() {
	start := p.pos
	i := start + 1
	var b strings.Builder
	escaped := false
	for {
		if i >= len(p.src) {
			p.failf(start, "string literal not terminated")
		}
		c := p.src[i]
		switch {
		case c == '"':
			p.tok.kind, p.tok.end = tString, i+1
			if escaped {
				p.tok.str = b.String()
			} else {
				p.tok.str = p.src[start+1 : i]
			}
			p.pos = i + 1
			return
		case c == '\\':
			if i+1 >= len(p.src) {
				p.failf(start, "string literal not terminated")
			}
			if e := p.src[i+1]; e != '"' && e != '\\' {
				p.failf(i, `unknown escape sequence \%s in string: only \" and \\ are supported`, p.src[i+1:i+1+utf8RuneLen(p.src[i+1:])])
			}
			if !escaped {
				escaped = true
				b.WriteString(p.src[start+1 : i])
			}
			b.WriteByte(p.src[i+1])
			i += 2
			continue
		case c < ' ' || c == 0x7f:
			if c == '\n' || c == '\r' {
				p.failf(i, "line breaks are not allowed in a filter pattern")
			}
			p.failf(i, "%s in string", describeChar(p.src, i))
		}
		if escaped {
			b.WriteByte(c)
		}
		i++
	}
}

func utf8RuneLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// scanRegex scans %...%. The expression ends at the next "%": the allowed
// regex characters do not include "%", so there is nothing to escape.
func (p *parser) scanRegex() {
	start := p.pos
	end := strings.IndexByte(p.src[start+1:], '%')
	if end < 0 {
		p.failf(start, "regular expression not terminated")
	}
	end += start + 1
	if end == start+1 {
		p.failf(start, "empty regular expression")
	}
	p.tok.kind, p.tok.end, p.tok.str = tRegex, end+1, p.src[start+1:end]
	p.pos = end + 1
}

// scanSelector scans $ followed by .name, .['name'], .*, [n] and [*]
// segments.
func (p *parser) scanSelector() {
	src := p.src
	start := p.pos
	i := start + 1
	sel := &Selector{Position: start}
	wildcards := 0
	addWildcard := func(seg Segment) {
		wildcards++
		if wildcards > 1 {
			p.failf(seg.Pos, "a selector may contain at most one wildcard (.* or [*])")
		}
		sel.Segments = append(sel.Segments, seg)
	}
	if i >= len(src) || src[i] != '.' {
		if i < len(src) && src[i] == '[' {
			p.failf(i, "a selector must start with \"$.\"; [n] must follow a property")
		}
		p.failf(i, "expected '.' after '$'")
	}
	for i < len(src) {
		segPos := i
		switch src[i] {
		case '.':
			i++
			switch {
			case i < len(src) && src[i] == '*':
				i++
				addWildcard(Segment{Kind: SegmentAnyMember, Pos: segPos})
			case i < len(src) && src[i] == '[':
				if i+1 >= len(src) || src[i+1] != '\'' {
					p.failf(i, "expected ['name'] after '.'")
				}
				nameStart := i + 2
				n := strings.IndexByte(src[nameStart:], '\'')
				if n < 0 {
					p.failf(segPos, "quoted property name not terminated")
				}
				name := src[nameStart : nameStart+n]
				if name == "" {
					p.failf(segPos, "empty property name")
				}
				for j := 0; j < len(name); j++ {
					if c := name[j]; c < ' ' || c == 0x7f {
						p.failf(nameStart+j, "%s in property name", describeChar(src, nameStart+j))
					}
				}
				i = nameStart + n + 1
				if i >= len(src) || src[i] != ']' {
					p.failf(i, "expected ']' after quoted property name")
				}
				i++
				sel.Segments = append(sel.Segments, Segment{Kind: SegmentMember, Name: name, Pos: segPos})
			default:
				nameStart := i
				for i < len(src) && isNameByte(src[i]) {
					i++
				}
				if i == nameStart {
					if i < len(src) && !endsToken(src[i]) {
						p.failf(i, "unexpected %s in property name; write .['...'] for names with other characters", describeChar(src, i))
					}
					p.failf(i, "expected property name after '.'")
				}
				sel.Segments = append(sel.Segments, Segment{Kind: SegmentMember, Name: src[nameStart:i], Pos: segPos})
			}
		case '[':
			i++
			switch {
			case i+1 < len(src) && src[i] == '*' && src[i+1] == ']':
				i += 2
				addWildcard(Segment{Kind: SegmentAnyIndex, Pos: segPos})
			case i < len(src) && src[i] >= '0' && src[i] <= '9':
				numStart := i
				for i < len(src) && src[i] >= '0' && src[i] <= '9' {
					i++
				}
				index, err := strconv.ParseInt(src[numStart:i], 10, 32)
				if err != nil {
					p.failf(numStart, "array index %s is out of range", src[numStart:i])
				}
				if i >= len(src) || src[i] != ']' {
					p.failf(i, "expected ']' after array index")
				}
				i++
				sel.Segments = append(sel.Segments, Segment{Kind: SegmentIndex, Index: int(index), Pos: segPos})
			case i < len(src) && src[i] == '\'':
				p.failf(segPos, "a quoted property name needs a dot: .['name']")
			default:
				p.failf(i, "expected array index or '*' after '['")
			}
		default:
			if !endsToken(src[i]) {
				p.failf(i, "unexpected %s in selector; write .['...'] for names with other characters", describeChar(src, i))
			}
			goto done
		}
	}
done:
	sel.Text = src[start:i]
	p.tok.kind, p.tok.end, p.tok.sel = tSelector, i, sel
	p.pos = i
}

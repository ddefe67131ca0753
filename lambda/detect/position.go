package detect

import (
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// scalarPosition maps byte offset off of the decoded value of scalar n back
// to a line and column of the YAML source, following n's quoting style:
// a doubled quote in single-quoted text, backslash escapes in double-quoted text, the
// indentation of block scalars and folded line breaks all take a different
// number of source bytes than value bytes.
func scalarPosition(src []byte, n *yaml.Node, off int) (line, col int) {
	s := indexOf(src, n.Line, n.Column)
	if s < 0 {
		return n.Line, n.Column
	}
	if s < len(src) && src[s] == '!' { // an explicit tag: !!str 'text'
		for s < len(src) && !isBlank(src[s]) && src[s] != '\n' {
			s++
		}
		s = skipBlanks(src, s)
	}
	value := n.Value
	switch n.Style &^ yaml.TaggedStyle {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		s++ // the opening quote
	case yaml.LiteralStyle, yaml.FoldedStyle:
		for s < len(src) && src[s] != '\n' { // the header: | or > with indicators and a comment
			s++
		}
		s = skipBreaks(src, s)
	}
	double := n.Style&yaml.DoubleQuotedStyle != 0
	single := n.Style&yaml.SingleQuotedStyle != 0
	v := 0
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// Leading blanks of a block scalar are indentation beyond the block's
		// own; they were skipped with it.
		v = skipValueSpace(value, v, off)
	}
	for v < off && v < len(value) && s < len(src) {
		c := src[s]
		switch {
		case single && c == '\'' && s+1 < len(src) && src[s+1] == '\'':
			s += 2
			v++
		case double && c == '\\':
			consumed, produced := escapeSize(src[s:])
			s += consumed
			v += produced
			if produced == 0 { // an escaped line break: the next line's indentation is not content
				s = skipBlanks(src, s)
			}
		case c == '\n' || c == '\r' || isBlank(c) && blanksThenBreak(src, s):
			// A line break, with any trailing blanks before it and the next
			// line's indentation, became zero or more blanks or newlines.
			s = skipBreaks(src, s)
			v = skipValueSpace(value, v, off)
		default:
			_, size := utf8.DecodeRune(src[s:])
			s += size
			v += size
		}
	}
	return lineCol(src, s)
}

// indexOf returns the byte index of 1-based line and character column.
func indexOf(src []byte, line, col int) int {
	i := 0
	for l := 1; l < line; l++ {
		j := indexByte(src[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	for c := 1; c < col && i < len(src) && src[i] != '\n'; c++ {
		_, size := utf8.DecodeRune(src[i:])
		i += size
	}
	return i
}

// lineCol returns the 1-based line and character column of byte index i.
func lineCol(src []byte, i int) (line, col int) {
	line, start := 1, 0
	for j := 0; j < i && j < len(src); j++ {
		if src[j] == '\n' {
			line++
			start = j + 1
		}
	}
	return line, utf8.RuneCount(src[start:min(i, len(src))]) + 1
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// skipValueSpace skips the blanks and newlines of value from v, up to off.
func skipValueSpace(value string, v, off int) int {
	for v < off && v < len(value) && (value[v] == ' ' || value[v] == '\n' || value[v] == '\t') {
		v++
	}
	return v
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func skipBlanks(src []byte, s int) int {
	for s < len(src) && isBlank(src[s]) {
		s++
	}
	return s
}

// skipBreaks skips blanks and line breaks.
func skipBreaks(src []byte, s int) int {
	for s < len(src) && (isBlank(src[s]) || src[s] == '\n' || src[s] == '\r') {
		s++
	}
	return s
}

// blanksThenBreak reports whether the blanks at s run up to a line break.
func blanksThenBreak(src []byte, s int) bool {
	s = skipBlanks(src, s)
	return s < len(src) && (src[s] == '\n' || src[s] == '\r')
}

// escapeSize returns how many source bytes the double-quoted escape at b[0]
// takes and how many value bytes it stands for.
func escapeSize(b []byte) (consumed, produced int) {
	if len(b) < 2 {
		return len(b), 0
	}
	hexRune := func(digits int) (int, int) {
		if len(b) < 2+digits {
			return len(b), 1
		}
		var r rune
		for _, h := range b[2 : 2+digits] {
			r <<= 4
			switch {
			case '0' <= h && h <= '9':
				r |= rune(h - '0')
			case 'a' <= h && h <= 'f':
				r |= rune(h-'a') + 10
			case 'A' <= h && h <= 'F':
				r |= rune(h-'A') + 10
			}
		}
		return 2 + digits, max(utf8.RuneLen(r), 1)
	}
	switch b[1] {
	case 'x':
		return hexRune(2)
	case 'u':
		return hexRune(4)
	case 'U':
		return hexRune(8)
	case 'N', '_':
		return 2, 2 // U+0085, U+00A0
	case 'L', 'P':
		return 2, 3 // U+2028, U+2029
	case '\n':
		return 2, 0
	case '\r':
		if len(b) > 2 && b[2] == '\n' {
			return 3, 0
		}
		return 2, 0
	}
	return 2, 1
}

package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// replacement stands in for characters that must not reach a reader: a
// visible mark tells the responder that the original text was tampered with.
const replacement = '\uFFFD'

// Length caps for attacker-controlled text. They keep one event around a few
// kilobytes, whatever the record holds.
const (
	maxShort   = 128  // ids, names, regions, error codes
	maxARN     = 512  // principal ARNs
	maxAgent   = 256  // user agents
	maxMessage = 512  // error messages
	maxValue   = 160  // one request parameter value
	maxDetail  = 2048 // operational alert detail
	maxURL     = 512  // console links
	maxTitle   = 200  // rule titles
	maxReason  = 256  // one condition of "Matched because"
	maxReasons = 20   // conditions listed under "Matched because"
	// rule descriptions, written by the rule's author
	maxDescription = 4096
	maxKey         = 1024 // S3 object keys
)

// cleanLine makes untrusted text safe to show on one line: invalid UTF-8,
// control characters, terminal escape sequences and invisible format
// characters (bidi overrides, zero-width spaces, tag characters) become
// U+FFFD, line and tab characters become spaces, runs of spaces collapse,
// and the result is cut to at most max runes ending in an ellipsis.
func cleanLine(s string, max int) string {
	return clean(s, max, false)
}

// cleanText is cleanLine for text that may keep its line breaks, such as a
// rule description. CR LF and lone CR become LF.
func cleanText(s string, max int) string {
	return clean(s, max, true)
}

func clean(s string, max int, multiline bool) string {
	if max <= 0 {
		return ""
	}
	if isPlain(s) && utf8.RuneCountInString(s) <= max && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max+4))
	space := false // a space is pending: written only before the next visible rune
	visible := 0   // runes written other than spaces and line breaks
	// Once more than max visible runes are out, the rest would be cut anyway.
	for i := 0; i < len(s) && visible <= max; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			r = replacement
		case r == 0x1b:
			size = escapeLen(s[i:])
			r = replacement
		case r == '\r' && multiline:
			if strings.HasPrefix(s[i:], "\r\n") {
				size = 2
			}
			r = '\n'
		case r == '\n' && multiline:
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' ||
			r == '\u2028' || r == '\u2029' || r == '\u0085' || unicode.Is(unicode.Zs, r):
			r = ' '
		case unsafeRune(r):
			r = replacement
		}
		i += size
		if r == ' ' {
			out := b.String()
			space = out != "" && out[len(out)-1] != '\n'
			continue
		}
		if r == '\n' {
			space = false
			b.WriteByte('\n')
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		visible++
	}
	out := b.String()
	if multiline {
		out = trimLines(out)
	}
	return truncate(out, max)
}

// isPlain reports whether s is printable ASCII only, the common case that
// needs no rewriting.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// unsafeRune reports runes a reader must not be shown: controls, format
// characters (bidi overrides and isolates, zero-width spaces, the BOM, tag
// characters, soft hyphens), private-use and unassigned code points. Zero
// width (non-)joiners stay: scripts and emoji need them.
func unsafeRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return r < 0x20 || r == 0x7f
	case r == '\u200c' || r == '\u200d':
		return false
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
		return true
	case !unicode.IsGraphic(r) && !unicode.IsSpace(r):
		return true
	}
	return false
}

// escapeLen returns the byte length of the terminal escape sequence at the
// start of s (which begins with ESC): CSI "ESC [ params final", OSC and the
// other string sequences up to BEL or ESC \, or ESC and one more character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1
			} else if c < 0x20 || c > 0x7e {
				return i // malformed: stop before the stray byte
			}
		}
		return len(s)
	case ']', 'P', 'X', '^', '_':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	if s[1] < 0x20 {
		return 1 // ESC followed by another control: let that one be handled on its own
	}
	return 1 + size
}

// trimLines removes trailing spaces from each line and blank lines at both ends.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// truncate cuts s to at most max runes, the last of them an ellipsis when
// anything was cut. It prefers to cut at a space in the last fifth.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return ellipsis
	}
	// byte offset of rune max-1
	cut, n := 0, 0
	for cut = range s {
		if n == max-1 {
			break
		}
		n++
	}
	head := s[:cut]
	if sp := strings.LastIndexAny(head, " \n"); sp > 0 && utf8.RuneCountInString(head[sp:]) <= max/5 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " \n") + ellipsis
}

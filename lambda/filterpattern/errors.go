package filterpattern

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a pattern that CloudWatch Logs would reject, or one
// that uses a form this package does not support.
type SyntaxError struct {
	Pattern string // the pattern as given to Parse
	Offset  int    // 0-based byte offset of the offending text
	Msg     string // what is wrong, lower case, without position
}

// Error returns "col N: msg", N being Offset+1.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("col %d: %s", e.Offset+1, e.Msg)
}

// Snippet renders the pattern on one line and a caret under the offending
// byte, both indented by two spaces:
//
//	{ $.a = }
//	        ^
//
// Tabs before the offset are kept so the caret lines up; other control
// characters are shown as spaces.
func (e *SyntaxError) Snippet() string {
	var line, caret strings.Builder
	line.WriteString("  ")
	caret.WriteString("  ")
	for i, r := range e.Pattern {
		switch {
		case r == '\t':
			line.WriteByte('\t')
		case r < ' ' || r == 0x7f || r == utf8.RuneError:
			line.WriteByte(' ')
		default:
			line.WriteRune(r)
		}
		if i < e.Offset {
			if r == '\t' {
				caret.WriteByte('\t')
			} else {
				caret.WriteByte(' ')
			}
		}
	}
	caret.WriteByte('^')
	return line.String() + "\n" + caret.String()
}

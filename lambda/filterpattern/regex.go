package filterpattern

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// regexError is a problem at an offset within a regular expression.
type regexError struct {
	off int // byte offset within the expression
	msg string
}

// Characters CloudWatch Logs documents for regular expressions, besides
// letters and digits: the symbols _ # = @ / ; , - : and the operators
// ^ $ ? [ ] { } | \ * + .
const (
	regexSymbols   = "_#=@/;,-:"
	regexOperators = "^$?[]{}|\\*+."
)

// translateRegex checks expr against the restricted syntax CloudWatch Logs
// accepts and returns the same expression in Go (RE2) syntax. The two
// dialects agree on everything allowed except the repetition {,n}, which Go
// reads as literal text and which becomes {0,n}.
func translateRegex(expr string) (string, *regexError) {
	var out strings.Builder
	inClass := false // inside [...]
	classStart := 0  // offset of the class's first member, for "[]...]" and "[^]...]"
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c >= 0x80:
			return "", &regexError{i, "multi-byte characters are not supported in regular expressions; use \\xhh for ASCII"}
		case c == '(' || c == ')':
			return "", &regexError{i, fmt.Sprintf("%q is not supported in regular expressions; match it literally with \\x%02x", c, c)}
		case c == '\\':
			if i+1 >= len(expr) {
				return "", &regexError{i, "trailing backslash in regular expression"}
			}
			e := expr[i+1]
			switch {
			case strings.IndexByte("dDsSwW", e) >= 0:
				out.WriteString(expr[i : i+2])
				i++
			case e == 'x':
				if i+3 >= len(expr) || !isHex(expr[i+2]) || !isHex(expr[i+3]) {
					return "", &regexError{i, "\\x must be followed by two hexadecimal digits"}
				}
				if expr[i+2] > '7' {
					return "", &regexError{i, "\\xhh must be an ASCII character (00-7f)"}
				}
				out.WriteString(expr[i : i+4])
				i += 3
			case strings.IndexByte(regexSymbols, e) >= 0 || strings.IndexByte(regexOperators, e) >= 0:
				out.WriteByte('\\')
				out.WriteByte(e)
				i++
			default:
				return "", &regexError{i, fmt.Sprintf("unsupported escape \\%c in regular expression; CloudWatch Logs allows \\d \\D \\s \\S \\w \\W, \\xhh and escaped symbols", e)}
			}
		case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0:
			out.WriteByte(c)
		case inClass:
			switch c {
			case ']':
				if i == classStart {
					out.WriteString(`\]`) // "[]a]": a literal ] first in the class
				} else {
					out.WriteByte(']')
					inClass = false
				}
			case '^':
				if i == classStart-1 {
					out.WriteByte('^') // negation; ] may follow as a literal
				} else {
					out.WriteString(`\^`)
				}
			case '[', '{', '}', '|', '*', '+', '.', '?', '$':
				out.WriteByte('\\')
				out.WriteByte(c)
			default:
				return "", disallowed(i, c)
			}
		case c == '[':
			inClass = true
			classStart = i + 1
			if i+1 < len(expr) && expr[i+1] == '^' {
				classStart = i + 2
			}
			out.WriteByte('[')
		case c == '{':
			rep, n, err := repetition(expr[i:])
			if err != nil {
				return "", &regexError{i, err.Error()}
			}
			out.WriteString(rep)
			i += n - 1
		case c == '}':
			return "", &regexError{i, "unexpected '}' in regular expression"}
		case strings.IndexByte(regexOperators, c) >= 0:
			out.WriteByte(c)
		default:
			return "", disallowed(i, c)
		}
	}
	if inClass {
		return "", &regexError{classStart - 1, "missing closing ] in regular expression"}
	}
	goExpr := out.String()
	if _, err := regexp.Compile(goExpr); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return "", &regexError{0, fmt.Sprintf("invalid regular expression: %s: %s", se.Code, se.Expr)}
		}
		return "", &regexError{0, "invalid regular expression: " + err.Error()}
	}
	return goExpr, nil
}

func disallowed(i int, c byte) *regexError {
	msg := fmt.Sprintf("character %q is not allowed in a CloudWatch Logs regular expression", c)
	if c == ' ' {
		msg += `; use \s or \x20`
	} else if c >= ' ' && c < 0x7f {
		msg += fmt.Sprintf(`; use \x%02x`, c)
	}
	return &regexError{i, msg}
}

// repetition parses "{m}", "{m,}", "{m,n}" or "{,n}" at the start of s and
// returns its Go spelling and its length.
func repetition(s string) (string, int, error) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0, errors.New("repetition {m,n} not terminated")
	}
	body := s[1:end]
	lo, hi, comma := body, "", false
	if k := strings.IndexByte(body, ','); k >= 0 {
		lo, hi, comma = body[:k], body[k+1:], true
	}
	if !allDigits(lo) || !allDigits(hi) || lo == "" && hi == "" {
		return "", 0, fmt.Errorf("invalid repetition %s; write {m}, {m,}, {m,n} or {,n}", s[:end+1])
	}
	if lo == "" {
		lo = "0"
	}
	if !comma {
		return "{" + lo + "}", end + 1, nil
	}
	return "{" + lo + "," + hi + "}", end + 1, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

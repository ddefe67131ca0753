package query

import (
	"regexp"
	"strings"
)

// convertRegex rewrites a CloudWatch Logs regular expression, already
// validated by filterpattern.Parse, for engines that read Java-style
// expressions (Logs Insights, Trino, Go's RE2, SQLite's REGEXP): the dialects
// agree on everything CloudWatch allows except the repetition {,n}, which
// they read as literal text and which becomes {0,n}.
func convertRegex(expr string) string {
	var b strings.Builder
	inClass := false
	classStart := 0 // offset of a class's first member, where "]" is literal
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			b.WriteString(expr[i : i+2])
			i++
		case inClass:
			if c == ']' && i != classStart {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			classStart = i + 1
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteString("[^")
				i++
				classStart = i + 1
				continue
			}
			b.WriteByte(c)
		case c == '{' && i+1 < len(expr) && expr[i+1] == ',':
			b.WriteString("{0")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// regexMatchesBoolean reports whether the regular expression finds a match
// in "true" or "false", the text some engines give JSON booleans.
func regexMatchesBoolean(expr string) bool {
	re, err := regexp.Compile(convertRegex(expr))
	if err != nil {
		return true // cannot tell: guard against booleans
	}
	return re.MatchString("true") || re.MatchString("false")
}

// quoteRegex escapes literal text for a regular expression; delim is also
// escaped when it is not 0, for engines that delimit expressions with it.
func quoteRegex(text string, delim byte) string {
	q := regexp.QuoteMeta(text)
	if delim != 0 {
		q = strings.ReplaceAll(q, string(delim), `\`+string(delim))
	}
	return q
}

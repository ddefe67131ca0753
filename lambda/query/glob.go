package query

import "strings"

// glob is a value with "*" wildcards, split the way filterpattern matches
// it: the text must start with Prefix; each later part is searched once, at
// its first occurrence after the previous one, without backtracking; unless
// the value ends in "*", the last part's first occurrence must end the text.
type glob struct {
	Prefix string
	// Parts are the non-empty parts after the first "*", in order.
	Parts []string
	// Open reports whether the value ends in "*": anything may follow the
	// last part.
	Open bool
}

// parseGlob splits a value that contains at least one "*".
func parseGlob(lit string) glob {
	split := strings.Split(lit, "*")
	g := glob{Prefix: split[0], Open: split[len(split)-1] == ""}
	for _, part := range split[1:] {
		if part != "" {
			g.Parts = append(g.Parts, part)
		}
	}
	return g
}

// any reports whether the glob is "*" alone (or only stars), which matches
// every string and number.
func (g glob) any() bool { return g.Prefix == "" && len(g.Parts) == 0 }

// match applies the glob to text, as filterpattern does.
func (g glob) match(text string) bool {
	if !strings.HasPrefix(text, g.Prefix) {
		return false
	}
	rest := text[len(g.Prefix):]
	for _, part := range g.Parts {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return g.Open || rest == ""
}

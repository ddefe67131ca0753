package explain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxColumn caps the width of the condition column; longer conditions push
// their value to the right rather than every other line.
const maxColumn = 64

// maxFound is how many values of a wildcard selector a line shows.
const maxFound = 5

// Tree renders the explanation, one node per line: its truth, the node drawn
// as a tree, and for conditions what the selector found.
//
//	true   &&
//	true   ├─ $.eventName = "ConsoleLogin"            found "ConsoleLogin"
//	false  └─ $.additionalEventData.MFAUsed != "Yes"  found "Yes"
func (n *Node) Tree() string {
	type line struct{ truth, tree, found string }
	var lines []line
	var walk func(n *Node, prefix, branch string)
	walk = func(n *Node, prefix, branch string) {
		l := line{truth: fmt.Sprint(n.Result), tree: prefix + branch + n.Text}
		if n.Kind == KindCondition {
			l.found = n.FoundText()
		}
		lines = append(lines, l)
		child := prefix
		switch branch {
		case "├─ ":
			child += "│  "
		case "└─ ":
			child += "   "
		}
		for i, t := range n.Terms {
			b := "├─ "
			if i == len(n.Terms)-1 {
				b = "└─ "
			}
			walk(t, child, b)
		}
	}
	walk(n, "", "")

	width := 0
	for _, l := range lines {
		if w := utf8.RuneCountInString(l.tree); w <= maxColumn {
			width = max(width, w)
		}
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-6s %s", l.truth, l.tree)
		if l.found != "" {
			pad := max(width-utf8.RuneCountInString(l.tree), 0) + 2
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(l.found)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// FoundText says what a condition's selector found: `found "StopLogging"`,
// `found 1, 2, 3`, or `not present`.
func (n *Node) FoundText() string {
	if len(n.Found) == 0 {
		return "not present"
	}
	shown := n.Found
	more := ""
	if len(shown) > maxFound {
		more = fmt.Sprintf(" and %d more", len(shown)-maxFound)
		shown = shown[:maxFound]
	}
	return "found " + strings.Join(shown, ", ") + more
}

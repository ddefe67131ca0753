package query

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// insightsFields are shown for every matching event, in this order: when,
// where, who, what and how it ended, as the CloudTrail sample queries do.
var insightsFields = []string{
	"@timestamp", "awsRegion", "sourceIPAddress", "userAgent", "userIdentity.arn",
	"eventSource", "eventName", "errorCode", "errorMessage", "recipientAccountId", "eventID",
}

// Insights translates p into a CloudWatch Logs Insights query over the trail's
// log group: the fields above plus every field the pattern reads, the
// events the pattern matches, newest first.
//
// Logs Insights discovers a CloudTrail record's fields by flattening it:
// userIdentity.arn, requestParameters.instancesSet.items.0.instanceId. What
// that cannot express is an error: wildcard selectors, keys that contain a
// dot, IS NULL, and a value with a "*" between two texts followed by more
// text. See the package documentation for the assumptions.
func Insights(p *filterpattern.Pattern, o Options) (string, error) {
	if p.MatchesAll() {
		return "", unsupported(EngineInsights, p, 0, "the empty pattern matches every event: query without a filter instead")
	}
	t := &insightsTranslator{p: p}
	filter, err := t.node(p.Root())
	if err != nil {
		return "", err
	}
	for _, x := range o.Exclude {
		if x.Pattern.MatchesAll() {
			return "", unsupported(EngineInsights, x.Pattern, 0, "an empty exclusion leaves nothing")
		}
		t.p = x.Pattern
		ex, err := t.node(x.Pattern.Root())
		if err != nil {
			return "", err
		}
		filter = parenthesize(filter) + " and not " + parenthesize(ex)
	}
	fields := slices.Clone(insightsFields)
	for _, f := range t.fields {
		if !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	var b strings.Builder
	b.WriteString(comment("#", p, o, t.notes))
	b.WriteString("fields " + strings.Join(fields, ", ") + "\n")
	b.WriteString("| filter " + filter + "\n")
	b.WriteString("| sort @timestamp desc\n")
	fmt.Fprintf(&b, "| limit %d\n", o.limit())
	return b.String(), nil
}

type insightsTranslator struct {
	p      *filterpattern.Pattern
	fields []string // fields the pattern reads, in order of first use
	notes  []string
}

func (t *insightsTranslator) errorf(off int, format string, args ...any) error {
	return unsupported(EngineInsights, t.p, off, "Logs Insights cannot express this: "+format, args...)
}

func (t *insightsTranslator) note(n string) {
	if !slices.Contains(t.notes, n) {
		t.notes = append(t.notes, n)
	}
}

// node translates the and/or structure of a pattern, each condition with
// the Logs Insights operators.
func (t *insightsTranslator) node(n filterpattern.Node) (string, error) {
	return boolTree(n, " and ", " or ", t.condition)
}

// field returns the Logs Insights name of the field a selector reads.
func (t *insightsTranslator) field(s *filterpattern.Selector) (string, error) {
	var parts []string
	plain := true
	for _, seg := range s.Segments {
		switch seg.Kind {
		case filterpattern.SegmentMember:
			if strings.Contains(seg.Name, "`") {
				return "", t.errorf(seg.Pos, "the key %q has a backquote, which a Logs Insights field name cannot hold", seg.Name)
			}
			if strings.Contains(seg.Name, ".") {
				return "", t.errorf(seg.Pos, "the key %q contains a dot, and Logs Insights joins nested keys with dots", seg.Name)
			}
			for _, r := range seg.Name {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
					plain = false
				}
			}
			parts = append(parts, seg.Name)
		case filterpattern.SegmentIndex:
			parts = append(parts, strconv.Itoa(seg.Index))
		default:
			return "", t.errorf(seg.Pos, "wildcard selectors (.* and [*]) select several values, and Logs Insights "+
				"has one field per flattened path; name the element, e.g. [0]")
		}
	}
	name := strings.Join(parts, ".")
	if !plain {
		// Names with characters other than letters, digits, "." and "@"
		// must be quoted.
		name = "`" + name + "`"
	}
	if !slices.Contains(t.fields, name) {
		t.fields = append(t.fields, name)
	}
	return name, nil
}

func (t *insightsTranslator) condition(c *filterpattern.Condition) (string, error) {
	f, err := t.field(c.Selector)
	if err != nil {
		return "", err
	}
	keys, members := memberKeys(c.Selector)
	container := members && isContainer(keys)
	isString := members && kindAt(keys) == kindString
	v := c.Value
	switch c.Op {
	case filterpattern.OpIsNull:
		return "", t.errorf(c.OpPos, "IS NULL: Logs Insights does not tell a JSON null from a missing field")
	case filterpattern.OpIsTrue, filterpattern.OpIsFalse:
		t.note("Logs Insights reads JSON true and false as the numbers 1 and 0, so IS TRUE and IS FALSE also match those numbers")
		if c.Op == filterpattern.OpIsTrue {
			return f + " = 1", nil
		}
		return f + " = 0", nil
	case filterpattern.OpNotExists:
		if container {
			return "", t.errorf(c.OpPos, "NOT EXISTS on %s: CloudTrail writes an object there, which Logs Insights "+
				"flattens into fields of its own, so the field itself never exists", c.Selector.Text)
		}
		return "not ispresent(" + f + ")", nil
	}
	if container {
		// An object or array never satisfies a comparison.
		return "", t.errorf(c.Selector.Position, "%s holds an object in CloudTrail records, which no comparison matches; "+
			"Logs Insights has no field for it", c.Selector.Text)
	}
	if c.Op.Relational() {
		if isString {
			return "", t.errorf(c.OpPos, "%s is a string in CloudTrail records, and %s matches numbers only: "+
				"the condition never holds", c.Selector.Text, c.Op)
		}
		return fmt.Sprintf("%s %s %s", f, c.Op, numberLiteral(v.Num)), nil
	}
	eq, err := t.equal(f, c, isString)
	if err != nil {
		return "", err
	}
	if c.Op == filterpattern.OpEqual {
		return eq.expr, nil
	}
	// Logs Insights' != and "not like" are true where the field is missing;
	// the pattern's != is not.
	if eq.negated != "" {
		return "(ispresent(" + f + ") and " + eq.negated + ")", nil
	}
	return "(ispresent(" + f + ") and not (" + eq.expr + "))", nil
}

// insightsEqual is the translation of "=" and, when simpler than "not (=)",
// of its negation for a field that is present.
type insightsEqual struct {
	expr    string
	negated string
}

func (t *insightsTranslator) equal(f string, c *filterpattern.Condition, isString bool) (insightsEqual, error) {
	v := c.Value
	switch {
	case v.Kind == filterpattern.ValueRegex:
		re := "/" + quoteDelim(convertRegex(v.Str), '/') + "/"
		return insightsEqual{f + " like " + re, f + " not like " + re}, nil
	case v.Kind == filterpattern.ValueNumber && !isString:
		// Numbers compare numerically, strings by the literal's text.
		t.note("an unquoted number matches a numeric field by value and a text field by the digits as written")
		lit := insightsString(v.Str)
		n := numberLiteral(v.Num)
		return insightsEqual{
			"(" + f + " = " + n + " or " + f + " = " + lit + ")",
			f + " != " + n + " and " + f + " != " + lit,
		}, nil
	case !v.HasWildcard():
		lit := insightsString(v.Str)
		return insightsEqual{f + " = " + lit, f + " != " + lit}, nil
	}
	g := parseGlob(v.Str)
	if g.any() {
		return insightsEqual{"ispresent(" + f + ")", ""}, nil
	}
	like, notLike, ok := globRegexes(g)
	if !ok {
		return insightsEqual{}, t.errorf(v.Position, "%s: after a middle \"*\" CloudWatch matches the next text at its first "+
			"occurrence only, which a Logs Insights regular expression cannot pin", v.Text)
	}
	if notLike == "" {
		return insightsEqual{f + " like /" + like + "/", f + " not like /" + like + "/"}, nil
	}
	return insightsEqual{"(" + f + " like /" + like + "/ and " + f + " not like /" + notLike + "/)", ""}, nil
}

// globRegexes expresses a glob (not "*" alone) with regular expressions that
// need no lookahead: the text matches the glob when it matches like and, if
// notLike is not "", does not match notLike. ok is false for a glob with a
// part between two "*" and text after the last "*", whose match depends on
// where a first occurrence is. The expressions are quoted for "/" delimiters.
func globRegexes(g glob) (like, notLike string, ok bool) {
	start := ""
	if g.Prefix != "" {
		start = "^" + quoteRegex(g.Prefix, '/')
	}
	if g.Open {
		// Every part need only occur, in order: first occurrences do.
		re := start
		for i, part := range g.Parts {
			if i > 0 || g.Prefix != "" {
				re += `[\s\S]*`
			}
			re += quoteRegex(part, '/')
		}
		return re, "", true
	}
	if len(g.Parts) > 1 {
		return "", "", false
	}
	// The first occurrence of the last part after the prefix must end the
	// value: an occurrence ends it, and none is followed by more text.
	if start != "" {
		start += `[\s\S]*`
	}
	last := quoteRegex(g.Parts[0], '/')
	return start + last + "$", start + last + `[\s\S]`, true
}

// numberLiteral spells a pattern's number the way query languages read it:
// no "+" sign, no exponent.
func numberLiteral(n float64) string {
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// insightsString quotes s as a Logs Insights string literal.
func insightsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// quoteDelim escapes unescaped occurrences of delim in a regular expression.
func quoteDelim(re string, delim byte) string {
	var b strings.Builder
	for i := 0; i < len(re); i++ {
		switch {
		case re[i] == '\\' && i+1 < len(re):
			b.WriteString(re[i : i+2])
			i++
		case re[i] == delim:
			b.WriteByte('\\')
			b.WriteByte(delim)
		default:
			b.WriteByte(re[i])
		}
	}
	return b.String()
}

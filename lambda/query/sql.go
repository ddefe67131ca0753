package query

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// value is how SQL reads what one selector selects in one row. An empty
// expression means the place never holds that kind of value in a CloudTrail
// record, so the comparison is false.
type value struct {
	// exists is true when the selector selects something.
	exists string
	// text is the text of a string, or of a number as written in the
	// record, and NULL otherwise (missing, null, boolean, object, array),
	// except that with boolText JSON booleans read as 'true' and 'false' and
	// notBool must exclude them.
	text     string
	boolText bool
	notBool  string
	// number is the value of a JSON number and NULL otherwise.
	number string
	// isNull, isTrue and isFalse test the JSON value itself; "" when the
	// table cannot tell a null from a missing key there.
	isNull, isTrue, isFalse string
	// nullIsMissing: exists is false for a JSON null too, so NOT EXISTS
	// cannot be told from IS NULL.
	nullIsMissing bool
}

// sqlDialect is what differs between the SQL engines the translation
// targets: Trino (Athena) for users, SQLite for the tests that run the
// translation on real records.
type sqlDialect interface {
	name() string
	// stringLit quotes s as a string literal.
	stringLit(s string) string
	regexLike(text, re string) string
	startsWith(text, prefix string) string
	// dropPrefix is text without its first len(prefix) characters.
	dropPrefix(text, prefix string) string
	// afterFirst is the text after the first occurrence of sep, NULL when
	// sep does not occur.
	afterFirst(text, sep string) string
	// field is a STRING (or boolean) field of a struct column, path
	// holding the struct fields from col down.
	field(col *column, path []*column) string
	// elementField is a field of element i of an array-of-struct column.
	elementField(col *column, i int, f *column) string
	// anyElement is true when cond holds for field f of some element of an
	// array-of-struct column; cond gets the field's expression.
	anyElement(col *column, f *column, cond func(field string) string) string
	// jsonValue reads the value at path inside a JSON-text column.
	jsonValue(col *column, path []filterpattern.Segment) (value, error)
	// anyJSON is true when cond holds for some value selected by
	// prefix, a wildcard of kind wild, then rest, inside a JSON-text column.
	anyJSON(col *column, prefix []filterpattern.Segment, wild filterpattern.SegmentKind, rest []filterpattern.Segment,
		cond func(value) string) (string, error)
}

// sqlTranslator turns one pattern into a WHERE clause.
type sqlTranslator struct {
	d      sqlDialect
	engine string
	p      *filterpattern.Pattern
}

func (t *sqlTranslator) errorf(off int, format string, args ...any) error {
	return unsupported(t.engine, t.p, off, "SQL over the CloudTrail table cannot express this: "+format, args...)
}

// where translates the pattern into a boolean SQL expression.
func (t *sqlTranslator) where() (string, error) {
	if t.p.MatchesAll() {
		return "TRUE", nil
	}
	return t.node(t.p.Root())
}

// node translates the and/or structure of a pattern, each condition in SQL.
func (t *sqlTranslator) node(n filterpattern.Node) (string, error) {
	return boolTree(n, " AND ", " OR ", t.condition)
}

// condition resolves the selector against the table and tests the value it
// selects; with a wildcard, the test holds when it holds for any value.
func (t *sqlTranslator) condition(c *filterpattern.Condition) (string, error) {
	segs := c.Selector.Segments
	wild := slices.IndexFunc(segs, func(s filterpattern.Segment) bool {
		return s.Kind == filterpattern.SegmentAnyIndex || s.Kind == filterpattern.SegmentAnyMember
	})
	for _, seg := range segs {
		if seg.Kind == filterpattern.SegmentMember && strings.ContainsAny(seg.Name, "\"\\") {
			return "", t.errorf(seg.Pos, "the key %q has a quote or backslash, which a JSON path cannot name", seg.Name)
		}
	}
	col, depth, err := t.locate(c.Selector)
	if err != nil {
		return "", err
	}
	var test func(value) (string, error)
	test = func(v value) (string, error) { return t.test(c, v) }

	switch {
	case wild < 0:
		v, err := t.place(c.Selector, col, depth)
		if err != nil {
			return "", err
		}
		return test(v)
	case col.Kind == kindJSON && wild >= depth:
		var condErr error
		exists := c.Op == filterpattern.OpNotExists
		expr, err := t.d.anyJSON(col, segs[depth:wild], segs[wild].Kind, segs[wild+1:], func(v value) string {
			if exists {
				return v.exists
			}
			s, err := test(v)
			if err != nil && condErr == nil {
				condErr = err
			}
			return s
		})
		if err == nil {
			err = condErr
		}
		if err != nil {
			return "", err
		}
		if exists {
			// Nothing is selected: no element has the value.
			return "NOT coalesce(" + expr + ", FALSE)", nil
		}
		return expr, nil
	case col.Kind == kindStructArray && wild == depth && segs[wild].Kind == filterpattern.SegmentAnyIndex:
		rest := segs[wild+1:]
		if len(rest) != 1 || rest[0].Kind != filterpattern.SegmentMember || col.field(rest[0].Name) == nil {
			return "", t.errorf(c.Selector.Position, "%s: the elements of %s have only the fields %s",
				c.Selector.Text, col.Key, fieldList(col))
		}
		f := col.field(rest[0].Name)
		var condErr error
		exists := c.Op == filterpattern.OpNotExists
		expr := t.d.anyElement(col, f, func(field string) string {
			v := typedValue(field, f.Kind)
			if exists {
				return v.exists
			}
			s, err := test(v)
			if err != nil && condErr == nil {
				condErr = err
			}
			return s
		})
		if condErr != nil {
			return "", condErr
		}
		if exists {
			return "NOT coalesce(" + expr + ", FALSE)", nil
		}
		return expr, nil
	}
	return "", t.errorf(segs[wild].Pos, "a wildcard selects the members of a JSON object or the elements of an array; "+
		"%s is a column of fixed shape", c.Selector.Text)
}

// locate finds the column a selector starts in and how many of its
// segments lead to it (one for a top-level column).
func (t *sqlTranslator) locate(s *filterpattern.Selector) (*column, int, error) {
	first := s.Segments[0]
	if first.Kind != filterpattern.SegmentMember {
		return nil, 0, t.errorf(first.Pos, "the table has one column per top-level key, and %s does not name one", s.Text)
	}
	col := cloudTrailTable.field(first.Name)
	if col == nil {
		return nil, 0, t.errorf(first.Pos, "%q is not a column of the CloudTrail table AWS documents for Athena "+
			"(keys are case sensitive: CloudTrail writes eventName, userIdentity, requestParameters, ...)", first.Name)
	}
	return col, 1, nil
}

// place reads a selector without wildcards.
func (t *sqlTranslator) place(s *filterpattern.Selector, col *column, depth int) (value, error) {
	segs := s.Segments[depth:]
	switch col.Kind {
	case kindJSON:
		if len(segs) == 0 {
			// The object itself: a null reads as a missing key.
			return value{exists: col.name() + " IS NOT NULL", nullIsMissing: true, isTrue: "FALSE", isFalse: "FALSE"}, nil
		}
		return t.d.jsonValue(col, segs)
	case kindStructArray:
		if len(segs) == 0 {
			return value{exists: col.name() + " IS NOT NULL", isNull: "FALSE", isTrue: "FALSE", isFalse: "FALSE"}, nil
		}
		if segs[0].Kind != filterpattern.SegmentIndex || len(segs) != 2 || segs[1].Kind != filterpattern.SegmentMember ||
			col.field(segs[1].Name) == nil {
			return value{}, t.errorf(s.Position, "%s: the elements of %s have only the fields %s", s.Text, col.Key, fieldList(col))
		}
		f := col.field(segs[1].Name)
		return typedValue(t.d.elementField(col, segs[0].Index, f), f.Kind), nil
	case kindStruct:
		var path []*column
		cur := col
		for _, seg := range segs {
			var next *column
			if seg.Kind == filterpattern.SegmentMember {
				next = cur.field(seg.Name)
			}
			if cur.Kind == kindMap {
				return value{}, t.errorf(seg.Pos, "%s: the table stores %s as a map, which only SQL map functions read", s.Text, cur.Key)
			}
			if next == nil {
				return value{}, t.errorf(seg.Pos, "%s: %s has only the fields %s", s.Text, cur.Key, fieldList(cur))
			}
			path = append(path, next)
			cur = next
		}
		if cur.Kind == kindStruct || cur.Kind == kindMap {
			return value{exists: t.d.field(col, path) + " IS NOT NULL", isNull: "FALSE", isTrue: "FALSE", isFalse: "FALSE"}, nil
		}
		return typedValue(t.d.field(col, path), cur.Kind), nil
	}
	if len(segs) > 0 {
		return value{}, t.errorf(segs[0].Pos, "%s: CloudTrail writes a %s at %s, which has no members or elements",
			s.Text, kindName(col.Kind), col.Key)
	}
	return typedValue(col.name(), col.Kind), nil
}

// typedValue reads a STRING column or field that holds kind k.
func typedValue(expr string, k kind) value {
	v := value{exists: expr + " IS NOT NULL", isNull: "FALSE", isTrue: "FALSE", isFalse: "FALSE"}
	if k == kindBool {
		v.isTrue, v.isFalse = expr+" = 'true'", expr+" = 'false'"
		return v
	}
	v.text = expr
	return v
}

func kindName(k kind) string {
	if k == kindBool {
		return "boolean"
	}
	return "string"
}

func fieldList(c *column) string {
	keys := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		keys[i] = f.Key
	}
	return strings.Join(keys, ", ")
}

// test translates a condition's operator and value for one selected value.
func (t *sqlTranslator) test(c *filterpattern.Condition, v value) (string, error) {
	switch c.Op {
	case filterpattern.OpNotExists:
		if v.nullIsMissing {
			return "", t.errorf(c.OpPos, "NOT EXISTS on %s: the table stores a JSON null there as a missing value", c.Selector.Text)
		}
		if e, ok := strings.CutSuffix(v.exists, " IS NOT NULL"); ok {
			return e + " IS NULL", nil
		}
		return "NOT (" + v.exists + ")", nil
	case filterpattern.OpIsNull:
		if v.nullIsMissing || v.isNull == "" {
			return "", t.errorf(c.OpPos, "IS NULL on %s: the table stores a JSON null there as a missing value", c.Selector.Text)
		}
		return v.isNull, nil
	case filterpattern.OpIsTrue:
		return v.isTrue, nil
	case filterpattern.OpIsFalse:
		return v.isFalse, nil
	}
	val := c.Value
	if c.Op.Relational() {
		if v.number == "" {
			return "FALSE", nil
		}
		return fmt.Sprintf("%s %s %s", v.number, c.Op, numberLiteral(val.Num)), nil
	}
	if v.text == "" {
		// Only strings and numbers are compared, and the place holds
		// neither.
		return "FALSE", nil
	}
	eq, guard := t.equal(val, v)
	if guard && v.boolText {
		eq = "(" + v.notBool + " AND " + eq + ")"
	}
	if c.Op == filterpattern.OpEqual {
		return eq, nil
	}
	// != holds for a string or number that does not match. A plain
	// comparison or regexp_like is NULL where the text is, so NOT of it is
	// already false there.
	if val.Kind == filterpattern.ValueRegex || val.Kind != filterpattern.ValueNumber && !val.HasWildcard() {
		ne := "NOT " + eq
		if val.Kind != filterpattern.ValueRegex {
			ne = v.text + " <> " + t.d.stringLit(val.Str)
		}
		if v.boolText {
			return "(" + v.notBool + " AND " + ne + ")", nil
		}
		return ne, nil
	}
	present := v.text + " IS NOT NULL"
	if v.boolText {
		present += " AND " + v.notBool
	}
	return "(" + present + " AND NOT coalesce(" + eq + ", FALSE))", nil
}

// equal translates "=" for a string or number value; guard reports whether
// the translation could also hold for the text of a JSON boolean.
func (t *sqlTranslator) equal(val *filterpattern.Value, v value) (expr string, guard bool) {
	d := t.d
	switch {
	case val.Kind == filterpattern.ValueRegex:
		return d.regexLike(v.text, convertRegex(val.Str)), regexMatchesBoolean(val.Str)
	case val.Kind == filterpattern.ValueNumber:
		// Numerically with numbers, by the digits as written with strings.
		textEq := v.text + " = " + d.stringLit(val.Str)
		if v.number == "" {
			return textEq, false
		}
		return "(" + v.number + " = " + numberLiteral(val.Num) + " OR (" + v.number + " IS NULL AND " + textEq + "))", false
	case !val.HasWildcard():
		return v.text + " = " + d.stringLit(val.Str), val.Str == "true" || val.Str == "false"
	}
	g := parseGlob(val.Str)
	guard = g.match("true") || g.match("false")
	if g.any() {
		return v.text + " IS NOT NULL", true
	}
	var conds []string
	rest := v.text
	if g.Prefix != "" {
		conds = append(conds, d.startsWith(v.text, g.Prefix))
		rest = d.dropPrefix(v.text, g.Prefix)
	}
	for _, part := range g.Parts {
		rest = d.afterFirst(rest, part)
	}
	switch {
	case len(g.Parts) == 0:
		// A prefix and "*": the prefix test says it all.
	case g.Open:
		conds = append(conds, rest+" IS NOT NULL")
	default:
		conds = append(conds, rest+" = ''")
	}
	if len(conds) == 1 {
		return conds[0], guard
	}
	return "(" + strings.Join(conds, " AND ") + ")", guard
}

// sqlIdentRE matches JSON keys that a JSON path may name after a dot.
var sqlIdentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPath renders segments (members and indexes only) as a JSON path, names
// that are not identifiers in brackets and double quotes.
func jsonPath(segs []filterpattern.Segment, quoted func(name string) string) (string, bool) {
	var b strings.Builder
	b.WriteByte('$')
	for _, seg := range segs {
		switch seg.Kind {
		case filterpattern.SegmentMember:
			if sqlIdentRE.MatchString(seg.Name) {
				b.WriteString("." + seg.Name)
				continue
			}
			if strings.ContainsAny(seg.Name, "\"\\") {
				return "", false
			}
			b.WriteString(quoted(seg.Name))
		case filterpattern.SegmentIndex:
			fmt.Fprintf(&b, "[%d]", seg.Index)
		default:
			return "", false
		}
	}
	return b.String(), true
}

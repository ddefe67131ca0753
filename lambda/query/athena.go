package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// athenaColumns are shown for every matching event, in this order: when,
// where, who, what and how it ended.
var athenaColumns = []string{
	"eventtime", "awsregion", "sourceipaddress", "useragent", "useridentity.arn AS principal",
	"eventsource", "eventname", "errorcode", "errormessage", "recipientaccountid", "eventid",
}

// tableNameRE accepts a table name, optionally qualified by its database.
var tableNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// Athena translates p into Athena (Trino) SQL over the CloudTrail table AWS
// documents, as TableDDL creates it: the columns above for the events the
// pattern matches, newest first. Paths inside requestParameters,
// responseElements, additionalEventData, serviceEventDetails and
// edgeDeviceDetails are read from their JSON text. A construct SQL cannot
// express with the pattern's meaning is an *Error.
func Athena(p *filterpattern.Pattern, o Options) (string, error) {
	table := o.Table
	if table == "" {
		table = DefaultTable
	}
	if !tableNameRE.MatchString(table) {
		return "", fmt.Errorf("query: %q is not a table name (letters, digits and _, optionally database.table)", table)
	}
	t := &sqlTranslator{d: trino{}, engine: EngineAthena, p: p}
	where, err := t.where()
	if err != nil {
		return "", err
	}
	for _, x := range o.Exclude {
		xt := &sqlTranslator{d: trino{}, engine: EngineAthena, p: x.Pattern}
		ex, err := xt.where()
		if err != nil {
			return "", err
		}
		// An exclusion that SQL cannot decide (NULL) does not apply.
		where = parenthesize(where) + " AND NOT coalesce(" + ex + ", FALSE)"
	}
	var b strings.Builder
	b.WriteString(comment("--", p, o, nil))
	b.WriteString("-- narrow the scan with the partitions, e.g. AND day >= '2026/01/01' AND region = 'us-east-1'\n")
	b.WriteString("SELECT " + strings.Join(athenaColumns, ", ") + "\n")
	b.WriteString("FROM " + table + "\n")
	b.WriteString("WHERE " + where + "\n")
	b.WriteString("ORDER BY eventtime DESC\n")
	fmt.Fprintf(&b, "LIMIT %d;\n", o.limit())
	return b.String(), nil
}

// trino is the dialect of Athena engine v3.
type trino struct{}

func (trino) name() string { return "Trino" }

func (trino) stringLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (d trino) regexLike(text, re string) string {
	return "regexp_like(" + text + ", " + d.stringLit(re) + ")"
}

func (d trino) startsWith(text, prefix string) string {
	return "starts_with(" + text + ", " + d.stringLit(prefix) + ")"
}

func (trino) dropPrefix(text, prefix string) string {
	return "substr(" + text + ", " + strconv.Itoa(utf8.RuneCountInString(prefix)+1) + ")"
}

func (d trino) afterFirst(text, sep string) string {
	return "element_at(split(" + text + ", " + d.stringLit(sep) + ", 2), 2)"
}

func (trino) field(col *column, path []*column) string {
	names := []string{col.name()}
	for _, f := range path {
		names = append(names, f.name())
	}
	return strings.Join(names, ".")
}

func (trino) elementField(col *column, i int, f *column) string {
	// element_at is NULL past the end, where [] would fail the query.
	return fmt.Sprintf("element_at(%s, %d).%s", col.name(), i+1, f.name())
}

func (trino) anyElement(col *column, f *column, cond func(string) string) string {
	return "any_match(" + col.name() + ", r -> " + cond("r."+f.name()) + ")"
}

func (d trino) jsonPath(segs []filterpattern.Segment) (string, bool) {
	return jsonPath(segs, func(name string) string { return `["` + name + `"]` })
}

func (d trino) jsonValue(col *column, path []filterpattern.Segment) (value, error) {
	p, ok := d.jsonPath(path)
	if !ok {
		return value{}, fmt.Errorf("query: no JSON path for %v", path)
	}
	return d.jsonAt(col.name(), d.stringLit(p)), nil
}

// jsonAt reads the value at the JSON path literal path of base, a JSON text
// or a JSON value.
func (d trino) jsonAt(base, path string) value {
	j := "json_extract(" + base + ", " + path + ")"
	if path == "'$'" {
		j = base
	}
	format := "json_format(" + j + ")"
	return value{
		exists:   j + " IS NOT NULL",
		text:     "json_extract_scalar(" + base + ", " + path + ")",
		boolText: true,
		notBool:  format + " NOT IN ('true', 'false')",
		number:   "TRY_CAST(" + format + " AS DOUBLE)",
		isNull:   format + " = 'null'",
		isTrue:   format + " = 'true'",
		isFalse:  format + " = 'false'",
	}
}

func (d trino) anyJSON(col *column, prefix []filterpattern.Segment, wild filterpattern.SegmentKind, rest []filterpattern.Segment,
	cond func(value) string) (string, error) {
	pp, ok1 := d.jsonPath(prefix)
	rp, ok2 := d.jsonPath(rest)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("query: no JSON path for %v", append(prefix, rest...))
	}
	container := "json_extract(" + col.name() + ", " + d.stringLit(pp) + ")"
	// TRY_CAST is NULL for a value of the other kind, so any_match is too.
	elems := "TRY_CAST(" + container + " AS ARRAY(JSON))"
	if wild == filterpattern.SegmentAnyMember {
		elems = "map_values(TRY_CAST(" + container + " AS MAP(VARCHAR, JSON)))"
	}
	return "any_match(" + elems + ", e -> " + cond(d.jsonAt("e", d.stringLit(rp))) + ")", nil
}

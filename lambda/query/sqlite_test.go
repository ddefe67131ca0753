package query

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// sqlite is the translation's dialect for SQLite's JSON functions, so that
// the shared part of the SQL translation (the logic, != and its missing
// values, numbers against text, the "*" matching, wildcards, the table's
// places) runs on real records here. It differs from Trino only in the
// primitives: json_type and -> instead of json_format and
// json_extract_scalar, instr and substr instead of split, json_each
// instead of any_match. The struct columns are JSON text read with
// json_extract, which like a struct field is NULL for a missing key.
type sqlite struct{}

func (sqlite) name() string { return "SQLite" }

func (sqlite) stringLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (d sqlite) regexLike(text, re string) string {
	return "(" + text + " REGEXP " + d.stringLit(re) + ")"
}

func (d sqlite) startsWith(text, prefix string) string {
	return fmt.Sprintf("substr(%s, 1, %d) = %s", text, utf8.RuneCountInString(prefix), d.stringLit(prefix))
}

func (sqlite) dropPrefix(text, prefix string) string {
	return fmt.Sprintf("substr(%s, %d)", text, utf8.RuneCountInString(prefix)+1)
}

func (d sqlite) afterFirst(text, sep string) string {
	s := d.stringLit(sep)
	return fmt.Sprintf("CASE WHEN instr(%s, %s) > 0 THEN substr(%s, instr(%s, %s) + %d) END",
		text, s, text, text, s, utf8.RuneCountInString(sep))
}

func (d sqlite) field(col *column, path []*column) string {
	keys := make([]filterpattern.Segment, len(path))
	for i, f := range path {
		keys[i] = filterpattern.Segment{Kind: filterpattern.SegmentMember, Name: f.Key}
	}
	p, _ := d.jsonPath(keys)
	return "json_extract(" + col.name() + ", " + d.stringLit(p) + ")"
}

func (d sqlite) elementField(col *column, i int, f *column) string {
	return fmt.Sprintf("json_extract(%s, '$[%d].%s')", col.name(), i, f.Key)
}

func (d sqlite) anyElement(col *column, f *column, cond func(string) string) string {
	return fmt.Sprintf("EXISTS (SELECT 1 FROM json_each(%s) AS r WHERE %s)", col.name(),
		cond("json_extract(r.value, "+d.stringLit("$."+f.Key)+")"))
}

func (sqlite) jsonPath(segs []filterpattern.Segment) (string, bool) {
	return jsonPath(segs, func(name string) string { return `."` + name + `"` })
}

func (d sqlite) jsonValue(col *column, path []filterpattern.Segment) (value, error) {
	p, ok := d.jsonPath(path)
	if !ok {
		return value{}, fmt.Errorf("no JSON path for %v", path)
	}
	return d.jsonAt(col.name(), d.stringLit(p)), nil
}

// jsonAt reads the value at path, an SQL text expression, of base.
func (sqlite) jsonAt(base, path string) value {
	typ := "json_type(" + base + ", " + path + ")"
	return value{
		exists: typ + " IS NOT NULL",
		text: "CASE " + typ + " WHEN 'text' THEN json_extract(" + base + ", " + path + ") WHEN 'integer' THEN " +
			base + " -> " + path + " WHEN 'real' THEN " + base + " -> " + path + " END",
		number:  "CASE WHEN " + typ + " IN ('integer', 'real') THEN json_extract(" + base + ", " + path + ") END",
		isNull:  typ + " = 'null'",
		isTrue:  typ + " = 'true'",
		isFalse: typ + " = 'false'",
	}
}

func (d sqlite) anyJSON(col *column, prefix []filterpattern.Segment, wild filterpattern.SegmentKind, rest []filterpattern.Segment,
	cond func(value) string) (string, error) {
	pp, ok1 := d.jsonPath(prefix)
	rp, ok2 := d.jsonPath(rest)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("no JSON path for %v", append(prefix, rest...))
	}
	container := "array"
	if wild == filterpattern.SegmentAnyMember {
		container = "object"
	}
	elem := "e.fullkey"
	if rp != "$" {
		elem += " || " + d.stringLit(strings.TrimPrefix(rp, "$"))
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM json_each(%s, %s) AS e WHERE json_type(%s, %s) = '%s' AND %s)",
		col.name(), d.stringLit(pp), col.name(), d.stringLit(pp), container, cond(d.jsonAt(col.name(), elem))), nil
}

// sqliteWhere translates p for SQLite.
func sqliteWhere(p *filterpattern.Pattern) (string, error) {
	return (&sqlTranslator{d: sqlite{}, engine: "sqlite", p: p}).where()
}

// sqliteLoad is the SQL that loads a JSON array of records into a table
// with the CloudTrail table's columns, as the Athena SerDe fills them:
// strings as text, readOnly as 'true'/'false', objects and arrays as their
// JSON text, a JSON null as NULL.
func sqliteLoad(file string) string {
	var cols []string
	for _, c := range cloudTrailTable.Fields {
		at := sqlite{}.stringLit("$." + c.Key)
		var expr string
		switch c.Kind {
		case kindString:
			expr = "CASE WHEN json_type(value, " + at + ") = 'text' THEN json_extract(value, " + at + ") END"
		case kindBool:
			expr = "CASE json_type(value, " + at + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END"
		default:
			expr = "CASE WHEN json_type(value, " + at + ") IN ('object', 'array') THEN value -> " + at + " END"
		}
		cols = append(cols, expr+" AS "+c.name())
	}
	return "CREATE TABLE cloudtrail AS SELECT CAST(key AS INTEGER) AS idx, " + strings.Join(cols, ", ") +
		" FROM json_each(readfile(" + sqlite{}.stringLit(file) + "));\n"
}

// crafted are records with the values real samples rarely hold: booleans,
// nulls and numbers where strings usually are, text that trips a
// backtracking matcher, arrays and objects under wildcards.
var crafted = []string{
	`{"eventName":"GetObject","errorCode":"DeniedAccessDenied","requestParameters":{"enabled":true,"flag":"true","maxResults":100,"policy":null,"bucketName":"logs-a-prod-prod"},"readOnly":true}`,
	`{"eventName":"PutObject","errorCode":"AccessDenied","requestParameters":{"enabled":"true","maxResults":"100","bucketName":"logs-x-prod","items":[1,"a",null,{"id":"i-0abc"}]},"readOnly":false}`,
	`{"eventName":"ListBuckets","requestParameters":{"enabled":false,"maxResults":100.0,"bucketName":"logs-prod","items":{"id":"i-0abc"}},"resources":[{"ARN":"arn:aws:s3:::secret-1"},{"accountId":"1"}]}`,
	`{"eventName":"Describe","requestParameters":{"maxResults":1e2,"policy":"x","x.y":"z","some-key":"v"},"resources":[]}`,
	`{"eventName":"Nothing","requestParameters":null,"responseElements":null,"userIdentity":{"type":"Root","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}}`,
	`{"eventName":"Client.UnauthorizedOperationUnauthorizedOperation","errorCode":"Client.UnauthorizedOperation","userAgent":"abcbc","errorMessage":"it's \"quoted\" \\ here"}`,
}

// extraPatterns add to the constructs ones with many hits in the samples.
var extraPatterns = []string{
	`{ $.requestParameters.bucketName = * }`,
	`{ $.resources[*].ARN = "arn:aws:s3:::*" }`,
	`{ $.resources[*].type != "AWS::S3::Object" }`,
	`{ $.requestParameters.instancesSet.items[*].instanceId = "i-*" }`,
	`{ $.requestParameters.items[*].id = "i-0abc" }`,
	`{ $.requestParameters.items[*] = "a" }`,
	`{ $.requestParameters.items.* = "i-0abc" }`,
	`{ $.requestParameters.items[3].id = "i-0abc" }`,
	`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }`,
	`{ $.sourceIPAddress = %^\d+\.\d+\.% }`,
	`{ $.userAgent = "*aws-cli*" }`,
	`{ $.userAgent = "a*bc" }`,
	`{ $.requestParameters.maxResults >= 5 }`,
	`{ $.requestParameters.maxResults != "100" }`,
	`{ $.responseElements.ConsoleLogin = "Success" }`,
	`{ $.requestParameters.policy NOT EXISTS }`,
	`{ $.requestParameters.enabled IS FALSE }`,
	`{ $.requestParameters.enabled != "true" }`,
	`{ $.requestParameters.enabled = %e$% }`,
	`{ $.errorCode = "*Denied" }`,
	`{ $.userIdentity.type = "Root" || $.readOnly IS TRUE && $.eventName = "GetObject" }`,
	`{ $.eventSource = "*.amazonaws.com" && $.eventName = %^Delete|^Put% }`,
}

// TestSQLiteMatchesEngine runs the SQL translation of every rule and every
// construct on the shared real CloudTrail samples and the crafted records,
// in SQLite, and compares the records each selects with the filterpattern
// engine's.
func TestSQLiteMatchesEngine(t *testing.T) {
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed; .ci/run installs it")
		}
		t.Skip("sqlite3 is not installed")
	}
	records := crafted
	samples := filepath.Join("..", "..", "..", "shared", "cloudtrail", "bench", "ALL-recorded.json.gz")
	if f, err := os.Open(samples); err == nil {
		records = append(readRecords(t, f), records...)
		f.Close()
	} else {
		t.Logf("no shared samples (%v): crafted records only", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "records.json")
	if err := os.WriteFile(data, []byte("["+strings.Join(records, ",")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}

	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, r := range rs.Rules() {
		sources = append(sources, r.Pattern.String())
	}
	sources = append(sources, constructs...)
	sources = append(sources, extraPatterns...)

	var script strings.Builder
	script.WriteString(sqliteLoad(data))
	type check struct {
		src  string
		want []int
	}
	var checks []check
	for _, src := range sources {
		p, err := filterpattern.Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		where, err := sqliteWhere(p)
		var qe *Error
		if errors.As(err, &qe) {
			continue // the Athena goldens show the error
		}
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var want []int
		for i, rec := range records {
			if p.Match([]byte(rec)) {
				want = append(want, i)
			}
		}
		fmt.Fprintf(&script, "SELECT %d || ':' || coalesce((SELECT group_concat(idx, ',') FROM (SELECT idx FROM cloudtrail WHERE %s ORDER BY idx)), '');\n",
			len(checks), where)
		checks = append(checks, check{src, want})
	}
	cmd := exec.Command(sqlite3, "-bail", ":memory:")
	cmd.Stdin = strings.NewReader(script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, stderr.String())
	}
	got := map[int][]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		n, ids, _ := strings.Cut(sc.Text(), ":")
		i, _ := strconv.Atoi(n)
		got[i] = []int{}
		for _, id := range strings.Split(ids, ",") {
			if id != "" {
				v, _ := strconv.Atoi(id)
				got[i] = append(got[i], v)
			}
		}
	}
	matched := 0
	for i, c := range checks {
		g, ok := got[i]
		switch {
		case !ok:
			t.Errorf("%s: no result from SQLite", c.src)
		case !slices.Equal(g, c.want) && !(len(g) == 0 && len(c.want) == 0):
			t.Errorf("%s: SQLite selects %d records, the engine %d; first differences: %s",
				c.src, len(g), len(c.want), firstDiff(records, g, c.want))
		}
		matched += len(c.want)
	}
	t.Logf("%d patterns over %d records, %d matches, all equal", len(checks), len(records), matched)
}

func readRecords(t *testing.T, r io.Reader) []string {
	t.Helper()
	rd := cloudtrail.NewReader(r)
	var out []string
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(rec))
	}
}

func firstDiff(records []string, got, want []int) string {
	var b strings.Builder
	for _, side := range []struct {
		name      string
		in, notIn []int
	}{{"only SQLite", got, want}, {"only the engine", want, got}} {
		n := 0
		for _, i := range side.in {
			if !slices.Contains(side.notIn, i) && n < 2 {
				rec := records[i]
				if len(rec) > 300 {
					rec = rec[:300] + "..."
				}
				fmt.Fprintf(&b, "\n  %s: #%d %s", side.name, i, rec)
				n++
			}
		}
	}
	return b.String()
}

package filterpattern

import (
	"fmt"
	"sync"
	"testing"
)

// A record with one property of every kind, for the rows of the
// specification's comparison table (§6).
const kinds = `{"str":"abc","num":123,"float":12.0,"dec":12.34,"ip":"111.111.111.111","digits":"123",` +
	`"five":"500","t":true,"f":false,"nul":null,"obj":{"a":1},"arr":[1,2],"empty":"","tstr":"true"}`

type semanticsCase struct {
	pattern string
	record  string
	want    bool
}

var semantics = []semanticsCase{
	// §6 row "absent": nothing matches but NOT EXISTS; != does not match a missing property.
	{`{ $.missing = "abc" }`, kinds, false},
	{`{ $.missing != "abc" }`, kinds, false},
	{`{ $.missing = 123 }`, kinds, false},
	{`{ $.missing != 123 }`, kinds, false},
	{`{ $.missing < 5 }`, kinds, false},
	{`{ $.missing = * }`, kinds, false},
	{`{ $.missing = %a% }`, kinds, false},
	{`{ $.missing != %a% }`, kinds, false},
	{`{ $.missing IS NULL }`, kinds, false},
	{`{ $.missing IS TRUE }`, kinds, false},
	{`{ $.missing IS FALSE }`, kinds, false},
	{`{ $.missing NOT EXISTS }`, kinds, true},
	{`{ $.obj.missing NOT EXISTS }`, kinds, true},
	{`{ $.str.missing NOT EXISTS }`, kinds, true},
	{`{ $.arr[5] NOT EXISTS }`, kinds, true},
	{`{ $.missing.deeper NOT EXISTS }`, kinds, true},

	// Row "null": only IS NULL; the key exists.
	{`{ $.nul = "null" }`, kinds, false},
	{`{ $.nul != "abc" }`, kinds, false},
	{`{ $.nul = null }`, kinds, false},
	{`{ $.nul = * }`, kinds, false},
	{`{ $.nul != 1 }`, kinds, false},
	{`{ $.nul > 0 }`, kinds, false},
	{`{ $.nul IS NULL }`, kinds, true},
	{`{ $.nul IS TRUE }`, kinds, false},
	{`{ $.nul IS FALSE }`, kinds, false},
	{`{ $.nul NOT EXISTS }`, kinds, false},

	// Row "true / false": only IS TRUE / IS FALSE.
	{`{ $.t = true }`, kinds, false},
	{`{ $.t = "true" }`, kinds, false},
	{`{ $.f = false }`, kinds, false},
	{`{ $.t != "false" }`, kinds, false},
	{`{ $.t = * }`, kinds, false},
	{`{ $.t > 0 }`, kinds, false},
	{`{ $.t IS TRUE }`, kinds, true},
	{`{ $.t IS FALSE }`, kinds, false},
	{`{ $.f IS FALSE }`, kinds, true},
	{`{ $.f IS TRUE }`, kinds, false},
	{`{ $.t IS NULL }`, kinds, false},
	{`{ $.t NOT EXISTS }`, kinds, false},

	// Row "string".
	{`{ $.str = "abc" }`, kinds, true},
	{`{ $.str = abc }`, kinds, true},
	{`{ $.str = "ABC" }`, kinds, false},
	{`{ $.str != "abc" }`, kinds, false},
	{`{ $.str != "abd" }`, kinds, true},
	{`{ $.str = "a*" }`, kinds, true},
	{`{ $.str = * }`, kinds, true},
	{`{ $.str = "*" }`, kinds, true},
	{`{ $.str != * }`, kinds, false},
	{`{ $.str = %b% }`, kinds, true},
	{`{ $.str != %b% }`, kinds, false},
	{`{ $.str != %^b% }`, kinds, true},
	{`{ $.ip != 111 }`, kinds, true},    // observed: the number literal's digits compared as text
	{`{ $.ip = 111 }`, kinds, false},    //
	{`{ $.digits = 123 }`, kinds, true}, // unquoted number against a string: text
	{`{ $.digits = 123.0 }`, kinds, false},
	{`{ $.five > 100 }`, kinds, false}, // relational never matches a string, even a numeric one
	{`{ $.five >= 0 }`, kinds, false},
	{`{ $.str IS NULL }`, kinds, false},
	{`{ $.tstr IS TRUE }`, kinds, false}, // "true" is not a boolean
	{`{ $.str NOT EXISTS }`, kinds, false},
	{`{ $.empty = "*" }`, kinds, true}, // observed: "*" matches the empty string
	{`{ $.empty = "" }`, kinds, true},
	{`{ $.empty != "x" }`, kinds, true},

	// Row "number": quoted literals compare with the number's text, unquoted ones numerically.
	{`{ $.num = "123" }`, kinds, true},
	{`{ $.num != "123.0" }`, kinds, true},
	{`{ $.num = "1*" }`, kinds, true},
	{`{ $.num = "*23" }`, kinds, true},
	{`{ $.dec = "*.34" }`, kinds, true},
	{`{ $.float != "12" }`, kinds, true},
	{`{ $.float = "12.0" }`, kinds, true},
	{`{ $.num = 123.0 }`, kinds, true},
	{`{ $.float = 12 }`, kinds, true},
	{`{ $.float != 12 }`, kinds, false},
	{`{ $.num = 1.23e2 }`, kinds, true},
	{`{ $.num = +123 }`, kinds, true},
	{`{ $.num = * }`, kinds, true},
	{`{ $.num = %^12% }`, kinds, true},
	{`{ $.num > 100 }`, kinds, true},
	{`{ $.num < 100 }`, kinds, false},
	{`{ $.num >= 123 }`, kinds, true},
	{`{ $.num <= 122.9 }`, kinds, false},
	{`{ $.dec < 12.35 }`, kinds, true},
	{`{ $.num > -1e3 }`, kinds, true},
	{`{ $.num IS NULL }`, kinds, false},
	{`{ $.num IS TRUE }`, kinds, false},
	{`{ $.num NOT EXISTS }`, kinds, false},

	// Row "object / array": never a value node.
	{`{ $.obj = * }`, kinds, false},
	{`{ $.obj != "x" }`, kinds, false},
	{`{ $.obj = 1 }`, kinds, false},
	{`{ $.obj > 0 }`, kinds, false},
	{`{ $.obj IS NULL }`, kinds, false},
	{`{ $.obj NOT EXISTS }`, kinds, false},
	{`{ $.arr = * }`, kinds, false},
	{`{ $.arr != 3 }`, kinds, false},
	{`{ $.arr IS NULL }`, kinds, false},
	{`{ $.arr NOT EXISTS }`, kinds, false},

	// Precedence (documented): && binds tighter than ||.
	{`{ $.str = abc || $.num = 1 && $.t IS FALSE }`, kinds, true},
	{`{ ($.str = abc || $.num = 1) && $.t IS FALSE }`, kinds, false},
	{`{ $.num = 1 && $.t IS FALSE || $.str = abc }`, kinds, true},
	{`{ $.str = abc && ($.num = 1 || $.t IS TRUE) }`, kinds, true},
	{`{ (($.str = abc)) }`, kinds, true},

	// Wildcards in values: left to right, without backtracking (§7).
	{`{ $.e = "*Denied" }`, `{"e":"DeniedAccessDenied"}`, false},
	{`{ $.e = "*Denied" }`, `{"e":"AccessDenied"}`, true},
	{`{ $.e = "*Denied*" }`, `{"e":"DeniedAccessDenied"}`, true},
	{`{ $.e = "a*b" }`, `{"e":"ab-ab"}`, false},
	{`{ $.e = "a*b" }`, `{"e":"a-b"}`, true},
	{`{ $.ip = "*111.111.111" }`, kinds, false}, // observed
	{`{ $.ip = "*.111.111.111" }`, kinds, true}, // observed
	{`{ $.ip != 111*111 }`, kinds, true},        // observed
	{`{ $.ip = 111.111.* }`, kinds, true},
	{`{ $.num != "1*3" }`, kinds, false}, // observed: the middle * matched
	{`{ $.num != 1*3 }`, kinds, false},
	{`{ $.dec != "1*4" }`, kinds, false},
	{`{ $.code = 4* }`, `{"code":404}`, true},
	{`{ $.code = 4* }`, `{"code":"404"}`, true},
	{`{ $.code = 4* }`, `{"code":504}`, false},
	{`{ $.b != "edu-ucsc-gi-platform-hca-dev-*.us-east-1" }`, `{"b":"edu-ucsc-gi-platform-hca-dev-mirror-dev.us-east-1"}`, false},
	{`{ $.e = "Ev*ent" }`, `{"e":"EvSomeEvent"}`, true},
	{`{ $.e = "**" }`, `{"e":""}`, true},
	{`{ $.errorCode = "*UnauthorizedOperation" }`, `{"errorCode":"Client.UnauthorizedOperation"}`, true},
	{`{ $.errorCode = "AccessDenied*" }`, `{"errorCode":"AccessDeniedException"}`, true},
	{`{ $.errorCode = "AccessDenied*" }`, `{"errorCode":"accessdenied"}`, false},

	// Regular expressions (§8).
	{`{ $.eventType = %Trail% }`, `{"eventType":"UpdateTrail"}`, true},
	{`{ $.eventType = %^Trail% }`, `{"eventType":"UpdateTrail"}`, false},
	{`{ $.eventType = %Trail$% }`, `{"eventType":"UpdateTrail"}`, true},
	{`{ $.c = %gra|ey% }`, `{"c":"grey"}`, true},
	{`{ $.c = %\x28x\x29% }`, `{"c":"f(x)"}`, true},
	{`{ $.c = %a{,2}b% }`, `{"c":"b"}`, true},
	{`{ $.c = %^\d{3}$% }`, `{"c":"404"}`, true},
	{`{ $.c = %^\d{3}$% }`, `{"c":404}`, true},
	{`{ $.c = %^[^a-z]+$% }`, `{"c":"ABC"}`, true},
	{`{ $.c = %\s% }`, `{"c":"a b"}`, true},
	{`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, `{"a":"x","b":"111.111.111.111"}`, true},
	{`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, `{"a":"x","b":"111.111.111.2"}`, false},

	// Selectors (§4).
	{`{ $.arrayKey[*] = %val.{2}% }`, `{"arrayKey":["x","value"]}`, true},
	{`{ $.arrayKey[*] = %val.{2}% }`, `{"arrayKey":"value"}`, false}, // not an array
	{`{ $.objectList[1].id = 2 }`, `{"objectList":[{"id":1},{"id":2}]}`, true},
	{`{ $.objectList[1].id = 2 }`, `{"objectList":{"1":{"id":2}}}`, false}, // key "1" is not index 1
	{`{ $.objectList[1].id = 2 }`, `{"objectList":[{"id":1},"x"]}`, false},
	{`{ $.coordinates[0][1] = 2 }`, `{"coordinates":[[1,2],[3,4]]}`, true},
	{`{ $.coordinates[1][0] = 2 }`, `{"coordinates":[[1,2],[3,4]]}`, false},
	{`{ $.['cluster.name'] = "c1" }`, `{"cluster.name":"c1","cluster":{"name":"c2"}}`, true},
	{`{ $.cluster.name = "c1" }`, `{"cluster.name":"c1","cluster":{"name":"c2"}}`, false},
	{`{ $.a.['b c'].d = 1 }`, `{"a":{"b c":{"d":1}}}`, true},
	{`{ $.* = "x" }`, `{"a":1,"b":"x"}`, true},
	{`{ $.* = "x" }`, `{"a":1,"b":{"c":"x"}}`, false}, // one level only
	{`{ $.*.c = "x" }`, `{"a":1,"b":{"c":"x"}}`, true},
	{`{ $.a.* = 1 }`, `{"a":[1,2]}`, false}, // .* selects members, not elements
	{`{ $.a[*] = 1 }`, `{"a":{"x":1}}`, false},
	{`{ $.a[*].b = 2 }`, `{"a":[{"b":1},{"c":3},{"b":2}]}`, true},
	{`{ $.a[*] != 1 }`, `{"a":[1,2]}`, true}, // existential: 2 != 1
	{`{ $.a[*] != 1 }`, `{"a":[1,1]}`, false},
	{`{ $.a[*] > 1 }`, `{"a":[0,"5",2]}`, true},
	{`{ $.a[*] IS NULL }`, `{"a":[0,null]}`, true},
	{`{ $.a[*] NOT EXISTS }`, `{"a":[]}`, true},
	{`{ $.a[*] NOT EXISTS }`, `{"a":"x"}`, true},
	{`{ $.a[*] NOT EXISTS }`, `{"a":[null]}`, false},
	{`{ $.a[0] = 1 && $.a[*] = 2 && $.a[1] = 2 }`, `{"a":[1,2]}`, true},
	{`{ $.a.b = 1 && $.a.* = 2 }`, `{"a":{"b":1,"c":2}}`, true},
	{`{ $.a.b = 2 || $.a.* = 3 }`, `{"a":{"b":1,"c":2}}`, false},
	{`{ $.a.b.c = 1 && $.a.*.d = 2 }`, `{"a":{"b":{"c":1,"d":2}}}`, true},
	{`{ $.a IS NULL || $.a.b = 1 }`, `{"a":{"b":1}}`, true},
	{`{ $.a-b_c = 1 }`, `{"a-b_c":1}`, true},
	{`{ $.0 = 1 }`, `{"0":1}`, true},
	{`{ $.eventName = "X" }`, `{"EventName":"X"}`, false}, // case sensitive

	// JSON details of the record.
	{`{ $.s = "a\"b" }`, `{"s":"a\"b"}`, true},
	{`{ $.s = "a\\b" }`, `{"s":"a\\b"}`, true},
	{`{ $.s = "A/é" }`, `{"s":"\u0041\/\u00e9"}`, true},
	{`{ $.s = "😀" }`, `{"s":"\ud83d\ude00"}`, true},
	{`{ $.s = "*" }`, `{"s":"\ud83d"}`, true},
	{`{ $.eventName = "X" }`, `{"event\u004eame":"X"}`, true},
	{`{ $.a = 2 }`, `{"a":1,"a":2}`, true}, // a repeated key: the last one wins
	{`{ $.a = 1 }`, `{"a":1,"a":2}`, false},
	{`{ $.a.b NOT EXISTS }`, `{"a":{"b":1},"a":{"c":1}}`, true},
	{`{ $.* = 1 }`, `{"a":1,"a":2}`, false},
	{`{ $.* = 1 }`, `{"a":1,"\u0061":2}`, false},
	{`{ $.x[*].a = 1 }`, `{"x":[{"a":1},{"a":2,"a":3}]}`, true},
	{`{ $.x[*].a = 2 }`, `{"x":[{"a":1},{"a":2,"a":3}]}`, false},
	{`{ $.n = 1000 }`, `{"n":1e3}`, true},
	{`{ $.n = "1e3" }`, `{"n":1e3}`, true},
	{`{ $.n = "1e3" }`, `{"n":1000}`, false},
	{`{ $.n = 0 }`, `{"n":-0}`, true},
	{`{ $.n > 1e300 }`, `{"n":1e400}`, true},
	{`{ $.a = 1 }`, " \n\t{ \"a\" : 1 , \"b\" : [ 1 , { } ] }\r\n", true},
	{`{ $.a = 1 }`, `{"a":1} x`, false},
	{`{ $.a = 1 }`, `[{"a":1}]`, false},
	{`{ $.a = 1 }`, `"a"`, false},
	{`{ $.a = 1 }`, ``, false},
	{`{ $.a NOT EXISTS }`, `not json`, false},
	{`{ $.a NOT EXISTS }`, `{}`, true},
	{``, `not json`, true}, // the empty pattern matches everything
	{`  `, `{}`, true},

	// CloudTrail consequences.
	{`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
		`{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}`, true},
	{`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
		`{"eventName":"ConsoleLogin","additionalEventData":{}}`, false},
	{`{ (($.x NOT EXISTS) || ($.x != "v")) }`, `{}`, true},
	{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
		`{"userIdentity":{"type":"Root","invokedBy":null},"eventType":"AwsApiCall"}`, false},
	{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
		`{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"}`, true},
	{`{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`,
		`{"errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"delivery.logs.amazonaws.com","eventName":"HeadBucket"}`, true},
	{`{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`,
		`{"errorCode":"AccessDenied","sourceIPAddress":"delivery.logs.amazonaws.com","eventName":"HeadBucket"}`, false},
	{`{ $.readOnly IS FALSE && $.sessionCredentialFromConsole = "true" }`,
		`{"readOnly":false,"sessionCredentialFromConsole":"true"}`, true},
}

// TestSemantics checks every row three ways: Pattern.Match, the shared
// Program of all rows (Compile/Doc/Eval), and the encoding/json reference.
func TestSemantics(t *testing.T) {
	pats := make([]*Pattern, len(semantics))
	for i, c := range semantics {
		p, err := Parse(c.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.pattern, err)
		}
		pats[i] = p
	}
	prog := Compile(pats...)
	doc := prog.NewDoc()
	for i, c := range semantics {
		name := fmt.Sprintf("%d:%s|%s", i, c.pattern, c.record)
		if got := pats[i].Match([]byte(c.record)); got != c.want {
			t.Errorf("%s: Match = %v, want %v", name, got, c.want)
		}
		err := doc.Reset([]byte(c.record))
		if _, refErr := refDecode([]byte(c.record)); (err == nil) != (refErr == nil) {
			t.Errorf("%s: Reset error %v, encoding/json error %v", name, err, refErr)
		}
		// Eval needs a successful Reset, even for the empty pattern.
		if got, want := pats[i].Eval(doc), c.want && err == nil; got != want {
			t.Errorf("%s: Eval = %v (Reset: %v), want %v", name, got, err, want)
		}
		if got := refMatch(pats[i], []byte(c.record)); got != c.want {
			t.Errorf("%s: reference = %v, want %v", name, got, c.want)
		}
	}
}

// TestAllPatternsOnAllRecords cross-checks the fast path with the reference
// for every pattern of the table on every record of the table.
func TestAllPatternsOnAllRecords(t *testing.T) {
	var pats []*Pattern
	records := map[string]bool{}
	for _, c := range semantics {
		pats = append(pats, mustParse(t, c.pattern))
		records[c.record] = true
	}
	prog := Compile(pats...)
	doc := prog.NewDoc()
	for rec := range records {
		err := doc.Reset([]byte(rec))
		for _, p := range pats {
			want := refMatch(p, []byte(rec))
			if got := p.Eval(doc); got != want && !(p.MatchesAll() && err != nil) {
				t.Errorf("%s on %s: Eval = %v, reference %v (Reset: %v)", p, rec, got, want, err)
			}
		}
	}
}

func mustParse(t testing.TB, src string) *Pattern {
	t.Helper()
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return p
}

func TestCISPatterns(t *testing.T) {
	records := []struct {
		record string
		want   []string // the ids that match
	}{
		{`{"eventName":"ConsoleLogin","errorCode":"AccessDenied"}`, []string{"cis-3.1"}},
		{`{"errorCode":"Client.UnauthorizedOperation","eventName":"RunInstances"}`, []string{"cis-3.1"}},
		{`{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}`, []string{"cis-3.2"}},
		{`{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall","eventName":"GetAccountSummary"}`, []string{"cis-3.3"}},
		{`{"eventName":"DetachGroupPolicy"}`, []string{"cis-3.4"}},
		{`{"eventName":"StopLogging"}`, []string{"cis-3.5"}},
		{`{"eventName":"ConsoleLogin","errorMessage":"Failed authentication","additionalEventData":{"MFAUsed":"Yes"}}`, []string{"cis-3.6"}},
		{`{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion"}`, []string{"cis-3.7"}},
		{`{"eventSource":"kms.amazonaws.com","eventName":"PutBucketAcl"}`, nil},
		{`{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl"}`, []string{"cis-3.8"}},
		{`{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder"}`, []string{"cis-3.9"}},
		{`{"eventName":"AuthorizeSecurityGroupIngress"}`, []string{"cis-3.10"}},
		{`{"eventName":"ReplaceNetworkAclAssociation"}`, []string{"cis-3.11"}},
		{`{"eventName":"AttachInternetGateway"}`, []string{"cis-3.12"}},
		{`{"eventName":"DisassociateRouteTable"}`, []string{"cis-3.13"}},
		{`{"eventName":"EnableVpcClassicLink"}`, []string{"cis-3.14"}},
		{`{"eventName":"DescribeTrails","readOnly":true}`, nil},
	}
	for _, spelling := range []string{"cis", "securityHub"} {
		var pats []*Pattern
		for _, c := range cisPatterns {
			src := c.cis
			if spelling == "securityHub" {
				src = c.securityHub
			}
			pats = append(pats, mustParse(t, src))
		}
		prog := Compile(pats...)
		doc := prog.NewDoc()
		for _, r := range records {
			if err := doc.Reset([]byte(r.record)); err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, p := range pats {
				if p.Eval(doc) {
					got = append(got, cisPatterns[i].id)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(r.want) {
				t.Errorf("%s spelling, %s: matched %v, want %v", spelling, r.record, got, r.want)
			}
		}
	}
}

// TestEvalOrder checks that patterns may be evaluated in any order and
// repeatedly, which exercises the lookup that Eval's hint short-cuts.
func TestEvalOrder(t *testing.T) {
	a, b, c := mustParse(t, `{ $.a = 1 }`), mustParse(t, `{ $.b = 1 }`), mustParse(t, `{ $.a = 2 }`)
	prog := Compile(a, b, c)
	doc := prog.NewDoc()
	if err := doc.Reset([]byte(`{"a":1,"b":1}`)); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		p    *Pattern
		want bool
	}{{c, false}, {a, true}, {a, true}, {b, true}, {c, false}, {b, true}, {a, true}} {
		if got := step.p.Eval(doc); got != step.want {
			t.Errorf("%s: %v, want %v", step.p, got, step.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Eval of a foreign pattern did not panic")
		}
	}()
	mustParse(t, `{ $.a = 1 }`).Eval(doc)
}

func TestEvalAfterFailedReset(t *testing.T) {
	p := mustParse(t, `{ $.a NOT EXISTS }`)
	all := mustParse(t, ``)
	doc := Compile(p, all).NewDoc()
	if err := doc.Reset([]byte(`{"b":`)); err == nil {
		t.Fatal("Reset accepted a truncated record")
	}
	if p.Eval(doc) || all.Eval(doc) {
		t.Error("Eval matched after a failed Reset")
	}
	if !all.Match([]byte(`{"b":`)) {
		t.Error("the empty pattern's Match rejected a record")
	}
}

func TestConcurrentUse(t *testing.T) {
	var pats []*Pattern
	for _, c := range cisPatterns {
		pats = append(pats, mustParse(t, c.cis))
	}
	prog := Compile(pats...)
	records := [][]byte{
		[]byte(`{"eventName":"StopLogging","errorCode":"AccessDenied"}`),
		[]byte(`{"eventName":"CreateVpc","userIdentity":{"type":"Root"}}`),
	}
	want := make([][]bool, len(records))
	for i, r := range records {
		for _, p := range pats {
			want[i] = append(want[i], refMatch(p, r))
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			doc := prog.NewDoc()
			for n := 0; n < 200; n++ {
				i := (g + n) % len(records)
				if err := doc.Reset(records[i]); err != nil {
					t.Error(err)
					return
				}
				for j, p := range pats {
					if p.Eval(doc) != want[i][j] || p.Match(records[i]) != want[i][j] {
						t.Errorf("goroutine %d: %s on %s disagrees", g, p, records[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

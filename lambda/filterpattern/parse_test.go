package filterpattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		src       string
		canonical string // Root().String(); "" for the empty pattern
		selectors []string
	}{
		{``, ``, nil},
		{` `, ``, nil},
		{"\t \t", ``, nil},
		{`{ $.a = 1 }`, `$.a = 1`, []string{"$.a"}},
		{`{$.a=1}`, `$.a = 1`, []string{"$.a"}},
		{"{\t$.a\t=\t\"x\"\t}", `$.a = "x"`, []string{"$.a"}},
		{`{ $.someFloat <       100.0 }`, `$.someFloat < 100.0`, []string{"$.someFloat"}},
		{`{ $.SomeOtherObject NOT EXISTS         }`, `$.SomeOtherObject NOT EXISTS`, []string{"$.SomeOtherObject"}},
		{`{ $.errorCode = 400}`, `$.errorCode = 400`, []string{"$.errorCode"}},
		{`{ $.a != "x" }`, `$.a != "x"`, []string{"$.a"}},
		{`{ $.a<1 && $.b<=2 && $.c>3 && $.d>=4 }`, `$.a < 1 && $.b <= 2 && $.c > 3 && $.d >= 4`, []string{"$.a", "$.b", "$.c", "$.d"}},
		{`{ $.a = -5 || $.a = +1000 || $.a = 10e3 || $.a = 10e-3 || $.a = 1e+3 || $.a = 55.5 }`,
			`$.a = -5 || $.a = +1000 || $.a = 10e3 || $.a = 10e-3 || $.a = 1e+3 || $.a = 55.5`, []string{"$.a"}},
		{`{ $.ThisFlag IS TRUE }`, `$.ThisFlag IS TRUE`, []string{"$.ThisFlag"}},
		{`{ $.a IS FALSE || $.b IS NULL || $.c NOT EXISTS }`, `$.a IS FALSE || $.b IS NULL || $.c NOT EXISTS`, []string{"$.a", "$.b", "$.c"}},
		{`{ $.latency = * }`, `$.latency = *`, []string{"$.latency"}},
		{`{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }`, `$.eventType = "*" && $.sourceIPAddress != 123.123.*`, []string{"$.eventType", "$.sourceIPAddress"}},
		{`{ $.eventType = %Trail% }`, `$.eventType = %Trail%`, []string{"$.eventType"}},
		{`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, `$.* = %111\.111\.111\.1[0-9]{1,2}%`, []string{"$.*"}},
		{`{ $.arrayKey[*] = %val.{2}% }`, `$.arrayKey[*] = %val.{2}%`, []string{"$.arrayKey[*]"}},
		{`{ $.a = %[a-z_#=@/;,:-]{,3}\x28\d\D\s\S\w\W?^$|a+b*.% }`, `$.a = %[a-z_#=@/;,:-]{,3}\x28\d\D\s\S\w\W?^$|a+b*.%`, []string{"$.a"}},
		{`{ $.objectList[1].id = 2 }`, `$.objectList[1].id = 2`, []string{"$.objectList[1].id"}},
		{`{ $.coordinates[0][1] = 2 }`, `$.coordinates[0][1] = 2`, []string{"$.coordinates[0][1]"}},
		{`{ $.['cluster.name'] = "c" }`, `$.['cluster.name'] = "c"`, []string{"$.['cluster.name']"}},
		{`{ $.a.['b c'][0].* = x }`, `$.a.['b c'][0].* = x`, []string{"$.a.['b c'][0].*"}},
		{`{ $.a-b_C9 = x-y_z.w }`, `$.a-b_C9 = x-y_z.w`, []string{"$.a-b_C9"}},
		{`{ $.a = "with \"quotes\" and \\ and ünïcödé and spaces" }`, `$.a = "with \"quotes\" and \\ and ünïcödé and spaces"`, []string{"$.a"}},
		{`{ $.a = "" }`, `$.a = ""`, []string{"$.a"}},
		{`{ $.a = NULL }`, `$.a = NULL`, []string{"$.a"}}, // a bare word, not the keyword
		{`{ $.a = 1 || $.b = 2 && $.c = 3 }`, `$.a = 1 || $.b = 2 && $.c = 3`, []string{"$.a", "$.b", "$.c"}},
		{`{ ($.a = 1 || $.b = 2) && $.c = 3 }`, `($.a = 1 || $.b = 2) && $.c = 3`, []string{"$.a", "$.b", "$.c"}},
		{`{(((  $.a = 1  )))}`, `((($.a = 1)))`, []string{"$.a"}},
		{`{ $.a = 1 || $.['a'] = 2 || $.a = 3 }`, `$.a = 1 || $.['a'] = 2 || $.a = 3`, []string{"$.a", "$.['a']"}},
		{`{ $.*.a = 1 && $.b[*] = 1 && ($.c.* = 1 || $.x = 2) }`, `$.*.a = 1 && $.b[*] = 1 && ($.c.* = 1 || $.x = 2)`, []string{"$.*.a", "$.b[*]", "$.c.*", "$.x"}},
	}
	for _, tt := range tests {
		p, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if p.String() != tt.src {
			t.Errorf("Parse(%q).String() = %q, want the source", tt.src, p.String())
		}
		got := ""
		if p.Root() != nil {
			got = p.Root().String()
		}
		if got != tt.canonical {
			t.Errorf("Parse(%q): canonical %q, want %q", tt.src, got, tt.canonical)
		}
		if !reflect.DeepEqual(p.Selectors(), tt.selectors) {
			t.Errorf("Parse(%q).Selectors() = %q, want %q", tt.src, p.Selectors(), tt.selectors)
		}
		if p.MatchesAll() != (tt.canonical == "") {
			t.Errorf("Parse(%q).MatchesAll() = %v", tt.src, p.MatchesAll())
		}
	}
}

func TestParseCIS(t *testing.T) {
	for _, c := range cisPatterns {
		cis := mustParse(t, c.cis)
		sh := mustParse(t, c.securityHub)
		if cis.Root().String() != sh.Root().String() {
			t.Errorf("%s: the two spellings differ:\n%s\n%s", c.id, cis.Root(), sh.Root())
		}
		if !reflect.DeepEqual(cis.Selectors(), sh.Selectors()) {
			t.Errorf("%s: selectors %q and %q", c.id, cis.Selectors(), sh.Selectors())
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, err string }{
		// Pattern kinds.
		{" { $.a = 1 }", "col 1: leading whitespace makes CloudWatch Logs read the pattern as terms, not JSON: only JSON filter patterns ({ ... }) are supported"},
		{"\t{ $.a = 1 }", "col 1: leading whitespace makes CloudWatch Logs read the pattern as terms, not JSON: only JSON filter patterns ({ ... }) are supported"},
		{"[a, b=1]", "col 1: space-delimited filter patterns are not supported: only JSON filter patterns ({ ... }) are supported"},
		{"ERROR", "col 1: term filter patterns are not supported: only JSON filter patterns ({ ... }) are supported"},
		{`"Failed authentication"`, "col 1: term filter patterns are not supported: only JSON filter patterns ({ ... }) are supported"},
		{"%AccessDenied%", "col 1: term filter patterns are not supported: only JSON filter patterns ({ ... }) are supported"},
		{"{ $.a = 1 } ", "col 12: a pattern that starts with '{' must end with '}'"},
		{"{ $.a = 1 }}", "col 12: a pattern that starts with '{' must end with '}'"},
		{"{ $.a = 1 } || { $.b = 1 }", "col 12: a pattern that starts with '{' must end with '}'"},
		{"{ $.a = 1", "col 10: expected '}', found EOF"},
		{"{ $.a = 1\n}", "col 10: line breaks are not allowed in a filter pattern"},
		{"{", "col 2: expected selector or '(', found EOF"},
		{"{}", "col 2: expected selector or '(', found '}'"},
		{"{{ $.a = 1 }}", "col 2: expected selector or '(', found '{'"},
		{"{ $.a = \xff }", "col 9: invalid UTF-8 encoding"},
		{"{ $.a = \x01 }", "col 9: unexpected control character U+0001"},
		{"{" + strings.Repeat(" ", 1020) + "$.a=1}", "col 1025: pattern is 1027 characters long; CloudWatch Logs allows at most 1024"},
		{`{ $.a = "` + strings.Repeat("é", 1100) + `" }`, "col 2040: pattern is 1112 characters long; CloudWatch Logs allows at most 1024"},

		// Structure and precedence.
		{"{ $.a = 1 && }", "col 14: expected selector or '(', found '}'"},
		{"{ ($.a = 1 }", "col 12: expected ')', found '}'"},
		{"{ ($.a = 1 && ) }", "col 15: expected selector or '(', found ')'"},
		{"{ $.a = 1) }", "col 10: expected '}', found ')'"},
		{"{ $.a = 1 $.b = 2 }", "col 11: expected '}', found $.b"},
		{"{ $.a = 1 AND $.b = 2 }", "col 11: expected '}', found AND (the operators are && and ||)"},
		{"{ $.a = 1 & $.b = 2 }", "col 11: unexpected '&'; the operator is '&&'"},
		{"{ $.a = 1 | $.b = 2 }", "col 11: unexpected '|'; the operator is '||'"},
		{"{ ($.a = 1 && ($.b = 2 || $.c = 3) }", "col 36: expected ')', found '}'"},

		// Selectors.
		{`{ status = "401" }`, `col 3: expected selector or '(' (selectors start with "$."), found status`},
		{"{ $a = 1 }", "col 4: expected '.' after '$'"},
		{"{ $ = 1 }", "col 4: expected '.' after '$'"},
		{"{ $[0] = 1 }", `col 4: a selector must start with "$."; [n] must follow a property`},
		{"{ $.a[0 = 1 }", "col 8: expected ']' after array index"},
		{"{ $.a[x] = 1 }", "col 7: expected array index or '*' after '['"},
		{"{ $.a[-1] = 1 }", "col 7: expected array index or '*' after '['"},
		{"{ $.a[99999999999] = 1 }", "col 7: array index 99999999999 is out of range"},
		{"{ $.a['b'] = 1 }", "col 6: a quoted property name needs a dot: .['name']"},
		{`{ $.["b"] = 1 }`, "col 5: expected ['name'] after '.'"},
		{"{ $.['b] = 1 }", "col 4: quoted property name not terminated"},
		{"{ $.[''] = 1 }", "col 4: empty property name"},
		{"{ $.['b'x = 1 }", "col 9: expected ']' after quoted property name"},
		{"{ $.a. = 1 }", "col 7: expected property name after '.'"},
		{"{ $.a:b = 1 }", "col 6: unexpected ':' in selector; write .['...'] for names with other characters"},
		{"{ $.é = 1 }", "col 5: unexpected 'é' in property name; write .['...'] for names with other characters"},
		{"{ $.a.*.* = 1 }", "col 8: a selector may contain at most one wildcard (.* or [*])"},
		{"{ $.a[*].b[*] = 1 }", "col 11: a selector may contain at most one wildcard (.* or [*])"},
		{"{ $.*.a = 1 && $.b[*] = 1 && $.c.* = 1 && $.d[*] = 1 }", "col 43: a pattern may contain at most 3 selectors with wildcards"},
		{"{ $.a[*] = 1 || $.a[*] = 2 || $.a[*] = 3 || $.a[*] = 4 }", "col 45: a pattern may contain at most 3 selectors with wildcards"},

		// Operators and keywords.
		{"{ $.a }", "col 7: expected comparison operator, IS or NOT EXISTS after selector, found '}'"},
		{"{ $.a == 1 }", "col 7: '==' is not an operator; use '='"},
		{"{ $.a <> 1 }", "col 7: '<>' is not an operator; use '!='"},
		{"{ $.a ! 1 }", "col 7: unexpected '!'; there is no negation operator: use != or NOT EXISTS"},
		{"{ $.a is null }", "col 7: keywords must be upper case: write IS, not is"},
		{"{ $.a IS null }", "col 10: keywords must be upper case: write NULL, not null"},
		{"{ $.a Not Exists }", "col 7: keywords must be upper case: write NOT, not Not"},
		{"{ $.a NOT exists }", "col 11: keywords must be upper case: write EXISTS, not exists"},
		{"{ $.a IS NOT NULL }", "col 7: IS NOT is not supported by CloudWatch Logs; use != or NOT EXISTS"},
		{"{ $.a EXISTS }", `col 7: EXISTS is not supported by CloudWatch Logs; use = "*" to test that a property has a value`},
		{"{ $.a NOT NULL }", "col 11: expected EXISTS after NOT, found NULL"},
		{"{ $.a IS }", "col 10: expected NULL, TRUE or FALSE after IS, found '}'"},
		{"{ $.a ISNULL }", "col 7: expected comparison operator, IS or NOT EXISTS after selector, found ISNULL"},
		{"{ $.a > abc }", "col 9: operator > needs a number, found abc"},
		{`{ $.a >= "123" }`, `col 10: operator >= needs a number, found "123"`},
		{"{ $.a < 1* }", "col 9: operator < needs a number, found 1*"},
		{"{ $.a <= %1% }", "col 10: operator <= needs a number, found %1%"},
		{"{ $.a < * }", "col 9: operator < needs a number, found *"},

		// Values.
		{"{ $.a = }", "col 9: expected value after '=', found '}'"},
		{"{ $.a != && $.b = 1 }", "col 10: expected value after '!=', found '&&'"},
		{`{ $.a = "abc }`, "col 9: string literal not terminated"},
		{`{ $.a = "a\nb" }`, `col 11: unknown escape sequence \n in string: only \" and \\ are supported`},
		{`{ $.a = "\u0041" }`, `col 10: unknown escape sequence \u in string: only \" and \\ are supported`},
		{"{ $.a = \"a\tb\" }", "col 11: control character U+0009 in string"},
		{"{ $.a = arn:aws }", `col 12: unexpected ':' after "arn"; quote values that contain it`},
		{"{ $.a = a/b }", `col 10: unexpected '/' after "a"; quote values that contain it`},
		{"{ $.a = a+b }", "col 10: '+' may appear unquoted only in numbers; quote the value"},
		{"{ $.a = 'x' }", `col 9: unexpected "'"; quote values with double quotes`},
		{"{ $.a = é }", "col 9: unexpected 'é'"},
		{"{ $.a = 1e999 }", "col 9: number 1e999 is out of range"},

		// Regular expressions.
		{"{ $.a = %abc }", "col 9: regular expression not terminated"},
		{"{ $.a = %% }", "col 9: empty regular expression"},
		{"{ $.a = %a(b)% }", `col 11: '(' is not supported in regular expressions; match it literally with \x28`},
		{"{ $.a = %a b% }", `col 11: character ' ' is not allowed in a CloudWatch Logs regular expression; use \s or \x20`},
		{"{ $.a = %something!% }", `col 19: character '!' is not allowed in a CloudWatch Logs regular expression; use \x21`},
		{"{ $.a = %é% }", `col 10: multi-byte characters are not supported in regular expressions; use \xhh for ASCII`},
		{`{ $.a = %\n% }`, `col 10: unsupported escape \n in regular expression; CloudWatch Logs allows \d \D \s \S \w \W, \xhh and escaped symbols`},
		{`{ $.a = %\x8a% }`, `col 10: \xhh must be an ASCII character (00-7f)`},
		{`{ $.a = %\x2% }`, `col 10: \x must be followed by two hexadecimal digits`},
		{`{ $.a = %ab\% }`, `col 12: trailing backslash in regular expression`},
		{"{ $.a = %a{x}% }", "col 11: invalid repetition {x}; write {m}, {m,}, {m,n} or {,n}"},
		{"{ $.a = %a{,}% }", "col 11: invalid repetition {,}; write {m}, {m,}, {m,n} or {,n}"},
		{"{ $.a = %a{1% }", "col 11: repetition {m,n} not terminated"},
		{"{ $.a = %a}% }", "col 11: unexpected '}' in regular expression"},
		{"{ $.a = %*a% }", "col 10: invalid regular expression: missing argument to repetition operator: *"},
		{"{ $.a = %a**% }", "col 10: invalid regular expression: invalid nested repetition operator: **"},
		{"{ $.a = %[a% }", "col 10: missing closing ] in regular expression"},
		{"{ $.a = %[z-a]% }", "col 10: invalid regular expression: invalid character class range: z-a"},
		{"{ $.a = %a% || $.b = %b% || $.c = %c% }", "col 35: a pattern may contain at most 2 regular expressions"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.src)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", tt.src, p.Root(), tt.err)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T, want *SyntaxError", tt.src, err)
			continue
		}
		if err.Error() != tt.err {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.src, err, tt.err)
		}
		if se.Pattern != tt.src || se.Offset < 0 || se.Offset > len(tt.src) {
			t.Errorf("Parse(%q): SyntaxError{Pattern: %q, Offset: %d}", tt.src, se.Pattern, se.Offset)
		}
	}
}

func TestParseLimits(t *testing.T) {
	long := "{$.a=\"" + strings.Repeat("x", MaxPatternLength-8) + "\"}"
	if len(long) != MaxPatternLength {
		t.Fatalf("test pattern is %d long", len(long))
	}
	mustParse(t, long)
	mustParse(t, `{ $.a = %a% || $.b = %b% }`)
	mustParse(t, `{ $.a[*] = 1 && $.b.* = 1 && $.c[*].d = 1 }`)
	// A non-BMP character is two UTF-16 code units.
	mustParse(t, "{$.a=\""+strings.Repeat("😀", (MaxPatternLength-8)/2)+"\"}")
	if _, err := Parse("{$.a=\"" + strings.Repeat("😀", (MaxPatternLength-8)/2+1) + "\"}"); err == nil {
		t.Error("a pattern of 1026 UTF-16 code units parsed")
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct{ src, snippet string }{
		{"{ $.a = }", "  { $.a = }\n          ^"},
		{"{\t$.a = }", "  {\t$.a = }\n   \t      ^"},
		{"{ $.é = 1 }", "  { $.é = 1 }\n      ^"},
		{"{ $.a = 1\n}", "  { $.a = 1 }\n           ^"},
		{"{ $.a = 1", "  { $.a = 1\n           ^"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if got := se.Snippet(); got != tt.snippet {
			t.Errorf("Parse(%q).Snippet():\n%s\nwant\n%s", tt.src, got, tt.snippet)
		}
	}
}

func TestASTPositions(t *testing.T) {
	const src = `{ ($.a[*].b = "x" || $.c IS NULL) && $.['d.e'] NOT EXISTS }`
	p := mustParse(t, src)
	and, ok := p.Root().(*And)
	if !ok || len(and.Terms) != 2 {
		t.Fatalf("root %T %v, want a two-term And", p.Root(), p.Root())
	}
	paren := and.Terms[0].(*Paren)
	or := paren.X.(*Or)
	eq := or.Terms[0].(*Condition)
	isNull := or.Terms[1].(*Condition)
	notExists := and.Terms[1].(*Condition)
	check := func(what string, got int, want string) {
		t.Helper()
		if !strings.HasPrefix(src[got:], want) {
			t.Errorf("%s at %d: %q, want it to start %q", what, got, src[got:], want)
		}
	}
	check("and", and.Pos(), "(")
	check("paren", paren.Pos(), "(")
	check("or", or.Pos(), "$.a")
	check("eq", eq.Pos(), "$.a[*].b")
	check("eq op", eq.OpPos, `= "x"`)
	check("eq value", eq.Value.Position, `"x"`)
	check("segment [*]", eq.Selector.Segments[1].Pos, "[*]")
	check("segment .b", eq.Selector.Segments[2].Pos, ".b")
	check("IS", isNull.OpPos, "IS NULL")
	check("NOT", notExists.OpPos, "NOT EXISTS")
	check("selector", notExists.Selector.Position, "$.['d.e']")
	ends := []struct {
		n    Node
		tail string
	}{{and, " }"}, {paren, " && $"}, {or, ")"}, {eq, " || $.c"}, {isNull, ")"}, {notExists, " }"}}
	for _, e := range ends {
		if got := src[e.n.End():]; !strings.HasPrefix(got, e.tail) {
			t.Errorf("%s ends before %q, want %q", e.n, got, e.tail)
		}
	}
	if eq.Value.Kind != ValueQuoted || eq.Value.Str != "x" || eq.Value.Text != `"x"` || eq.Op != OpEqual {
		t.Errorf("value %+v op %v", eq.Value, eq.Op)
	}
	if got := notExists.Selector.Segments; len(got) != 1 || got[0].Kind != SegmentMember || got[0].Name != "d.e" {
		t.Errorf("segments %+v", got)
	}
	var conds int
	Walk(p.Root(), func(n Node) {
		if _, ok := n.(*Condition); ok {
			conds++
		}
	})
	if conds != 3 {
		t.Errorf("Walk visited %d conditions, want 3", conds)
	}
}

func TestSelectorPath(t *testing.T) {
	tests := []struct{ selector, path string }{
		{"$.a.b", "$.a.b"},
		{"$.['a'].['b']", "$.a.b"},
		{"$.['a.b'][0]", "$.['a.b'][0]"},
		{"$.a[*].['x']", "$.a[*].x"},
		{"$.*.['-']", "$.*.-"},
		{"$.['x y'].*", "$.['x y'].*"},
	}
	for _, tt := range tests {
		p := mustParse(t, "{ "+tt.selector+" NOT EXISTS }")
		c := p.Root().(*Condition)
		if got := c.Selector.Path(); got != tt.path {
			t.Errorf("Path(%s) = %s, want %s", tt.selector, got, tt.path)
		}
	}
}

func TestValueKinds(t *testing.T) {
	tests := []struct {
		value string
		kind  ValueKind
		str   string
		any   bool
		wild  bool
	}{
		{`"a*"`, ValueQuoted, "a*", false, true},
		{`"*"`, ValueQuoted, "*", true, true},
		{`*`, ValueBare, "*", true, true},
		{`abc`, ValueBare, "abc", false, false},
		{`1.5e3`, ValueNumber, "1.5e3", false, false},
		{`1.`, ValueBare, "1.", false, false},
		{`.5`, ValueBare, ".5", false, false},
		{`%a*%`, ValueRegex, "a*", false, false},
	}
	for _, tt := range tests {
		p := mustParse(t, "{ $.x = "+tt.value+" }")
		v := p.Root().(*Condition).Value
		if v.Kind != tt.kind || v.Str != tt.str || v.IsAny() != tt.any || v.HasWildcard() != tt.wild || v.Text != tt.value {
			t.Errorf("%s: %+v any=%v wildcard=%v", tt.value, v, v.IsAny(), v.HasWildcard())
		}
	}
	if v := mustParse(t, "{ $.x = 1.5e3 }").Root().(*Condition).Value; v.Num != 1500 {
		t.Errorf("1.5e3: Num = %v", v.Num)
	}
	if OpNotExists.String() != "NOT EXISTS" || Op(0).String() != "Op(0)" || !OpGreaterEqual.Relational() || OpNotEqual.Relational() {
		t.Error("Op methods")
	}
}

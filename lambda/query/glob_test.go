package query

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// TestGlobRegexes checks the Logs Insights form of "*" values, run through
// Go's regular expressions, against the left-to-right match without
// backtracking that CloudWatch is observed to do.
func TestGlobRegexes(t *testing.T) {
	globs := []string{"AccessDenied*", "*UnauthorizedOperation", "*Denied", "*denied*", "a*", "*a", "*aa", "ab*b",
		"logs-*-prod", "aws-cli/*Python*", "*a*b*", "x*y*", "*.111.111.111", "*111.111.111", "a/b*c/d", "*a.b*"}
	texts := []string{"", "a", "aa", "aaa", "ab", "abb", "abab", "ba", "AccessDenied", "AccessDeniedException",
		"Client.UnauthorizedOperation", "UnauthorizedOperationX", "DeniedAccessDenied", "Denied", "access denied here",
		"logs-a-prod", "logs-a-prod-prod", "logs-prod", "aws-cli/2.1 Python/3", "aws-cli/2.1", "xay", "xy", "yx",
		"111.111.111.111", "1.111.111.111", "a/bc/d", "a/bxc/d", "a/b/c/d", "xa.by", "aXb", "line\nbreak a"}
	for _, lit := range globs {
		g := parseGlob(lit)
		like, notLike, ok := globRegexes(g)
		if !ok {
			t.Errorf("%s: no regular expressions", lit)
			continue
		}
		re := regexp.MustCompile(unslash(like))
		var not *regexp.Regexp
		if notLike != "" {
			not = regexp.MustCompile(unslash(notLike))
		}
		pat, err := filterpattern.Parse(`{ $.v = "` + lit + `" }`)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			record, _ := json.Marshal(map[string]string{"v": text})
			want := pat.Match(record)
			if g.match(text) != want {
				t.Errorf("glob %q on %q: %v, filterpattern %v", lit, text, g.match(text), want)
			}
			got := re.MatchString(text) && (not == nil || !not.MatchString(text))
			if got != want {
				t.Errorf("%q on %q: regular expressions %q, %q say %v, the glob %v", lit, text, like, notLike, got, want)
			}
		}
	}
	if _, _, ok := globRegexes(parseGlob("a*b*c")); ok {
		t.Error(`a*b*c: regular expressions given for a middle part before a last one`)
	}
}

// unslash undoes the escaping of "/" for the Logs Insights delimiters.
func unslash(re string) string { return strings.ReplaceAll(re, `\/`, `/`) }

// TestGlobMatch pins the glob matcher to filterpattern's observed cases.
func TestGlobMatch(t *testing.T) {
	tests := []struct {
		lit, text string
		want      bool
	}{
		{"*Denied", "DeniedAccessDenied", false},
		{"*111.111.111", "111.111.111.111", false},
		{"*.111.111.111", "111.111.111.111", true},
		{"111*111", "111.111.111.111", false},
		{"1*3", "123", true},
		{"*", "", true},
		{"AccessDenied*", "AccessDeniedException", true},
	}
	for _, tt := range tests {
		if got := parseGlob(tt.lit).match(tt.text); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.lit, tt.text, got, tt.want)
		}
	}
}

func TestParenthesize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a = 1", "(a = 1)"},
		{"(a = 1)", "(a = 1)"},
		{"(a) OR (b)", "((a) OR (b))"},
		{"(a = '(' ) OR (b = ')')", "((a = '(' ) OR (b = ')'))"},
		{`(a = ")") or (b = "(")`, `((a = ")") or (b = "("))`},
		{`(f like /\)x/)`, `(f like /\)x/)`},
		{"(a = 'it''s)')", "(a = 'it''s)')"},
		{"f(x) AND g(y)", "(f(x) AND g(y))"},
		{"(`a/b` = 1) or (x like /c/)", "((`a/b` = 1) or (x like /c/))"},
	}
	for _, tt := range tests {
		if got := parenthesize(tt.in); got != tt.want {
			t.Errorf("parenthesize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

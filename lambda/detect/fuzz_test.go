package detect

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FuzzLoad feeds arbitrary text to the loader as a rule file: it must not
// panic, every problem must carry a position, and a rule that loads must run
// its tests.
func FuzzLoad(f *testing.F) {
	f.Add(ruleFile("r-1", "tests:\n  - {name: t, match: true, event: {eventName: StopLogging}}\n"))
	f.Add(ruleFile("r-1", "threshold: {count: 2, window: 5m, groupBy: [a.b]}\nexclude: [{pattern: '{ $.a = 1 }', reason: r, until: 2027-01-01}]\n"))
	f.Add("id: r-1\npattern: >-\n  { $.a = \n  }\n")
	f.Add("a: &x [*x]\n")
	f.Add("id: [\n")
	f.Fuzz(func(t *testing.T, src string) {
		rs, err := LoadFS(mapFS(map[string]string{"f.yaml": src}))
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) {
				return // no rule files is not possible here, but stay general
			}
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || e.File != "f.yaml" || e.Msg == "" {
					t.Fatalf("badly located error %q", e.Error())
				}
			}
			return
		}
		_ = rs.RunTests()
	})
}

// FuzzScalarPosition checks the offset rebasing on arbitrary text written in
// every quoting style YAML offers: the position found for each offset must
// hold the same character in the source, unless that character was escaped.
func FuzzScalarPosition(f *testing.F) {
	for _, s := range []string{
		`{ $.userName = "O'Brien" && $.x = }`,
		`{ $.a = "x\"y" || $.b ~ 1 }`,
		"{ $.a = \"tab\there\" }",
		`{ $.userName = "Zoë" }`,
	} {
		f.Add(s)
	}
	styles := []yaml.Style{0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle}
	f.Fuzz(func(t *testing.T, value string) {
		if !utf8.ValidString(value) || strings.ContainsAny(value, "\r\u0085\u2028\u2029\ufeff") {
			return
		}
		for _, style := range styles {
			doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: "pattern"},
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: style},
			}}
			src, err := yaml.Marshal(doc)
			if err != nil {
				continue
			}
			var parsed yaml.Node
			if yaml.Unmarshal(src, &parsed) != nil || len(parsed.Content) == 0 {
				continue
			}
			n := parsed.Content[0].Content[1]
			if n.Value != value {
				continue // the encoder changed the text (trailing blanks in block styles)
			}
			lines := strings.Split(string(src), "\n")
			for off, r := range value {
				if strings.ContainsRune("'\"\\ \t\n", r) || r < ' ' || r >= 0x7f {
					continue // escaped, folded or re-encoded in some styles
				}
				line, col := scalarPosition(src, n, off)
				if line < 1 || line > len(lines) {
					t.Fatalf("style %v: offset %d: line %d out of range\n%s", n.Style, off, line, src)
				}
				runes := []rune(lines[line-1])
				if col < 1 || col > len(runes) || runes[col-1] != r {
					t.Fatalf("style %v: offset %d (%q) mapped to %d:%d\n%s", n.Style, off, r, line, col, src)
				}
			}
		}
	})
}

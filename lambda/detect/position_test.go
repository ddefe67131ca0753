package detect

import (
	"strings"
	"testing"
)

// header is the four lines every rule in these tests starts with.
const header = "id: r-1\ntitle: t\nseverity: low\ndescription: d\n"

// TestPatternErrorPosition checks that a pattern syntax error points at the
// offending character in the YAML file, whatever the quoting style.
func TestPatternErrorPosition(t *testing.T) {
	tests := []struct {
		name string
		yaml string // after header; the pattern starts on line 5
		want string
	}{
		{
			name: "single-quoted with a doubled quote before the error",
			yaml: `pattern: '{ $.userName = "O''Brien" && $.x = }'`,
			want: `a.yaml:5:46: pattern: expected value after '=', found '}'`,
		},
		{
			name: "double-quoted with escapes before the error",
			yaml: `pattern: "{ $.a = \"x\\\"y\" || $.b ~ 1 }"`,
			want: `a.yaml:5:37: pattern: unexpected '~'`,
		},
		{
			name: "multi-byte characters count as one column",
			yaml: `pattern: '{ $.userName = "Zoë" && $.x = }'`,
			want: `a.yaml:5:41: pattern: expected value after '=', found '}'`,
		},
		{
			name: "explicit tag",
			yaml: `pattern: !!str '{ $.a = 1 } x'`,
			want: `a.yaml:5:28: pattern: a pattern that starts with '{' must end with '}'`,
		},
		{
			name: "folded block over two lines",
			yaml: "pattern: >-  # folded for reading\n  { $.eventName = \"StopLogging\" ||\n  $.eventName = }\n",
			want: `a.yaml:7:17: pattern: expected value after '=', found '}'`,
		},
		{
			name: "double-quoted over two lines",
			yaml: "pattern: \"{ $.eventName = \\\"StopLogging\\\" ||   \n    $.eventName ~ 1 }\"\n",
			want: `a.yaml:6:17: pattern: unexpected '~'`,
		},
		{
			name: "unterminated pattern points past its end",
			yaml: `pattern: '{ $.a = 1 '`,
			want: `a.yaml:5:21: pattern: expected '}', found EOF`,
		},
		{
			name: "exclusion pattern in a flow mapping",
			yaml: "pattern: '{ $.a = 1 }'\nexclude:\n  - {pattern: '{ $.b = 2 ', reason: r}\n",
			want: `a.yaml:7:26: exclude pattern: expected '}', found EOF`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrors(t, map[string]string{"a.yaml": header + tt.yaml})
			if strings.Join(got, "\n") != tt.want {
				t.Errorf("LoadFS errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

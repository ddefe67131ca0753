package alert

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanLine(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "aws-cli/2.17.20 Python/3.11", 64, "aws-cli/2.17.20 Python/3.11"},
		{"trimmed and collapsed", "  a \t b\r\n c  ", 64, "a b c"},
		{"CSI colour", "\x1b[1;31mred\x1b[0m text", 64, "\ufffdred\ufffd text"},
		{"clear screen and cursor", "x\x1b[2J\x1b[Hy", 64, "x\ufffd\ufffdy"},
		{"OSC hyperlink", "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x1b\\", 64, "\ufffdclick\ufffd"},
		{"lone ESC at the end", "abc\x1b", 64, "abc\ufffd"},
		{"C1 CSI", "a\u009b31mb", 64, "a\ufffd31mb"},
		{"NUL and BEL", "a\x00b\x07c", 64, "a\ufffdb\ufffdc"},
		{"RTL override", "admin\u202egpj.exe", 64, "admin\ufffdgpj.exe"},
		{"bidi isolates and marks", "\u2066a\u2069\u200fb\u061c", 64, "\ufffda\ufffd\ufffdb\ufffd"},
		{"zero width space and BOM", "ro\u200bot\ufeff", 64, "ro\ufffdot\ufffd"},
		{"tag characters", "ok\U000E0041\U000E007F", 64, "ok\ufffd\ufffd"},
		{"line separators", "a\u2028b\u2029c\u0085d", 64, "a b c d"},
		{"invalid UTF-8", "a\xffb\xc3", 64, "a\ufffdb\ufffd"},
		{"emoji with joiner kept", "👩\u200d💻 ok", 64, "👩\u200d💻 ok"},
		{"non-Latin kept", "Zürich 東京 Ελλάδα", 64, "Zürich 東京 Ελλάδα"},
		{"cut at a space", "the quick brown fox jumps", 18, "the quick brown…"},
		{"cut inside a long word", strings.Repeat("A", 100), 10, "AAAAAAAAA…"},
		{"cut counts runes", "ééééé", 3, "éé…"},
		{"max one", "abc", 1, "…"},
		{"max zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanLine(tt.in, tt.max); got != tt.want {
				t.Errorf("cleanLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"first\r\nsecond\rthird\n", "first\nsecond\nthird"},
		{"\n\n  para one  \n\npara\ttwo\x1b[0m\n\n", "para one\n\npara two\ufffd"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in, 100); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// checkClean reports what makes s unfit for a reader, or "". Only
// multi-line text may hold line breaks.
func checkClean(s string, max int, multiline bool) string {
	switch {
	case !utf8.ValidString(s):
		return "invalid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return "too long"
	case s != strings.TrimSpace(s):
		return "untrimmed"
	case !multiline && strings.Contains(s, "  "):
		return "double space"
	}
	for _, r := range s {
		if r == '\n' && multiline {
			continue
		}
		if unsafeRune(r) || unicode.IsSpace(r) && r != ' ' {
			return "unsafe rune " + string(r)
		}
	}
	return ""
}

func FuzzSanitize(f *testing.F) {
	for _, seed := range []string{
		"", "plain", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "a\r\nb", "admin\u202egpj.exe",
		"\u2066x\u2069", "\U000E0041", "\xff\xfe", "é", "👩\u200d💻", strings.Repeat("ab ", 200), "\x1b[", "\x1b]",
		"\x1b\x1b[1m", "x\u009b1m", "  a  b  ",
	} {
		f.Add(seed, 40)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max%300 + 1
		if max < 1 {
			max += 300
		}
		line := cleanLine(s, max)
		if why := checkClean(line, max, false); why != "" {
			t.Fatalf("cleanLine(%q, %d) = %q: %s", s, max, line, why)
		}
		if again := cleanLine(line, max); again != line {
			t.Fatalf("cleanLine is not idempotent on %q: %q, then %q", s, line, again)
		}
		text := cleanText(s, max)
		if why := checkClean(text, max, true); why != "" {
			t.Fatalf("cleanText(%q, %d) = %q: %s", s, max, text, why)
		}
		subj := subjectText(s)
		for i := 0; i < len(subj); i++ {
			if c := subj[i]; c < ' ' || c > '~' {
				t.Fatalf("subjectText(%q) = %q: byte %#x", s, subj, c)
			}
		}
	})
}

package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// FuzzTranslate: any pattern that parses translates for both engines or
// fails with an *Error inside the pattern, never panics, and the Athena
// query keeps its shape.
func FuzzTranslate(f *testing.F) {
	for _, src := range append(constructs, extraPatterns...) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := filterpattern.Parse(src)
		if err != nil {
			return
		}
		for _, engine := range []string{EngineInsights, EngineAthena} {
			q, err := translate(engine, p, Options{})
			if err != nil {
				var qe *Error
				if !errors.As(err, &qe) {
					t.Fatalf("%s %q: error %v is not a *Error", engine, src, err)
				}
				if qe.Offset < 0 || qe.Offset > len(src) || qe.Engine != engine {
					t.Fatalf("%s %q: error %+v", engine, src, qe)
				}
				continue
			}
			if engine == EngineAthena && (!strings.Contains(q, "\nWHERE ") || !strings.HasSuffix(q, ";\n")) {
				t.Fatalf("%q: malformed query:\n%s", src, q)
			}
			if engine == EngineInsights && !strings.Contains(q, "\n| filter ") {
				t.Fatalf("%q: malformed query:\n%s", src, q)
			}
		}
	})
}

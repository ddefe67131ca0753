package filterpattern

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that errors are positioned
// inside the pattern, and that the canonical spelling of a parsed pattern
// parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, c := range semantics {
		f.Add(c.pattern)
	}
	for _, c := range cisPatterns {
		f.Add(c.cis)
		f.Add(c.securityHub)
	}
	for _, s := range []string{"", " ", "{", "}", "{$.a=%(%}", `{ $.a = "\"" }`, "{ $.['a\"b'] = 1 }", "{ $.a IS NOT }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T", src, err)
			}
			if se.Offset < 0 || se.Offset > len(src) || se.Pattern != src {
				t.Fatalf("Parse(%q): %#v", src, se)
			}
			_ = se.Snippet()
			return
		}
		if p.String() != src {
			t.Fatalf("String() = %q, want %q", p.String(), src)
		}
		if p.Root() == nil {
			if strings.Trim(src, " \t") != "" {
				t.Fatalf("Parse(%q): no tree", src)
			}
			return
		}
		canonical := "{" + p.Root().String() + "}"
		q, err := Parse(canonical)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Msg, "characters long") {
				return // the canonical blanks made it too long
			}
			t.Fatalf("canonical %q of %q: %v", canonical, src, err)
		}
		if q.Root().String() != p.Root().String() {
			t.Fatalf("round trip of %q: %q, then %q", src, p.Root(), q.Root())
		}
		if strings.Join(q.Selectors(), "\n") != strings.Join(p.Selectors(), "\n") {
			t.Fatalf("round trip of %q changed the selectors: %q, %q", src, p.Selectors(), q.Selectors())
		}
		Walk(p.Root(), func(n Node) {
			if n.Pos() < 0 || n.End() > len(src) || n.Pos() >= n.End() {
				t.Fatalf("%q: node %q at [%d, %d)", src, n, n.Pos(), n.End())
			}
		})
		for _, rec := range []string{kinds, `{"a":[{"b":1}],"c":"x"}`} {
			if got, want := p.Match([]byte(rec)), refMatch(p, []byte(rec)); got != want {
				t.Fatalf("%q on %s: Match %v, reference %v", src, rec, got, want)
			}
		}
	})
}

// fuzzPatterns are the patterns FuzzDocReset evaluates: every pattern of the
// semantics table, compiled into one Program.
func fuzzPatterns(tb testing.TB) ([]*Pattern, *Program) {
	var pats []*Pattern
	for _, c := range semantics {
		pats = append(pats, mustParse(tb, c.pattern))
	}
	for _, src := range []string{
		`{ $.a[*].b[1] = 1 || $.*.a NOT EXISTS || $.a.b.c IS TRUE }`,
		`{ $.a = "x" || $.a = "y" || $.a = 1 || $.a = "\\" || $.a[0] = "x" }`,
		`{ $.* = "*a*" && $.b.* != 1 }`,
	} {
		pats = append(pats, mustParse(tb, src))
	}
	return pats, Compile(pats...)
}

// FuzzDocReset feeds arbitrary bytes to Doc.Reset, which must neither panic
// nor hang; for every well-formed JSON object (valid UTF-8) it must succeed
// and every pattern must evaluate as the encoding/json reference does.
func FuzzDocReset(f *testing.F) {
	for _, c := range semantics {
		f.Add([]byte(c.record))
	}
	for _, r := range inlineRecords {
		f.Add([]byte(r))
	}
	for _, s := range []string{
		`{"a":"x\\","b":"}","c":["]",{"d":"\"{"}]}`,
		`{"a":{"b":{"c":true}},"a":[{"b":[0,1]}]}`,
		`{"k":"0123456\\\"","x":[1,2,[3,[4]]],"y":{}}`,
		`{"a":1}{"a":2}`, `{"a":[}`, `{"a":{]}`, `{"a":"\u12"}`, `{"\u0061":"\ud800\udc00"}`,
	} {
		f.Add([]byte(s))
	}
	pats, prog := fuzzPatterns(f)
	doc := prog.NewDoc()
	f.Fuzz(func(t *testing.T, data []byte) {
		err := doc.Reset(data)
		n, perr := doc.ResetPrefix(data)
		if (perr == nil) && (n < 0 || n > len(data)) {
			t.Fatalf("ResetPrefix returned %d for %d bytes", n, len(data))
		}
		if perr == nil {
			checkTruncation(t, doc, data[:n])
		}
		doc.Reset(data)
		checkCandidates(t, doc, pats)
		if err == nil {
			if perr != nil {
				t.Fatalf("Reset accepted what ResetPrefix rejected: %v", perr)
			}
			if err := doc.Reset(data[:n]); err != nil {
				t.Fatalf("Reset of the prefix ResetPrefix found: %v", err)
			}
			doc.Reset(data)
		}
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		if _, refErr := refDecode(data); refErr != nil {
			if err == nil {
				t.Fatalf("Reset accepted a record encoding/json rejects: %v", refErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Reset rejected a valid object: %v", err)
		}
		for _, p := range pats {
			if got, want := p.Eval(doc), refMatch(p, data); got != want {
				t.Errorf("%s: Eval %v, reference %v", p, got, want)
			}
		}
	})
}

// checkTruncation checks, for every cut of an object ResetPrefix accepts
// (or for 2,000 of them), that ResetPrefix reports the part as truncated: a
// reader of a stream relies on that to tell "read more" from damage.
func checkTruncation(t *testing.T, doc *Doc, object []byte) {
	t.Helper()
	step := max(1, len(object)/2000)
	for cut := 0; cut < len(object); cut += step {
		_, err := doc.ResetPrefix(object[:cut])
		var re *RecordError
		if !errors.As(err, &re) || !re.Truncated || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ResetPrefix(%q), cut from %q: %v, want a truncated record", object[:cut], object, err)
		}
	}
}

// TestRecordErrors pins the errors of malformed records, including those
// found while skipping subtrees no selector reads.
func TestRecordErrors(t *testing.T) {
	doc := Compile(mustParse(t, `{ $.a.b = 1 }`)).NewDoc()
	tests := []struct {
		record    string
		err       string
		truncated bool
	}{
		{``, "invalid JSON record at byte 0: not a JSON object", true},
		{`   `, "invalid JSON record at byte 3: not a JSON object", true},
		{`[]`, "invalid JSON record at byte 0: not a JSON object", false},
		{`{`, "invalid JSON record at byte 1: unexpected end of record where an object key was expected", true},
		{`{"a"`, "invalid JSON record at byte 4: unexpected end of record after an object key", true},
		{`{"a":`, "invalid JSON record at byte 5: unexpected end of record where a value was expected", true},
		{`{"a":{"b":"x`, "invalid JSON record at byte 10: unterminated string", true},
		{`{"a":{"b":"x\u00`, "invalid JSON record at byte 10: unterminated string", true},
		{`{"z":"x`, "invalid JSON record at byte 5: unterminated string", true},
		{`{"z":{"y":[1,"}"]`, "invalid JSON record at byte 17: unexpected end of record in a nested value", true},
		{`{"z":{"y":[1,"}"]]}`, `invalid JSON record at byte 17: unexpected ']'`, false},
		{`{"a":{"b":1,}}`, `invalid JSON record at byte 12: unexpected '}' where an object key was expected`, false},
		{`{"a":{"b":01}}`, `invalid JSON record at byte 11: unexpected '1' after an object member`, false},
		{`{"a":{"b":"\x"}}`, "invalid JSON record at byte 11: invalid escape in string", false},
		{`{"a":{"b":"\u00x0"}}`, "invalid JSON record at byte 11: invalid escape in string", false},
		{"{\"a\":{\"b\":\"\x01\"}}", "invalid JSON record at byte 11: control character in string", false},
		{`{"a":{"b":tru}}`, `invalid JSON record at byte 10: unexpected 't' where a value was expected`, false},
		{`{"a" 1}`, `invalid JSON record at byte 5: unexpected '1' after an object key`, false},
		{`{"a":1 "b":2}`, `invalid JSON record at byte 7: unexpected '"' after an object member`, false},
		{`{"a\q":1}`, "invalid JSON record at byte 2: invalid escape in object key", false},
		{`{"a":1}x`, "invalid JSON record at byte 7: unexpected data after the JSON object", false},
		{`{"a":{"b":tr`, "invalid JSON record at byte 10: unexpected end of record in a value", true},
		{`{"z":nul`, "invalid JSON record at byte 5: unexpected end of record in a value", true},
		{`{"a":{"b":-`, "invalid JSON record at byte 10: unexpected end of record in a value", true},
		{`{"z":-1.`, "invalid JSON record at byte 5: unexpected end of record in a value", true},
		{`{"a":{"b":2e`, "invalid JSON record at byte 10: unexpected end of record in a value", true},
		{`{"z":0.5E-`, "invalid JSON record at byte 5: unexpected end of record in a value", true},
		{`{"a":{"b":1.e`, `invalid JSON record at byte 10: unexpected '1' where a value was expected`, false},
		{`{"z":--`, `invalid JSON record at byte 5: unexpected '-' where a value was expected`, false},
		{`{"z":truex`, `invalid JSON record at byte 9: unexpected 'x' after an object member`, false},
		{`{"z":{"y":[1,x]}}`, `invalid JSON record at byte 13: unexpected 'x' in a nested value`, false},
		{"{\"z\":[\"a\"\x00]}", `invalid JSON record at byte 9: unexpected '\x00' in a nested value`, false},
		{`{"z":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, "invalid JSON record at byte 10005: nesting too deep", false},
	}
	for _, tt := range tests {
		err := doc.Reset([]byte(tt.record))
		var re *RecordError
		if !errors.As(err, &re) {
			t.Errorf("Reset(%q) = %v, want a *RecordError", tt.record, err)
			continue
		}
		if err.Error() != tt.err || re.Truncated != tt.truncated {
			t.Errorf("Reset(%q):\n got %v (truncated %v)\nwant %s (truncated %v)", tt.record, err, re.Truncated, tt.err, tt.truncated)
		}
	}
}

func TestResetPrefix(t *testing.T) {
	p := mustParse(t, `{ $.n = 2 }`)
	doc := Compile(p).NewDoc()
	stream := []byte(" {\"n\":1}\n{\"n\":2} , {\"n\":\"")
	var got []bool
	for pos := 0; ; {
		n, err := doc.ResetPrefix(stream[pos:])
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || !re.Truncated {
				t.Fatalf("at %d: %v, want a truncated record", pos, err)
			}
			break
		}
		got = append(got, p.Eval(doc))
		pos += n
		for pos < len(stream) && strings.IndexByte(" \n,", stream[pos]) >= 0 {
			pos++
		}
	}
	if len(got) != 2 || got[0] || !got[1] {
		t.Errorf("matches %v, want [false true]", got)
	}
}

// TestResetPrefixTruncation cuts real records, and records whose every kind
// of token a cut can split, at every byte.
func TestResetPrefixTruncation(t *testing.T) {
	_, prog := cisProgram(t)
	doc := prog.NewDoc()
	records := append([]string{
		`{"eventName":"A\"B\\","errorCode":"\u0041","readOnly":true,"n":-12.5e+3,"m":0,"f":false,"z":null,` +
			`"additionalEventData":{"MFAUsed":"No","x":[1,-2.0E-1,{"y":"}\"]"}]},"userIdentity":{"type":"Root"}}`,
	}, inlineRecords...)
	for _, r := range records {
		if _, err := doc.ResetPrefix([]byte(r)); err != nil {
			t.Fatalf("ResetPrefix(%q): %v", r, err)
		}
		checkTruncation(t, doc, []byte(r))
	}
}

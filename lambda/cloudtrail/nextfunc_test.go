package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// jsonParse is a ParseFunc by encoding/json: strict, and it reports a
// record cut short as io.ErrUnexpectedEOF.
func jsonParse(buf []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(buf))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return 0, err
	}
	return int(dec.InputOffset()), nil
}

// tracked wraps parse, remembering what its last successful call read and
// how many bytes it read in all: the record, or all it was given when that
// was too little.
type tracked struct {
	parse ParseFunc
	last  []byte
	read  int64
	calls int
}

func (tp *tracked) Parse(buf []byte) (int, error) {
	tp.calls++
	n, err := tp.parse(buf)
	if err == nil && n > 0 && n <= len(buf) {
		tp.last = buf[:n]
		tp.read += int64(n)
	} else {
		tp.read += int64(len(buf))
	}
	return n, err
}

// readAllFunc drains rd with NextFunc, returning copies of the records (a
// malformed one as "!" and its offset) and the final error (nil at a clean
// end). It checks that the last successful parse read exactly each record
// delivered.
func readAllFunc(t testing.TB, rd *Reader, tp *tracked) ([]string, error) {
	t.Helper()
	var recs []string
	for {
		rec, err := rd.NextFunc(tp.Parse)
		var me *MalformedError
		switch {
		case errors.As(err, &me):
			if me.Record != rd.Records() {
				t.Errorf("%v: Record %d, Records() %d", err, me.Record, rd.Records())
			}
			recs = append(recs, fmt.Sprintf("!%d", me.Offset))
			continue
		case err == io.EOF:
			return recs, nil
		case err != nil:
			return recs, err
		}
		if len(tp.last) != len(rec) || &tp.last[0] != &rec[0] {
			t.Fatalf("record %q: the last parse read %q", rec, tp.last)
		}
		recs = append(recs, string(rec))
	}
}

func TestNextFuncForms(t *testing.T) {
	for _, tt := range formCases {
		t.Run(tt.name, func(t *testing.T) {
			forEachForm(t, tt.input, func(t *testing.T, rd *Reader) {
				got, err := readAllFunc(t, rd, &tracked{parse: jsonParse})
				if err != nil {
					t.Fatalf("error %v after %q", err, got)
				}
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("records\n got %q\nwant %q", got, tt.want)
				}
				if rd.Records() != len(tt.want) {
					t.Errorf("Records() = %d, want %d", rd.Records(), len(tt.want))
				}
			})
		})
	}
}

// TestNextFuncDamage: damage is reported exactly as Next reports it, though
// parse, not the Reader's scan, reads the records.
func TestNextFuncDamage(t *testing.T) {
	for _, tt := range damageCases {
		t.Run(tt.name, func(t *testing.T) {
			forEachForm(t, tt.input, func(t *testing.T, rd *Reader) {
				got, err := readAllFunc(t, rd, &tracked{parse: jsonParse})
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("records before the error\n got %q\nwant %q", got, tt.want)
				}
				want, wantErr := readAll(NewReader(strings.NewReader(tt.input)))
				if len(want) != len(got) || wantErr == nil || err == nil || err.Error() != wantErr.Error() {
					t.Fatalf("error %v, Next reports %v", err, wantErr)
				}
				if _, again := rd.NextFunc(jsonParse); again != err {
					t.Errorf("NextFunc after an error = %v, want the same error", again)
				}
			})
		})
	}
}

// rejectX is jsonParse that also rejects objects whose first key is "x".
func rejectX(buf []byte) (int, error) {
	if bytes.HasPrefix(buf, []byte(`{"x"`)) {
		return 0, errors.New(`key "x"`)
	}
	return jsonParse(buf)
}

func TestNextFuncMalformed(t *testing.T) {
	tests := []struct {
		name  string
		input string
		parse ParseFunc
		want  []string // records; "!N" for a MalformedError at offset N
	}{
		{"missing colon in Records", `{"Records":[{"a":1},{"a" 1},{"b":2}]}`, jsonParse,
			[]string{`{"a":1}`, "!20", `{"b":2}`}},
		{"bad literal, last record", `{"Records":[{"a":1},{"a":tru}]}`, jsonParse, []string{`{"a":1}`, "!20"}},
		{"invalid escape in JSON lines", "{\"a\":\"\\x\"}\n{\"b\":2}\n", jsonParse, []string{"!0", `{"b":2}`}},
		{"trailing comma in an array", `[{"a":1,},{"b":2}]`, jsonParse, []string{"!1", `{"b":2}`}},
		{"all malformed", `{"Records":[{"a" 1},{"a" 2}]}`, jsonParse, []string{"!12", "!20"}},
		{"rejected by parse", `{"Records":[{"x":1},{"b":2}]}`, rejectX, []string{"!12", `{"b":2}`}},
		{"envelope with a rejected detail", `{"detail-type":"t","detail":{"x":1}}{"c":3}`, rejectX, []string{"!28", `{"c":3}`}},
		{"malformed envelope", `{"detail-type":"t","detail":{"a":1},}{"c":3}`, jsonParse, []string{"!0", `{"c":3}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachForm(t, tt.input, func(t *testing.T, rd *Reader) {
				got, err := readAllFunc(t, rd, &tracked{parse: tt.parse})
				if err != nil {
					t.Fatalf("error %v after %q", err, got)
				}
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("records\n got %q\nwant %q", got, tt.want)
				}
				if rd.Records() != len(tt.want) {
					t.Errorf("Records() = %d, want %d", rd.Records(), len(tt.want))
				}
			})
		})
	}
}

func TestMalformedError(t *testing.T) {
	rd := NewReader(strings.NewReader(`[{"a":1},{"a" 1}]`))
	if _, err := rd.NextFunc(jsonParse); err != nil {
		t.Fatal(err)
	}
	rec, err := rd.NextFunc(jsonParse)
	var se *json.SyntaxError
	if string(rec) != `{"a" 1}` || !errors.As(err, &se) {
		t.Fatalf("NextFunc = %q, %v; want the record and a *json.SyntaxError", rec, err)
	}
	const want = "malformed record 2 at byte 9: invalid character '1' after object key"
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
}

// TestNextFuncWindow reads records that straddle the window, records larger
// than it, and escapes cut by its end, in every encoding, some a byte at a
// time: every record is delivered whole, and parse is given each byte a
// bounded number of times.
func TestNextFuncWindow(t *testing.T) {
	var want []string
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range 1200 {
		if i > 0 {
			b.WriteByte(',')
		}
		n := 1 + i*37%1500
		if i%400 == 399 {
			n = 5 * bufferSize / 2
		}
		rec := fmt.Sprintf(`{"i":%d,"s":"%s\\\"}{\\\\","t":[{"u":"%s"}],"v":true,"w":-1.5e+3}`, i, strings.Repeat("a", n), strings.Repeat(`\"`, i%7))
		want = append(want, rec)
		b.WriteString(rec)
	}
	b.WriteString(`]}`)
	input := []byte(b.String())
	for _, enc := range encodings {
		for _, ch := range chunkings {
			t.Run(enc.name+"/"+ch.name, func(t *testing.T) {
				if ch.name == "OneByteReader" && testing.Short() {
					t.Skip("slow")
				}
				tp := &tracked{parse: jsonParse}
				got, err := readAllFunc(t, NewReader(ch.wrap(bytes.NewReader(enc.encode(t, input)))), tp)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d records, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("record %d differs", i)
					}
				}
				if tp.read > 3*int64(len(input)) {
					t.Errorf("parse read %d bytes in %d calls for %d bytes of input", tp.read, tp.calls, len(input))
				}
			})
		}
	}
}

// TestNextFuncParseWithoutTruncation: a parse function that never says a
// record is cut short still gets every record whole; the Reader finds the
// end with its own scan and asks again.
func TestNextFuncParseWithoutTruncation(t *testing.T) {
	noEOF := func(buf []byte) (int, error) {
		n, err := jsonParse(buf)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, errors.New("confused")
		}
		return n, err
	}
	input := string(synthesise(3 * bufferSize))
	want, err := readAll(NewReader(strings.NewReader(input)))
	if err != nil {
		t.Fatal(err)
	}
	forEachForm(t, input, func(t *testing.T, rd *Reader) {
		got, err := readAllFunc(t, rd, &tracked{parse: noEOF})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d records, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("record %d = %.60q…, want %.60q…", i, got[i], want[i])
			}
		}
	})
}

// TestNextFuncBadLength: a parse function that misreports a record's length
// cannot make the Reader lose its place: a length beyond the record makes it
// malformed, a shorter one breaks the framing after it.
func TestNextFuncBadLength(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{-1, `[{"a":1} !9 {"c":3}] <nil>`},
		{0, `[{"a":1} !9 {"c":3}] <nil>`},
		{1 << 20, `[{"a":1} !9 {"c":3}] <nil>`},
		{3, `[{"a":1}] corrupt input at byte 12 after 2 records: invalid JSON: expected ',' or ']' after a record inside the top-level array, found 'a'`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			parse := func(buf []byte) (int, error) {
				if bytes.HasPrefix(buf, []byte(`{"bad"`)) {
					return tt.n, nil
				}
				return jsonParse(buf)
			}
			rd := NewReader(strings.NewReader(`[{"a":1},{"bad":true},{"c":3}]`))
			var got []string
			var err error
			for {
				var rec []byte
				rec, err = rd.NextFunc(parse)
				var me *MalformedError
				if errors.As(err, &me) {
					got = append(got, fmt.Sprintf("!%d", me.Offset))
					continue
				}
				if err != nil {
					break
				}
				if string(rec) != `{"b` {
					got = append(got, string(rec))
				}
			}
			if err == io.EOF {
				err = nil
			}
			if s := fmt.Sprint(got, " ", err); s != tt.want {
				t.Errorf("got %s\nwant %s", s, tt.want)
			}
		})
	}
}

func TestNextFuncRecordTooLarge(t *testing.T) {
	small := `{"a":"` + strings.Repeat("x", 100) + `"}`
	big := `{"a":"` + strings.Repeat("y", 300) + `"}`
	input := `{"Records":[` + small + "," + big + "," + small + `]}`
	for _, ch := range chunkings {
		t.Run(ch.name, func(t *testing.T) {
			rd := NewReader(ch.wrap(strings.NewReader(input)))
			rd.max = 200
			got, err := readAllFunc(t, rd, &tracked{parse: jsonParse})
			if len(got) != 1 || got[0] != small {
				t.Errorf("records before the error = %q", got)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrRecordTooLarge) || ce.Records != 1 || ce.Offset != int64(len(`{"Records":[`+small+",")) {
				t.Errorf("error = %#v (%v), want ErrRecordTooLarge at the big record after 1 record", ce, err)
			}
		})
	}
}

func TestNextFuncSourceError(t *testing.T) {
	input := []byte(`{"Records":[{"a":1},{"b":2},{"c":3}]}`)
	for _, enc := range encodings[:2] {
		t.Run(enc.name, func(t *testing.T) {
			data := enc.encode(t, input)
			src := io.MultiReader(bytes.NewReader(data[:len(data)-5]), iotest.ErrReader(iotest.ErrTimeout))
			_, err := readAllFunc(t, NewReader(src), &tracked{parse: jsonParse})
			var ce *CorruptError
			if !errors.Is(err, iotest.ErrTimeout) || errors.As(err, &ce) {
				t.Fatalf("error = %v, want the source's error and no CorruptError", err)
			}
		})
	}
}

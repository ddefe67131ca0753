package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

// readAll drains rd, returning copies of the records and the final error
// (nil at a clean end).
func readAll(rd *Reader) ([]string, error) {
	var recs []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, string(rec))
	}
}

// gz compresses data as one gzip member per part, split at the given offsets.
func gz(t testing.TB, data []byte, splits ...int) []byte {
	t.Helper()
	var out bytes.Buffer
	prev := 0
	for _, at := range append(splits, len(data)) {
		zw := gzip.NewWriter(&out)
		if _, err := zw.Write(data[prev:at]); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		prev = at
	}
	return out.Bytes()
}

// encodings are the byte forms every table case is read in.
var encodings = []struct {
	name   string
	encode func(testing.TB, []byte) []byte
}{
	{"plain", func(_ testing.TB, b []byte) []byte { return b }},
	{"gzip", func(t testing.TB, b []byte) []byte { return gz(t, b) }},
	{"gzip-3-members", func(t testing.TB, b []byte) []byte { return gz(t, b, len(b)/3, 2*len(b)/3) }},
}

// chunkings are the ways the bytes are handed to the Reader.
var chunkings = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
}

// forEachForm runs fn for every encoding and chunking of input.
func forEachForm(t *testing.T, input string, fn func(t *testing.T, rd *Reader)) {
	for _, enc := range encodings {
		data := enc.encode(t, []byte(input))
		for _, ch := range chunkings {
			t.Run(enc.name+"/"+ch.name, func(t *testing.T) {
				fn(t, NewReader(ch.wrap(bytes.NewReader(data))))
			})
		}
	}
}

// formCases are inputs in every accepted form and the records in them.
var formCases = []struct {
	name  string
	input string
	want  []string
}{
	{"empty input", "", nil},
	{"only whitespace", " \n\t\r\n ", nil},
	{"delivered compact", `{"Records":[{"a":1},{"b":{"c":[1,2]}}]}`, []string{`{"a":1}`, `{"b":{"c":[1,2]}}`}},
	{"delivered pretty", "{\n  \"Records\" : [\n    {\"a\": 1},\n\t{\"b\": {\"c\": [1, 2]}}\r\n  ]\n}\n",
		[]string{`{"a": 1}`, `{"b": {"c": [1, 2]}}`}},
	{"delivered empty", `{"Records":[]}`, nil},
	{"delivered empty spaced", ` { "Records" : [ ] } `, nil},
	{"delivered with other keys after Records",
		`{"Records":[{"a":1}],"extra":{"x":[1,{"y":"]"}]},"n":-1.5e3,"t":true,"z":null,"s":"}","Records":[{"c":3}]}`,
		[]string{`{"a":1}`}},
	{"Records not an array is one event", `{"Records":{"a":1}}`, []string{`{"Records":{"a":1}}`}},
	{"Records null is one event", `{"Records":null}`, []string{`{"Records":null}`}},
	{"Records not the first key is one event", `{"a":1,"Records":[{"b":2}]}`, []string{`{"a":1,"Records":[{"b":2}]}`}},
	{"Records prefix of a longer key", `{"RecordsX":[{"b":2}]}`, []string{`{"RecordsX":[{"b":2}]}`}},
	{"wrapper inside Records is not unwrapped", `{"Records":[{"Records":[1]}]}`, []string{`{"Records":[1]}`}},
	{"two delivered objects", `{"Records":[{"a":1}]}{"Records":[{"b":2}]}` + "\n", []string{`{"a":1}`, `{"b":2}`}},
	{"JSON lines", "{\"a\":1}\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
	{"JSON lines CRLF, blank lines, no final newline", "\r\n{\"a\":1}\r\n\r\n{\"b\":2}", []string{`{"a":1}`, `{"b":2}`}},
	{"concatenated objects", `{"a":1}{"b":2} {"c":3}`, []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}},
	{"bare array", `[{"a":1},{"b":2}]`, []string{`{"a":1}`, `{"b":2}`}},
	{"bare array pretty", "[\n  {\"a\": 1},\n  {\"b\": 2}\n]\n", []string{`{"a": 1}`, `{"b": 2}`}},
	{"bare array empty", `[]`, nil},
	{"bare array then object", `[{"a":1}] {"b":2}`, []string{`{"a":1}`, `{"b":2}`}},
	{"EventBridge envelope",
		`{"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"123456789012","time":"2024-05-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{"eventName":"CreateUser","x":{"detail":1}}}`,
		[]string{`{"eventName":"CreateUser","x":{"detail":1}}`}},
	{"EventBridge envelopes in an array", `[{"detail-type":"t","detail":{"a":1}}, {"detail" : {"b":2} , "detail-type" : "t"}]`,
		[]string{`{"a":1}`, `{"b":2}`}},
	{"EventBridge envelope as JSON lines", "{\"detail-type\":\"t\",\"detail\":{\"a\":1}}\n{\"c\":3}\n", []string{`{"a":1}`, `{"c":3}`}},
	{"envelope whose detail is not an object", `{"detail-type":"t","detail":"s"}`, []string{`{"detail-type":"t","detail":"s"}`}},
	{"detail-type only as a value", `{"a":"detail-type","detail":{"b":1}}`, []string{`{"a":"detail-type","detail":{"b":1}}`}},
	{"detail-type only nested", `{"x":{"detail-type":"y"},"detail":{"b":1}}`, []string{`{"x":{"detail-type":"y"},"detail":{"b":1}}`}},
	{"envelope inside Records is not unwrapped", `{"Records":[{"detail-type":"t","detail":{"a":1}}]}`,
		[]string{`{"detail-type":"t","detail":{"a":1}}`}},
	{"escaped quotes and brackets in strings",
		`{"Records":[{"a":"\"}{[","b":"\\","c":"\\\"]","d":"x\\\\"},{"e":"\u0022}"}]}`,
		[]string{`{"a":"\"}{[","b":"\\","c":"\\\"]","d":"x\\\\"}`, `{"e":"\u0022}"}`}},
	{"policy document in a string", `{"Records":[{"p":"{\"Statement\":[{\"Effect\":\"Allow\"}]}"}]}`,
		[]string{`{"p":"{\"Statement\":[{\"Effect\":\"Allow\"}]}"}`}},
	{"UTF-8 and a byte order mark", "\xEF\xBB\xBF{\"name\":\"Zoë ☃ \\u00e9\"}", []string{`{"name":"Zoë ☃ \u00e9"}`}},
	{"empty objects", `{}{"Records":[{}]}[{}]`, []string{`{}`, `{}`, `{}`}},
}

func TestReaderForms(t *testing.T) {
	for _, tt := range formCases {
		t.Run(tt.name, func(t *testing.T) {
			forEachForm(t, tt.input, func(t *testing.T, rd *Reader) {
				got, err := readAll(rd)
				if err != nil {
					t.Fatalf("error %v after %q", err, got)
				}
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("records\n got %q\nwant %q", got, tt.want)
				}
				if rd.Records() != len(tt.want) {
					t.Errorf("Records() = %d, want %d", rd.Records(), len(tt.want))
				}
				if _, err := rd.Next(); err != io.EOF {
					t.Errorf("Next after the end = %v, want io.EOF", err)
				}
			})
		})
	}
}

// atEnd stands for the length of the input in damageCases.
const atEnd = -1

// damageCases are damaged inputs, the records before the damage and the
// *CorruptError that reports it.
var damageCases = []struct {
	name   string
	input  string
	want   []string // delivered before the error
	offset int64
	is     error
	msg    string // part of the error text
}{
	{"truncated in Records", `{"Records":[{"a":1},{"b":2}`, []string{`{"a":1}`, `{"b":2}`}, atEnd, io.ErrUnexpectedEOF, "inside the Records array"},
	{"truncated in a record", `{"Records":[{"a":1},{"b":`, []string{`{"a":1}`}, atEnd, io.ErrUnexpectedEOF, "inside a record"},
	{"truncated in a string", `{"a":"unterminated`, nil, atEnd, io.ErrUnexpectedEOF, "inside a record"},
	{"truncated after Records[", `{"Records":[`, nil, atEnd, io.ErrUnexpectedEOF, "inside the Records array"},
	{"truncated in the key", `{"Records"`, nil, atEnd, io.ErrUnexpectedEOF, "inside a record"},
	{"truncated in a bare array", `[{"a":1}`, []string{`{"a":1}`}, atEnd, io.ErrUnexpectedEOF, "inside the top-level array"},
	{"truncated in a skipped value", `{"Records":[{"a":1}],"x":`, []string{`{"a":1}`}, atEnd, io.ErrUnexpectedEOF, `{"Records":...} object`},
	{"garbage after the array", `{"Records":[{"a":1}]}xyz`, []string{`{"a":1}`}, 21, ErrSyntax, `unexpected 'x' at top level`},
	{"extra bracket after the array", `{"Records":[{"a":1}]]`, []string{`{"a":1}`}, 20, ErrSyntax, "after the Records array"},
	{"stray brace after a record", `{"a":1}}`, []string{`{"a":1}`}, 7, ErrSyntax, "at top level"},
	{"garbage between JSON lines", "{\"a\":1}\nfoo\n{\"b\":2}", []string{`{"a":1}`}, 8, ErrSyntax, "'f' at top level"},
	{"NUL after a record", "{\"a\":1}\x00", []string{`{"a":1}`}, 7, ErrSyntax, "byte 0x00"},
	{"lone closing brace", `}`, nil, 0, ErrSyntax, "at top level"},
	{"mismatched bracket", `{"a":[1}`, nil, 7, ErrSyntax, "unmatched '}'"},
	{"mismatched brace", `{"a":1]`, nil, 6, ErrSyntax, "unmatched ']'"},
	{"bare word in a record", `{"a": hello}`, nil, 6, ErrSyntax, "'h' outside a string"},
	{"control byte outside a string", "{\"a\":\"x\"\x01}", nil, 8, ErrSyntax, "byte 0x01"},
	{"number array", `[1,2]`, nil, 1, ErrSyntax, "not an object"},
	{"string in Records", `{"Records":[{"a":1},"x"]}`, []string{`{"a":1}`}, 20, ErrSyntax, "not an object"},
	{"missing comma", `[{"a":1} {"b":2}]`, []string{`{"a":1}`}, 9, ErrSyntax, "expected ',' or ']'"},
	{"trailing comma", `[{"a":1},]`, []string{`{"a":1}`}, 9, ErrSyntax, "not an object"},
	{"key without colon in wrapper", `{"Records":[{"a":1}],"x"}`, []string{`{"a":1}`}, 24, ErrSyntax, "expected ':'"},
	{"missing comma in wrapper", `{"Records":[{"a":1}] "x":1}`, []string{`{"a":1}`}, 21, ErrSyntax, "expected ',' or '}'"},
	{"non-string key in wrapper", `{"Records":[],1:2}`, nil, 14, ErrSyntax, "expected a key"},
	{"missing value in wrapper", `{"Records":[],"x":}`, nil, 18, ErrSyntax, "expected a value"},
	{"comma for a value in wrapper", `{"Records":[],"x":,"y":1}`, nil, 18, ErrSyntax, "expected a value"},
	{"partial byte order mark", "\xEF\xBB{\"a\":1}", nil, 0, ErrSyntax, "byte 0xEF"},
	{"byte order mark between records", "{\"a\":1}\xEF\xBB\xBF{\"b\":2}", []string{`{"a":1}`}, 7, ErrSyntax, "byte 0xEF"},
	{"top-level string", `"abc"`, nil, 0, ErrSyntax, "at top level"},
	{"nesting too deep", `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, nil, 5 + maxDepth - 1, ErrSyntax, "nesting deeper"},
}

func TestReaderDamage(t *testing.T) {
	for _, tt := range damageCases {
		t.Run(tt.name, func(t *testing.T) {
			offset := tt.offset
			if offset == atEnd {
				offset = int64(len(tt.input))
			}
			forEachForm(t, tt.input, func(t *testing.T, rd *Reader) {
				got, err := readAll(rd)
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("records before the error\n got %q\nwant %q", got, tt.want)
				}
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("error = %v, want a *CorruptError", err)
				}
				if ce.Offset != offset || ce.Records != len(tt.want) {
					t.Errorf("Offset, Records = %d, %d; want %d, %d (%v)", ce.Offset, ce.Records, offset, len(tt.want), err)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("error %v is not %v", err, tt.is)
				}
				if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), fmt.Sprintf("corrupt input at byte %d after %d records: ", offset, len(tt.want))) {
					t.Errorf("error text %q, want the offset, the count and %q", err, tt.msg)
				}
				if _, again := rd.Next(); again != err {
					t.Errorf("Next after an error = %v, want the same error", again)
				}
			})
		})
	}
}

func TestReaderRecordTooLarge(t *testing.T) {
	small := `{"a":"` + strings.Repeat("x", 100) + `"}`
	big := `{"a":"` + strings.Repeat("y", 300) + `"}`
	input := `{"Records":[` + small + "," + big + "," + small + `]}`
	for _, ch := range chunkings {
		t.Run(ch.name, func(t *testing.T) {
			rd := NewReader(ch.wrap(strings.NewReader(input)))
			rd.max = 200
			got, err := readAll(rd)
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

// TestReaderLargeRecords reads records bigger than the initial window and
// many records whose strings and escapes straddle window boundaries.
func TestReaderLargeRecords(t *testing.T) {
	var want []string
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range 3000 {
		if i > 0 {
			b.WriteByte(',')
		}
		n := 1 + i*37%3000
		if i%1000 == 999 {
			n = 3 << 20 // larger than bufferSize
		}
		rec := fmt.Sprintf(`{"i":%d,"s":"%s\\\"}{\\\\","t":[{"u":"%s"}]}`, i, strings.Repeat("a", n), strings.Repeat(`\"`, i%7))
		want = append(want, rec)
		b.WriteString(rec)
	}
	b.WriteString(`]}`)
	input := b.String()
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			got, err := readAll(NewReader(bytes.NewReader(enc.encode(t, []byte(input)))))
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
		})
	}
}

// TestReaderTruncatedGzip cuts a gzip file at many offsets: every record the
// decompressor can recover before the cut is delivered, then a CorruptError
// at the end of the recoverable bytes.
func TestReaderTruncatedGzip(t *testing.T) {
	plain := synthesise(200 << 10)
	recs, err := readAll(NewReader(bytes.NewReader(plain)))
	if err != nil {
		t.Fatal(err)
	}
	// ends[i] is the offset just past record i in plain.
	ends := make([]int, len(recs))
	pos := 0
	for i, r := range recs {
		pos = bytes.Index(plain[pos:], []byte(r)) + pos + len(r)
		ends[i] = pos
	}
	full := gz(t, plain)
	step := max(1, len(full)/150)
	for cut := 1; cut <= len(full); cut += step {
		if cut+step > len(full) {
			cut = len(full) // always include the whole file and the end of the trailer
		}
		// What the decompressor itself recovers from the truncated stream.
		var recovered []byte
		if zr, err := gzip.NewReader(bytes.NewReader(full[:cut])); err == nil {
			recovered, _ = io.ReadAll(zr)
		}
		complete := 0
		for complete < len(ends) && ends[complete] <= len(recovered) {
			complete++
		}
		for _, ch := range chunkings[:2] {
			rd := NewReader(ch.wrap(bytes.NewReader(full[:cut])))
			got, err := readAll(rd)
			if cut == len(full) {
				if err != nil || len(got) != len(recs) {
					t.Fatalf("whole file: %d records, error %v", len(got), err)
				}
				continue
			}
			if len(got) != complete {
				t.Fatalf("cut at %d/%d (%s): %d records, want %d", cut, len(full), ch.name, len(got), complete)
			}
			for i := range got {
				if got[i] != recs[i] {
					t.Fatalf("cut at %d: record %d differs", cut, i)
				}
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Records != complete || ce.Offset != int64(len(recovered)) {
				t.Fatalf("cut at %d/%d (%s): error %v, want a CorruptError at %d after %d records", cut, len(full), ch.name, err, len(recovered), complete)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !(cut < 2 && errors.Is(err, ErrSyntax)) {
				t.Errorf("cut at %d: error %v, want it to wrap io.ErrUnexpectedEOF", cut, err)
			}
		}
	}
}

// TestReaderFlippedGzipByte flips one bit at many offsets of a gzip file:
// the Reader never panics and either reports damage or, when the flip hit
// a byte that does not affect the data (header time, padding bits),
// delivers exactly the original records.
func TestReaderFlippedGzipByte(t *testing.T) {
	plain := synthesise(64 << 10)
	want, err := readAll(NewReader(bytes.NewReader(plain)))
	if err != nil {
		t.Fatal(err)
	}
	full := gz(t, plain)
	damaged := 0
	for at := 0; at < len(full); at += max(1, len(full)/200) {
		for _, bit := range []byte{0x01, 0x80} {
			data := bytes.Clone(full)
			data[at] ^= bit
			got, err := readAll(NewReader(bytes.NewReader(data)))
			if err == nil {
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("flip at %d: different records and no error", at)
				}
				continue
			}
			damaged++
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Records != len(got) {
				t.Fatalf("flip at %d: error %v, want a *CorruptError counting %d records", at, err, len(got))
			}
		}
	}
	if damaged == 0 {
		t.Fatal("no flip was detected")
	}
	// The checksum in the trailer catches a flip that leaves the data well formed.
	data := bytes.Clone(full)
	data[len(data)-6] ^= 1
	got, err := readAll(NewReader(bytes.NewReader(data)))
	if !errors.Is(err, gzip.ErrChecksum) || len(got) != len(want) {
		t.Errorf("flipped CRC: %d records, error %v; want %d records then gzip.ErrChecksum", len(got), err, len(want))
	}
}

func TestReaderMultiMemberGzip(t *testing.T) {
	// Members that split records anywhere, and members that are whole files.
	plain := []byte(`{"Records":[{"a":"x"},{"b":[1,2,3]},{"c":"}"}]}`)
	for split := 1; split < len(plain); split++ {
		got, err := readAll(NewReader(bytes.NewReader(gz(t, plain, split))))
		if err != nil || len(got) != 3 || got[2] != `{"c":"}"}` {
			t.Fatalf("split at %d: %q, %v", split, got, err)
		}
	}
	var cat []byte
	for range 3 {
		cat = append(cat, gz(t, plain)...)
	}
	cat = append(cat, gz(t, nil)...) // an empty member
	got, err := readAll(NewReader(bytes.NewReader(cat)))
	if err != nil || len(got) != 9 {
		t.Fatalf("three files concatenated: %d records, %v", len(got), err)
	}
}

func TestReaderEmptyGzip(t *testing.T) {
	got, err := readAll(NewReader(bytes.NewReader(gz(t, nil))))
	if err != nil || len(got) != 0 {
		t.Fatalf("%q, %v", got, err)
	}
}

// TestReaderSourceError: a failing source is a read error, not damage, so
// that the caller can retry.
func TestReaderSourceError(t *testing.T) {
	input := []byte(`{"Records":[{"a":1},{"b":2},{"c":3}]}`)
	for _, enc := range encodings[:2] {
		t.Run(enc.name, func(t *testing.T) {
			data := enc.encode(t, input)
			src := io.MultiReader(bytes.NewReader(data[:len(data)-5]), iotest.ErrReader(iotest.ErrTimeout))
			_, err := readAll(NewReader(src))
			var ce *CorruptError
			if !errors.Is(err, iotest.ErrTimeout) || errors.As(err, &ce) {
				t.Fatalf("error = %v, want the source's error and no CorruptError", err)
			}
		})
	}
}

func TestReaderNoProgress(t *testing.T) {
	_, err := NewReader(emptyReads{}).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("error = %v, want io.ErrNoProgress", err)
	}
}

type emptyReads struct{}

func (emptyReads) Read([]byte) (int, error) { return 0, nil }

func TestReaderReset(t *testing.T) {
	rd := NewReader(strings.NewReader(`{"Records":[{"a":1},`))
	if _, err := readAll(rd); err == nil {
		t.Fatal("want an error from the truncated input")
	}
	rd.Reset(bytes.NewReader(gz(t, []byte(`{"Records":[{"b":2}]}`))))
	got, err := readAll(rd)
	if err != nil || len(got) != 1 || got[0] != `{"b":2}` || rd.Records() != 1 {
		t.Fatalf("after Reset: %q, %v, Records() = %d", got, err, rd.Records())
	}
	rd.Reset(strings.NewReader(`[{"c":3}]`))
	if got, err := readAll(rd); err != nil || len(got) != 1 {
		t.Fatalf("after the second Reset: %q, %v", got, err)
	}
}

func TestReaderBytesIn(t *testing.T) {
	plain := synthesise(1 << 20)
	data := gz(t, plain)
	rd := NewReader(bytes.NewReader(data))
	if _, err := readAll(rd); err != nil {
		t.Fatal(err)
	}
	if rd.BytesIn() != int64(len(data)) {
		t.Errorf("BytesIn() = %d, want %d", rd.BytesIn(), len(data))
	}
}

// TestReaderFlatMemory streams 512 MiB of decompressed records (a gzip
// stream of many members, produced on the fly) and checks that the Reader
// allocates a few MiB in all, not anything in proportion to the input.
func TestReaderFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 512 MiB")
	}
	const total = 512 << 20
	body := synthesise(4 << 20)
	body = bytes.TrimPrefix(bytes.TrimSuffix(body, []byte("]}\n")), []byte(`{"Records":[`))
	perMember, err := countRecords(bytes.NewReader(append(append([]byte("["), body...), ']')))
	if err != nil {
		t.Fatal(err)
	}
	head := gz(t, append([]byte(`{"Records":[`), body...))
	middle := gz(t, append([]byte(","), body...))
	tail := gz(t, []byte("]}"))
	members := total / len(body)
	src := &repeatReader{parts: [][]byte{head, middle, tail}, repeat: members - 1}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := countRecords(src)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if n != perMember*members {
		t.Fatalf("%d records, want %d", n, perMember*members)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d records, %d MiB decompressed, %.1f MiB allocated", n, int64(members)*int64(len(body))>>20, float64(allocated)/(1<<20))
	if allocated > 4<<20 {
		t.Errorf("allocated %d bytes reading %d MiB; the Reader's memory must not grow with the input", allocated, total>>20)
	}
}

// repeatReader yields parts[0], then parts[1] repeat times, then parts[2].
type repeatReader struct {
	parts  [][]byte
	repeat int
	part   int // index into the sequence
	off    int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for {
		var cur []byte
		switch {
		case r.part == 0:
			cur = r.parts[0]
		case r.part <= r.repeat:
			cur = r.parts[1]
		case r.part == r.repeat+1:
			cur = r.parts[2]
		default:
			return 0, io.EOF
		}
		if r.off < len(cur) {
			n := copy(p, cur[r.off:])
			r.off += n
			return n, nil
		}
		r.part, r.off = r.part+1, 0
	}
}

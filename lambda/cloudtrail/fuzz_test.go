package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// FuzzReader feeds arbitrary bytes to the Reader. It must never panic and
// always terminate; every record it delivers passes checkStructure; an error
// is a *CorruptError counting the records delivered. When the input (after
// gunzip) is valid JSON throughout, the Reader must deliver exactly the
// records encoding/json finds by the same rules, byte for byte.
func FuzzReader(f *testing.F) {
	seeds := []string{
		``, `{"Records":[{"a":1},{"b":{"c":[1,2]}}]}`, "{\n \"Records\" : [ {\"a\": 1} ] }\n",
		`{"Records":[{"a":1}],"x":{"y":[1,"]"]},"n":-1.5e3,"t":true}`, `{"Records":{"a":1}}`, `{"a":1,"Records":[{"b":2}]}`,
		"{\"a\":1}\n{\"b\":2}\r\n", `{"a":1}{"b":2}`, `[{"a":1},{"b":2}]`, `[]`,
		`{"detail-type":"t","source":"aws.iam","detail":{"eventName":"CreateUser"}}`, `[{"detail":{"b":2},"detail-type":"t"}]`,
		`{"a":"\"}{[","b":"\\","c":"\\\"]"}`, "\xEF\xBB\xBF{\"a\":1}", `{"Records":[{"a":1},{"b":`, `{"Records":[{"a":1}]}xyz`,
		`{"a":[1}`, `[1,2]`, `{"Records":[],1:2}`, `{"a": hello}`, `{"Records"`, `{"Records":[{"a":1}],"x":`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add(gz(f, []byte(`{"Records":[{"a":1},{"b":2}]}`)))
	f.Add(gz(f, []byte(`{"Records":[{"a":1},{"b":2}]}`), 15))
	f.Add(synthesise(4 << 10))
	f.Add(gz(f, synthesise(4<<10)))

	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		var got [][]byte
		var err error
		for {
			var rec []byte
			if rec, err = rd.Next(); err != nil {
				break
			}
			if cerr := checkStructure(rec); cerr != nil {
				t.Fatalf("record %d %q: %v", len(got), rec, cerr)
			}
			got = append(got, bytes.Clone(rec))
			if len(got) > 1<<20 {
				t.Fatal("more records than the input can hold")
			}
		}
		if err != io.EOF {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CorruptError", err)
			}
			if ce.Records != len(got) || ce.Offset < 0 {
				t.Fatalf("%v: %d records were delivered", err, len(got))
			}
		}

		stream := data
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			zr, zerr := gzip.NewReader(bytes.NewReader(data))
			if zerr != nil {
				return
			}
			if stream, zerr = io.ReadAll(zr); zerr != nil {
				return
			}
		}
		want, oerr := oracleRecords(stream)
		if oerr != nil {
			return
		}
		if err != io.EOF {
			t.Fatalf("valid input rejected: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d records, encoding/json finds %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("record %d = %q, encoding/json finds %q", i, got[i], want[i])
			}
		}
	})
}

// FuzzNextFunc reads arbitrary bytes with NextFunc and a strict parse
// function (encoding/json) and with Next: record for record, NextFunc
// delivers what Next does, or a *MalformedError for a record that is not
// valid JSON; the final errors are the same.
func FuzzNextFunc(f *testing.F) {
	for _, tt := range formCases {
		f.Add([]byte(tt.input))
	}
	for _, tt := range damageCases {
		if len(tt.input) < 1000 {
			f.Add([]byte(tt.input))
		}
	}
	for _, s := range []string{
		`{"Records":[{"a":1},{"a" 1},{"b":2}]}`, `[{"a":1,},{"b":tru}]`, "{\"a\":\"\\x\"}\n{\"b\":2}\n",
		`{"detail-type":"t","detail":{"a":1},}{"c":3}`, `{"Records":[{"a":-},{"b":1.e5}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Add(gz(f, []byte(`{"Records":[{"a":1},{"b" 2},{"c":3}]}`), 20))
	f.Add(synthesise(4 << 10))

	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := readAll(NewReader(bytes.NewReader(data)))
		rd := NewReader(bytes.NewReader(data))
		var n int
		var err error
		for {
			var rec []byte
			rec, err = rd.NextFunc(jsonParse)
			var me *MalformedError
			if errors.As(err, &me) {
				if n >= len(want) || me.Record != n+1 {
					t.Fatalf("record %d: %v; Next delivers %d records", n, err, len(want))
				}
				n++
				continue
			}
			if err != nil {
				break
			}
			if n >= len(want) || string(rec) != want[n] {
				t.Fatalf("record %d = %q; Next delivers %d records", n, rec, len(want))
			}
			if !json.Valid(rec) {
				t.Fatalf("record %d %q is not valid JSON", n, rec)
			}
			n++
		}
		if n != len(want) || rd.Records() != n {
			t.Fatalf("NextFunc read %d records (Records() %d), Next %d", n, rd.Records(), len(want))
		}
		if wantErr == nil {
			wantErr = io.EOF
		}
		if err.Error() != wantErr.Error() {
			t.Fatalf("NextFunc ends with %v, Next with %v", err, wantErr)
		}
	})
}

// Package testtrail builds CloudTrail log files for tests, as CloudTrail delivers them.
package testtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"testing"
)

// File renders records as CloudTrail writes them: compact {"Records":[...]}.
func File(t testing.TB, records []json.RawMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i, r := range records {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := json.Compact(&buf, r); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// Gzip compresses b as CloudTrail delivers its log files.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

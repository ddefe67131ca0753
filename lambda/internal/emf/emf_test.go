package emf

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEmit(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	l := New(&buf, "Trailwatch", Dimension{"Service", "trailwatch"}).WithClock(func() time.Time { return at })

	if err := l.Emit(nil, Metric{"FilesProcessed", Count, 1}, Metric{"BytesRead", Bytes, 2741}); err != nil {
		t.Fatal(err)
	}
	if err := l.Emit([]Dimension{{"Rule", "cis-3.3"}}, Metric{"Matches", Count, 2}); err != nil {
		t.Fatal(err)
	}
	want := `{"BytesRead":2741,"FilesProcessed":1,"Service":"trailwatch","_aws":{"Timestamp":1795515300000,"CloudWatchMetrics":[{"Namespace":"Trailwatch","Dimensions":[["Service"]],"Metrics":[{"Name":"FilesProcessed","Unit":"Count"},{"Name":"BytesRead","Unit":"Bytes"}]}]}}
{"Matches":2,"Rule":"cis-3.3","Service":"trailwatch","_aws":{"Timestamp":1795515300000,"CloudWatchMetrics":[{"Namespace":"Trailwatch","Dimensions":[["Service","Rule"]],"Metrics":[{"Name":"Matches","Unit":"Count"}]}]}}
`
	if got := buf.String(); got != want {
		t.Errorf("Emit wrote\n%s\nwant\n%s", got, want)
	}
	for line := range strings.Lines(buf.String()) {
		if !json.Valid([]byte(line)) {
			t.Errorf("line is not JSON: %s", line)
		}
	}
}

func TestEmit_errors(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, "Trailwatch", Dimension{"Service", "trailwatch"})
	tests := []struct {
		name    string
		extra   []Dimension
		metrics []Metric
	}{
		{"metric named like a dimension", nil, []Metric{{"Service", Count, 1}}},
		{"metric named like an extra dimension", []Dimension{{"Rule", "x"}}, []Metric{{"Rule", Count, 1}}},
		{"repeated metric", nil, []Metric{{"A", Count, 1}, {"A", Count, 2}}},
	}
	for _, tt := range tests {
		if err := l.Emit(tt.extra, tt.metrics...); err == nil {
			t.Errorf("%s: Emit succeeded, want error", tt.name)
		}
	}
	if err := l.Emit(nil); err != nil || buf.Len() != 0 {
		t.Errorf("Emit with no metrics = %v and wrote %q, want nothing", err, buf.String())
	}
}

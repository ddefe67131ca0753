package detector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/internal/emf"
)

// benchFile is about 16 MiB of CloudTrail JSON, gzipped: the realistic records of all-rules.json
// repeated with fresh event ids.
func benchFile(b *testing.B) (gz []byte, uncompressed int64) {
	b.Helper()
	base := fixtureRecords(b)
	var recs []json.RawMessage
	for size := 0; size < 16<<20; {
		for _, r := range base {
			var ev map[string]any
			if err := json.Unmarshal(r, &ev); err != nil {
				b.Fatal(err)
			}
			ev["eventID"] = ev["eventID"].(string)[:24] + string(rune('a'+len(recs)%26))
			raw, _ := json.Marshal(ev)
			recs = append(recs, raw)
			size += len(raw)
		}
	}
	plain := trailFile(b, recs)
	return gzipBytes(b, plain), int64(len(plain))
}

// BenchmarkScan is the engine alone: gunzip, split, evaluate the 14 rules.
func BenchmarkScan(b *testing.B) {
	gz, n := benchFile(b)
	rs, err := detect.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		if _, err := rs.Scan(cloudtrail.NewReader(bytes.NewReader(gz)), detect.ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandle is the same file through the handler (S3 and SNS faked in memory): the
// difference from BenchmarkScan is what the handler adds per file.
func BenchmarkHandle(b *testing.B) {
	gz, n := benchFile(b)
	rs, err := detect.Default()
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{
		Objects: &fakeBucket{objects: map[string][]byte{logKey: gz}},
		Rules:   rs, EventsPerAlert: 20,
		Log:     NewLogger(io.Discard, slog.LevelInfo),
		Metrics: emf.New(io.Discard, "Trailwatch", emf.Dimension{Name: "Service", Value: "trailwatch"}),
	}
	ev, _ := json.Marshal(s3Event(objectRef{logKey, int64(len(gz))}))
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		h.Alerts = &fakeTopic{failAfter: -1}
		if _, err := h.Handle(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
}

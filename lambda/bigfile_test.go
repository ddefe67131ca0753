package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
)

// TestDetector_bigFile shows that a 512 MiB (uncompressed) CloudTrail file fits a 128 MB function:
// the bootstrap runs with GOMEMLIMIT=100MiB and its peak RSS (VmHWM) must stay under 128 MiB.
// It needs the ctgen generator and a minute or more, so it runs only with TRAILWATCH_BIG=1:
//
//	TRAILWATCH_BIG=1 go test -run TestDetector_bigFile -v ./lambda/
//
// CTGEN names the generator's main.go (default ../shared/tools/ctgen/main.go from the repository
// root); the file is generated once into ${TMPDIR:-/tmp}/trailwatch-bench, as make bench does.
func TestDetector_bigFile(t *testing.T) {
	if os.Getenv("TRAILWATCH_BIG") != "1" {
		t.Skip("set TRAILWATCH_BIG=1 to process a 512 MiB file under a 128 MB memory budget")
	}
	if localaws.RaceEnabled {
		t.Skip("the race detector's shadow memory would dwarf the budget; run without -race")
	}
	const sizeMiB = 512
	file, records := bigFile(t, sizeMiB)

	st := newStack(t, "GOMEMLIMIT=100MiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128")
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st.s3.Put(t, testBucket, logKey, body)
	size := int64(len(body))

	start := time.Now()
	res := st.fn.Invoke(t, s3Event(objectRef{logKey, size}), 10*time.Minute)
	took := time.Since(start)
	peak := st.fn.PeakRSS()
	if res.ErrorType != "" || res.TimedOut {
		t.Fatalf("invocation failed: %s %s", res.ErrorType, res.Payload)
	}
	var sum detector.Summary
	if err := json.Unmarshal(res.Payload, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Scanned != 1 || (records > 0 && sum.Records != records) {
		t.Errorf("summary = %+v, want the file scanned with %d records", sum, records)
	}
	t.Logf("%d MiB uncompressed (%d MiB gzip), %d records, %d matches, %d alerts in %v (%.0f MiB/s uncompressed); peak RSS %.1f MiB",
		sizeMiB, size>>20, sum.Records, sum.Matches, sum.Alerts, took.Round(time.Millisecond),
		float64(sizeMiB)/took.Seconds(), float64(peak)/(1<<20))
	if peak <= 0 || peak >= 128<<20 {
		t.Errorf("peak RSS %.1f MiB, want under 128 MiB", float64(peak)/(1<<20))
	}
}

// bigFile returns the ctgen file of sizeMiB and its record count (0 if unknown), generating it
// when it is not there yet.
func bigFile(t *testing.T, sizeMiB int) (string, int) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "trailwatch-bench")
	base := filepath.Join(dir, "ct-"+strconv.Itoa(sizeMiB)+"m")
	if _, err := os.Stat(base + ".json.gz"); err != nil {
		gen := os.Getenv("CTGEN")
		if gen == "" {
			gen = filepath.Join("..", "..", "shared", "tools", "ctgen", "main.go")
		}
		if _, err := os.Stat(gen); err != nil {
			t.Skipf("the generator %s is missing; set CTGEN to ctgen's main.go", gen)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "run", gen, "-out", dir, "-seed", "1", "-sizes", strconv.Itoa(sizeMiB), "-json=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("generate: %v\n%s", err, out)
		}
	}
	records := 0
	if meta, err := os.ReadFile(base + ".meta"); err == nil {
		for line := range strings.Lines(string(meta)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "records="); ok {
				records, _ = strconv.Atoi(v)
			}
		}
	}
	return base + ".json.gz", records
}

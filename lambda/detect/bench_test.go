package detect

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/rules"
)

// benchMiB is the uncompressed size of the benchmark file.
const benchMiB = 64

var (
	benchOnce  sync.Once
	benchPlain []byte // uncompressed {"Records":[...]} JSON
	benchGz    []byte // the same, gzipped
	benchErr   error
)

// benchFile returns a realistic delivered log file written by the shared
// ctgen tool, cached in the temp directory (it is deterministic per seed).
func benchFile(b *testing.B) (plain, gz []byte) {
	b.Helper()
	ctgen := filepath.Join("..", "..", "..", "shared", "tools", "ctgen", "main.go")
	if _, err := os.Stat(ctgen); err != nil {
		b.Skipf("%s is absent", ctgen)
	}
	benchOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "trailwatch-bench-ctgen")
		base := filepath.Join(dir, fmt.Sprintf("ct-%dm", benchMiB))
		if _, err := os.Stat(base + ".meta"); err != nil {
			cmd := exec.Command("go", "run", ctgen, "-out", dir, "-seed", "1", "-sizes", fmt.Sprint(benchMiB))
			cmd.Stderr = os.Stderr
			if benchErr = cmd.Run(); benchErr != nil {
				return
			}
		}
		if benchPlain, benchErr = os.ReadFile(base + ".json"); benchErr != nil {
			return
		}
		benchGz, benchErr = os.ReadFile(base + ".json.gz")
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPlain, benchGz
}

// reportCPU adds cpu-ns/op and cpu-MB/s, measured from process CPU time
// rather than wall time, so that benchmarks stay comparable on a busy shared
// machine. start is processCPU() before the loop.
func reportCPU(b *testing.B, start time.Duration, bytes int) {
	cpu := processCPU() - start
	if cpu <= 0 || b.N == 0 {
		return
	}
	perOp := float64(cpu.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)/perOp*1e3, "cpu-MB/s")
	}
}

// BenchmarkScan is the detector's work on one delivered file: gunzip, and
// one pass over each record that finds its end and reads what the 14 rules
// need. MB/s are of uncompressed JSON. floor-ratio is its CPU time over that
// of decompressing the same bytes alone (BenchmarkGunzipOnly), measured next
// to each iteration so that the load of a shared machine affects both
// alike. Both read from memory here; scripts/bench measures the same ratio
// on a file, where reading it adds to both sides.
func BenchmarkScan(b *testing.B) {
	plain, gz := benchFile(b)
	rs, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var res *Result
	var scanCPU, floorCPU time.Duration
	for b.Loop() {
		b.StopTimer()
		t0 := processCPU()
		gunzip(b, gz)
		floorCPU += processCPU() - t0
		b.StartTimer()
		t0 = processCPU()
		if res, err = rs.Scan(cloudtrail.NewReader(bytes.NewReader(gz)), ScanOptions{}); err != nil {
			b.Fatal(err)
		}
		scanCPU += processCPU() - t0
	}
	if scanCPU > 0 && floorCPU > 0 {
		perOp := float64(scanCPU.Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp, "cpu-ns/op")
		b.ReportMetric(float64(len(plain))/perOp*1e3, "cpu-MB/s")
		b.ReportMetric(float64(scanCPU)/float64(floorCPU), "floor-ratio")
	}
	b.ReportMetric(float64(res.Records), "records")
}

// gunzip decompresses gz to io.Discard.
func gunzip(b *testing.B, gz []byte) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScanPlain is BenchmarkScan without decompression: the cost of
// finding, reading and matching the records alone.
func BenchmarkScanPlain(b *testing.B) {
	plain, _ := benchFile(b)
	rs, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := rs.Scan(cloudtrail.NewReader(bytes.NewReader(plain)), ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, len(plain))
}

// BenchmarkReadOnly is gunzip and Reader.Next, the Reader's own structural
// scan for record ends: what a caller that does not parse the records pays.
// Scan does without that scan; it has the parser that reads each record for
// the rules find its end.
func BenchmarkReadOnly(b *testing.B) {
	plain, gz := benchFile(b)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		r := cloudtrail.NewReader(bytes.NewReader(gz))
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu, len(plain))
}

// BenchmarkGunzipOnly is the floor: decompressing the same file to
// io.Discard with the gzip package the reader uses.
func BenchmarkGunzipOnly(b *testing.B) {
	plain, gz := benchFile(b)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		gunzip(b, gz)
	}
	reportCPU(b, cpu, len(plain))
}

// BenchmarkLoadRules loads, validates and compiles the 14 embedded rules, the
// work a cold Lambda start adds.
func BenchmarkLoadRules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(rules.FS, "rules"); err != nil {
			b.Fatal(err)
		}
	}
}

// Command bench measures the detector against its floor: gzip decompression
// alone of the same file. Each measurement runs in a fresh child process so
// that CPU time and peak RSS belong to that measurement only; run it under
// `taskset -c 0` (scripts/bench.sh does) to pin everything to one core.
//
//	go run ./scripts/bench -file /tmp/ct/ct-512m.json.gz
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

// readBuffer is the read buffer the decompressors get, the same size the
// cloudtrail reader uses, so that the floor and the scan read the file alike.
const readBuffer = 64 << 10

// measurement is what one child reports to the parent.
type measurement struct {
	Mode        string  `json:"mode"`
	CPUSeconds  float64 `json:"cpuSeconds"`
	WallSeconds float64 `json:"wallSeconds"`
	MaxRSSMB    float64 `json:"maxRssMB"`
	Bytes       int64   `json:"bytes"`
	Records     int     `json:"records"`
	Matches     int     `json:"matches"`
}

var modes = []struct{ name, label string }{
	{"gunzip-klauspost", "decompression only, klauspost/compress gzip (floor)"},
	{"gunzip-stdlib", "decompression only, stdlib compress/gzip"},
	{"rules-load", "load and compile the 14 embedded rules"},
	{"scan", "trailwatch scan: decompress + extract + 14 rules"},
}

func main() {
	file := flag.String("file", "", "gzip CloudTrail file to measure")
	mode := flag.String("mode", "", "run one measurement in this process (internal)")
	flag.Parse()
	if *file == "" {
		fmt.Fprintln(os.Stderr, "usage: bench -file FILE.json.gz")
		os.Exit(2)
	}
	if *mode != "" {
		m, err := runMode(*mode, *file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(m)
		return
	}
	results := map[string]measurement{}
	for _, md := range modes {
		m, err := child(md.name, *file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", md.name, err)
			os.Exit(1)
		}
		results[md.name] = m
	}
	floor := results["gunzip-klauspost"].CPUSeconds
	fmt.Printf("file: %s  uncompressed: %.0f MB  records: %d\n\n", *file, float64(results["gunzip-klauspost"].Bytes)/1e6, results["scan"].Records)
	fmt.Printf("| what | CPU s | CPU vs floor | MB/s (uncompressed) | peak RSS |\n|---|---:|---:|---:|---:|\n")
	for _, md := range modes {
		m := results[md.name]
		mbps := "–"
		if m.Bytes > 0 && m.CPUSeconds > 0 {
			mbps = fmt.Sprintf("%.0f", float64(m.Bytes)/1e6/m.CPUSeconds)
		}
		fmt.Printf("| %s | %.3f | %.2f | %s | %.0f MB |\n", md.label, m.CPUSeconds, m.CPUSeconds/floor, mbps, m.MaxRSSMB)
	}
	scan := results["scan"]
	fmt.Printf("\nscan speed = %.0f%% of decompression alone (target ≥ 70%%); %d matches\n", 100*floor/scan.CPUSeconds, scan.Matches)
}

// child re-executes this binary for one mode and returns its report with the
// child's own rusage.
func child(mode, file string) (measurement, error) {
	cmd := exec.Command(os.Args[0], "-file", file, "-mode", mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return measurement{}, err
	}
	var m measurement
	if err := json.Unmarshal(out, &m); err != nil {
		return measurement{}, fmt.Errorf("child output: %w", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	m.MaxRSSMB = float64(ru.Maxrss) / 1024
	return m, nil
}

func runMode(mode, file string) (measurement, error) {
	m := measurement{Mode: mode}
	start := time.Now()
	var startRU syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &startRU)
	err := func() error {
		if mode == "rules-load" {
			_, err := detect.Default()
			return err
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		switch mode {
		case "gunzip-klauspost":
			zr, err := kgzip.NewReader(bufio.NewReaderSize(f, readBuffer))
			if err != nil {
				return err
			}
			m.Bytes, err = io.Copy(io.Discard, zr)
			return err
		case "gunzip-stdlib":
			zr, err := gzip.NewReader(bufio.NewReaderSize(f, readBuffer))
			if err != nil {
				return err
			}
			m.Bytes, err = io.Copy(io.Discard, zr)
			return err
		case "scan":
			rs, err := detect.Default()
			if err != nil {
				return err
			}
			res, err := rs.Scan(cloudtrail.NewReader(f), detect.ScanOptions{})
			if err != nil {
				return err
			}
			m.Records = res.Records
			for _, rr := range res.Rules {
				m.Matches += rr.Count
			}
			return nil
		}
		return fmt.Errorf("unknown mode %q", mode)
	}()
	var endRU syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &endRU)
	m.WallSeconds = time.Since(start).Seconds()
	m.CPUSeconds = cpu(endRU) - cpu(startRU)
	if mode == "scan" && err == nil {
		m.Bytes = uncompressedSize(file) // outside the measured window
	}
	return m, err
}

func cpu(ru syscall.Rusage) float64 {
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// uncompressedSize decompresses the file to count its bytes.
func uncompressedSize(file string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	zr, err := kgzip.NewReader(f)
	if err != nil {
		return 0
	}
	n, _ := io.Copy(io.Discard, zr)
	return n
}

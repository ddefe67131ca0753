package cloudtrail

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// sharedSamples holds public CloudTrail samples, next to the repository;
// tests that read it skip when it is absent.
var sharedSamples = filepath.Join("..", "..", "..", "shared", "cloudtrail")

// TestSharedFiles reads every .json, .json.gz, .gz and .log file of the
// shared samples. Files listed in summary.csv must give its event count;
// every file must give what encoding/json finds by the same rules, or a
// *CorruptError where encoding/json fails too.
func TestSharedFiles(t *testing.T) {
	if _, err := os.Stat(sharedSamples); err != nil {
		t.Skipf("no shared samples: %v", err)
	}
	counts := summaryCounts(t)
	checked := map[string]bool{}
	err := filepath.WalkDir(sharedSamples, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".gz") && !strings.HasSuffix(name, ".log") {
			return nil
		}
		rel, _ := filepath.Rel(sharedSamples, path)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rd := NewReader(bytes.NewReader(data))
			var got [][]byte
			for {
				rec, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					got = append(got, nil) // marks the error
					var ce *CorruptError
					if !errors.As(err, &ce) {
						t.Fatalf("error %v is not a *CorruptError", err)
					}
					t.Logf("%v", err)
					break
				}
				got = append(got, bytes.Clone(rec))
			}
			failed := len(got) > 0 && got[len(got)-1] == nil
			if failed {
				got = got[:len(got)-1]
			}
			if want, ok := counts[rel]; ok {
				checked[rel] = true
				if failed || len(got) != want {
					t.Errorf("%d records (failed: %v), summary.csv says %d", len(got), failed, want)
				}
			}
			want, oerr := oracleRecords(decompressed(t, data))
			switch {
			case oerr != nil && !failed:
				t.Errorf("read %d records without error; encoding/json fails: %v", len(got), oerr)
			case oerr == nil && failed:
				t.Errorf("failed after %d records; encoding/json reads %d", len(got), len(want))
			case oerr == nil:
				if len(got) != len(want) {
					t.Fatalf("%d records, encoding/json finds %d", len(got), len(want))
				}
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("record %d differs from what encoding/json finds", i)
					}
				}
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range counts {
		if !checked[rel] {
			t.Errorf("%s is in summary.csv but was not read", rel)
		}
	}
}

// summaryCounts maps the files of summary.csv to their event counts.
func summaryCounts(t *testing.T) map[string]int {
	f, err := os.Open(filepath.Join(sharedSamples, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, row := range rows[1:] {
		n, err := strconv.Atoi(row[1])
		if err != nil {
			t.Fatalf("summary.csv: %q: %v", row, err)
		}
		counts[row[0]] = n
	}
	if len(counts) < 100 {
		t.Fatalf("summary.csv lists only %d files", len(counts))
	}
	return counts
}

func decompressed(t *testing.T, data []byte) []byte {
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package detect

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// sharedCloudTrail is the folder of public CloudTrail samples beside the
// repository; tests that use it skip when it is absent.
var sharedCloudTrail = filepath.Join("..", "..", "..", "shared", "cloudtrail")

// summaryColumn maps each shipped rule to its column in summary.csv, which
// tools/cis_count.py computes. cis-3.2 uses the IAMUser/Success form, the
// script's "3.2s".
var summaryColumn = map[string]string{
	"cis-3.1": "3.1", "cis-3.2": "3.2s", "cis-3.3": "3.3", "cis-3.4": "3.4", "cis-3.5": "3.5",
	"cis-3.6": "3.6", "cis-3.7": "3.7", "cis-3.8": "3.8", "cis-3.9": "3.9", "cis-3.10": "3.10",
	"cis-3.11": "3.11", "cis-3.12": "3.12", "cis-3.13": "3.13", "cis-3.14": "3.14",
}

// approximateRules are the rules where the script's logic differs from
// CloudWatch's, so their counts may legitimately differ: the script treats a
// missing field as "not equal" (Python's None != "Yes" is true) where a
// metric filter's != never matches a missing field. That affects
// MFAUsed != "Yes" (cis-3.2) and eventType != "AwsServiceEvent" (cis-3.3).
// The script also treats an explicit null invokedBy as absent, where
// NOT EXISTS is false for a key that is present.
var approximateRules = map[string]string{
	"cis-3.2": "additionalEventData.MFAUsed missing: the script counts it, CloudWatch's != does not",
	"cis-3.3": "eventType missing or invokedBy null: the script counts it, CloudWatch's != and NOT EXISTS do not",
}

// TestSharedSummary scans every file listed in summary.csv with the shipped
// rules and compares the per-rule counts: exactly where the script's logic is
// the metric filter's, as a logged difference where it is an approximation.
func TestSharedSummary(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedCloudTrail, "summary.csv"))
	if os.IsNotExist(err) {
		t.Skipf("%s is absent", sharedCloudTrail)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read summary.csv: %v", err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	differences := map[string]int{}
	for _, row := range rows[1:] {
		file := row[0]
		if file == "TOTAL" {
			continue
		}
		in, err := os.Open(filepath.Join(sharedCloudTrail, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		res, err := rs.Scan(cloudtrail.NewReader(in), ScanOptions{MaxEvents: 1})
		in.Close()
		if err != nil {
			t.Errorf("%s: Scan: %v", file, err)
			continue
		}
		if want, _ := strconv.Atoi(row[col["events"]]); res.Records != want {
			t.Errorf("%s: %d records; summary.csv says %d", file, res.Records, want)
		}
		got := map[string]int{}
		for _, rr := range res.Rules {
			got[rr.Rule.ID] = rr.Count
		}
		for _, r := range rs.Rules() {
			want, err := strconv.Atoi(row[col[summaryColumn[r.ID]]])
			if err != nil {
				t.Fatalf("%s: column %s: %v", file, summaryColumn[r.ID], err)
			}
			if got[r.ID] == want {
				continue
			}
			if why, ok := approximateRules[r.ID]; ok {
				differences[r.ID] += got[r.ID] - want
				t.Logf("%s: %s matches %d, summary.csv %d (%s)", file, r.ID, got[r.ID], want, why)
				continue
			}
			t.Errorf("%s: %s matches %d; summary.csv says %d", file, r.ID, got[r.ID], want)
		}
	}
	for id, d := range differences {
		t.Logf("%s: %+d matches in total against the approximation", id, d)
	}
}

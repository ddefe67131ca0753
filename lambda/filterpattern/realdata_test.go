package filterpattern

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedCloudTrail holds public CloudTrail samples outside the repository.
const sharedCloudTrail = "../../../shared/cloudtrail"

// realDataExtras exercise wildcards, arrays and numbers on real records,
// beside the CIS patterns.
var realDataExtras = []string{
	`{ $.resources[*].type = "AWS::*" }`,
	`{ $.resources[0].ARN = %^arn:aws:s3% }`,
	`{ $.requestParameters.* = "*amazonaws.com" }`,
	`{ $.* = "us-east-1" && $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`,
	`{ $.additionalEventData.bytesTransferredOut > 1000 }`,
	`{ $.readOnly IS FALSE && $.responseElements IS NULL }`,
	`{ $.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS || $.tlsDetails.tlsVersion != "TLSv1.2" }`,
}

// TestRealRecords compares the fast path with the encoding/json reference
// for the 14 CIS patterns, in both spellings, on every record of every
// CloudTrail file ({"Records":[...]}, plain or gzip) in the shared samples.
func TestRealRecords(t *testing.T) {
	if _, err := os.Stat(sharedCloudTrail); err != nil {
		t.Skipf("no shared CloudTrail samples: %v", err)
	}
	var pats []*Pattern
	for _, c := range cisPatterns {
		pats = append(pats, mustParse(t, c.cis), mustParse(t, c.securityHub))
	}
	for _, src := range realDataExtras {
		pats = append(pats, mustParse(t, src))
	}
	prog := Compile(pats...)
	doc := prog.NewDoc()
	matches := make([]int, len(pats))
	files, records := 0, 0
	err := filepath.WalkDir(sharedCloudTrail, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".json.gz")) {
			return err
		}
		recs, ok := readRecords(path)
		if !ok {
			return nil // not a CloudTrail log file
		}
		files++
		for _, rec := range recs {
			records++
			if err := doc.Reset(rec); err != nil {
				t.Errorf("%s: record %d: %v", path, records, err)
				continue
			}
			obj, err := refDecode(rec)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for i, p := range pats {
				got, want := p.Eval(doc), refEval(p.Root(), obj)
				if got != want {
					t.Errorf("%s: %s on %.200s: Eval %v, reference %v", path, p, rec, got, want)
				}
				if got {
					matches[i]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if records == 0 {
		t.Fatal("no records found in the shared samples")
	}
	for i := range cisPatterns {
		if matches[2*i] != matches[2*i+1] {
			t.Errorf("%s: the CIS spelling matched %d records, the Security Hub one %d", cisPatterns[i].id, matches[2*i], matches[2*i+1])
		}
	}
	t.Logf("%d files, %d records; CIS matches:", files, records)
	for i, c := range cisPatterns {
		t.Logf("  %-8s %d", c.id, matches[2*i])
	}
}

// readRecords returns the raw records of a {"Records":[...]} file, gzip or
// plain; ok is false for any other file.
func readRecords(path string) (records []json.RawMessage, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, false
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, false
		}
	}
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &file); err != nil || len(file.Records) == 0 {
		return nil, false
	}
	for _, r := range file.Records {
		if !bytes.HasPrefix(bytes.TrimSpace(r), []byte("{")) {
			return nil, false
		}
	}
	return file.Records, true
}

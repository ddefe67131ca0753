package alert

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// realSamples is the directory of public CloudTrail samples, outside the repository.
const realSamples = "../../../shared/cloudtrail"

// TestRealSamples renders every record of the public samples as an alert and
// checks what every reader relies on.
func TestRealSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(realSamples, "*", "records", "*.json.gz"))
	if len(files) == 0 {
		t.Skipf("no CloudTrail samples in %s", realSamples)
	}
	rule := Rule{ID: "cis-3.1", Title: "Sample", Severity: "low"}
	events, links, skipped := 0, 0, 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r := cloudtrail.NewReader(f)
		for {
			raw, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				break
			}
			raw = append([]byte(nil), raw...)
			a := New(rule, Object{Key: name}, 1, [][]byte{raw})
			if _, err := cloudtrail.ParseEvent(raw); err != nil {
				if len(a.Events) != 0 {
					t.Errorf("%s record %d: ParseEvent fails (%v) yet the alert shows an event", name, r.Records(), err)
				}
				skipped++
				continue
			}
			if len(a.Events) != 1 {
				t.Errorf("%s record %d: no event", name, r.Records())
				continue
			}
			events++
			if a.Events[0].ConsoleURL != "" {
				links++
			}
			if s := a.Subject(); len(s) > MaxSubject {
				t.Errorf("%s: subject %q too long", name, s)
			}
			if _, err := a.SNSMessage(SNSMessageLimit); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if text := a.Text(); strings.ContainsAny(text, "\r\x1b\x00") {
				t.Errorf("%s: text holds control characters", name)
			}
		}
		f.Close()
	}
	t.Logf("%d files, %d events, %d with a console link, %d records ParseEvent rejects", len(files), events, links, skipped)
}

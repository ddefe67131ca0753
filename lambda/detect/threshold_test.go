package detect

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// thresholdRules holds t-burst: three AccessDenied from one principal within
// a five-minute window, and t-stop without a threshold.
func thresholdRules(t *testing.T, window string) *RuleSet {
	t.Helper()
	rs, err := LoadFS(mapFS(map[string]string{
		"burst.yaml": rule("t-burst", `{ $.errorCode = "AccessDenied*" }`,
			"threshold: {count: 3, window: "+window+", groupBy: [userIdentity.arn]}\n"),
		"stop.yaml": rule("t-stop", `{ $.eventName = "StopLogging" }`, ""),
	}))
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	return rs
}

// denied is an AccessDenied record by arn at eventTime when.
func denied(id, arn, when string) string {
	return strings.Replace(event(id, "GetObject", arn, "AccessDenied"), "2024-07-01T10:00:00Z", when, 1)
}

const bob = "arn:aws:iam::123456789012:user/bob"

// replay scans each file in turn, feeding threshold matches to one counter,
// as the CLI does, and returns the alerts as "rule group start-end count ids".
func replay(t *testing.T, rs *RuleSet, files ...[]string) ([]string, *ThresholdCounter) {
	t.Helper()
	tc := NewThresholdCounter()
	var alerts []string
	for _, records := range files {
		_, err := rs.Scan(cloudtrail.NewReader(bytes.NewReader(logFile(records...))), ScanOptions{
			OnMatch: func(r *Rule, rec []byte) {
				a, err := tc.Add(r, rec)
				if err != nil {
					t.Fatalf("Add: %v", err)
				}
				if a != nil {
					alerts = append(alerts, describeAlert(a))
				}
			},
		})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
	}
	return alerts, tc
}

func describeAlert(a *ThresholdAlert) string {
	var ids []string
	for _, ev := range a.Events {
		i := bytes.Index(ev, []byte(`"eventID":"`))
		ids = append(ids, string(ev[i+11:i+13]))
	}
	return fmt.Sprintf("%s %s %s-%s %d %s", a.Rule.ID, strings.Join(a.Group, ","), a.Start.Format("15:04"), a.End.Format("15:04"), a.Count, strings.Join(ids, ","))
}

func TestThresholdCounter(t *testing.T) {
	tests := []struct {
		name   string
		window string
		files  [][]string
		want   []string
	}{
		{
			name:   "reached across two files",
			window: "5m",
			files: [][]string{
				{denied("a1", alice, "2024-07-01T10:01:00Z"), denied("a2", alice, "2024-07-01T10:02:00Z")},
				{denied("a3", alice, "2024-07-01T10:04:59Z"), denied("a4", alice, "2024-07-01T10:04:59Z")},
			},
			want: []string{"t-burst " + alice + " 10:00-10:05 3 a1,a2,a3"},
		},
		{
			name:   "not reached: two principals",
			window: "5m",
			files: [][]string{
				{denied("a1", alice, "2024-07-01T10:01:00Z"), denied("b1", bob, "2024-07-01T10:01:30Z")},
				{denied("a2", alice, "2024-07-01T10:02:00Z"), denied("b2", bob, "2024-07-01T10:03:00Z")},
			},
		},
		{
			name:   "window boundary splits a burst",
			window: "5m",
			files: [][]string{
				{denied("a1", alice, "2024-07-01T10:04:00Z"), denied("a2", alice, "2024-07-01T10:04:59Z"), denied("a3", alice, "2024-07-01T10:05:00Z")},
			},
		},
		{
			name:   "late file completes an earlier window",
			window: "5m",
			files: [][]string{
				{denied("a1", alice, "2024-07-01T10:01:00Z"), denied("a2", alice, "2024-07-01T10:03:00Z")},
				{denied("a3", alice, "2024-07-01T10:06:00Z"), denied("a4", alice, "2024-07-01T10:07:00Z")},
				{denied("a5", alice, "2024-07-01T10:04:00Z")},
			},
			want: []string{"t-burst " + alice + " 10:00-10:05 3 a1,a2,a5"},
		},
		{
			name:   "windows align to the Unix epoch",
			window: "7m",
			files: [][]string{
				// 10:01 UTC on 2024-07-01 is 4,094,828.71 seven-minute periods
				// after the Unix epoch: its period runs from 09:56 to 10:03.
				{denied("a1", alice, "2024-07-01T09:56:00Z"), denied("a2", alice, "2024-07-01T10:01:00Z"), denied("a3", alice, "2024-07-01T10:03:00Z"), denied("a4", alice, "2024-07-01T10:02:59Z")},
			},
			want: []string{"t-burst " + alice + " 09:56-10:03 3 a1,a2,a4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := replay(t, thresholdRules(t, tt.window), tt.files...)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestThresholdWindows(t *testing.T) {
	rs := thresholdRules(t, "5m")
	_, tc := replay(t, rs, []string{
		denied("a1", alice, "2024-07-01T10:01:00Z"),
		denied("a2", alice, "2024-07-01T10:02:00Z"),
		denied("a3", alice, "2024-07-01T10:03:00Z"),
		denied("a4", alice, "2024-07-01T10:03:30Z"),
		denied("b1", bob, "2024-07-01T10:03:00Z"),
		event("s1", "StopLogging", alice, ""),
	})
	var got []string
	for _, w := range tc.Windows() {
		got = append(got, fmt.Sprintf("%s %s %s %d %v", w.Rule.ID, strings.Join(w.Group, ","), w.Start.Format(time.TimeOnly), w.Count, w.Alerted))
	}
	want := []string{
		"t-burst " + alice + " 10:00:00 4 true",
		"t-burst " + bob + " 10:00:00 1 false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Windows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestThresholdAdd(t *testing.T) {
	rs := thresholdRules(t, "5m")
	burst, stop := rs.Rule("t-burst"), rs.Rule("t-stop")
	tc := NewThresholdCounter()
	tc.MaxEvents = 2
	if a, err := tc.Add(stop, []byte(event("s1", "StopLogging", alice, ""))); a != nil || err != nil {
		t.Errorf("Add(rule without threshold) = %v, %v; want nil, nil", a, err)
	}
	for _, bad := range []string{`{"errorCode":"AccessDenied"}`, `{"eventTime":"yesterday"}`, `{"eventTime":`} {
		if _, err := tc.Add(burst, []byte(bad)); err == nil {
			t.Errorf("Add(%s) error = nil; want an error", bad)
		}
	}
	// A record without the groupBy field groups under "", and MaxEvents caps
	// the listed events but not the count.
	noArn := `{"eventTime":"2024-07-01 10:00:01.000000000","errorCode":"AccessDenied","eventID":"n%d"}`
	var alert *ThresholdAlert
	for i := range 3 {
		a, err := tc.Add(burst, []byte(fmt.Sprintf(noArn, i)))
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		alert = a
	}
	if alert == nil || len(alert.Group) != 1 || alert.Group[0] != "" || alert.Count != 3 || len(alert.Events) != 2 {
		t.Errorf("alert = %+v; want group [\"\"], count 3, 2 events", alert)
	}
}

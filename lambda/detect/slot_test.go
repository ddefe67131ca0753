package detect

import (
	"slices"
	"testing"
	"time"
)

func TestThresholdSlot(t *testing.T) {
	th := &Threshold{Count: 3, Window: 5 * time.Minute, GroupBy: []string{"sourceIPAddress", "userIdentity.arn", "requestParameters.port"}}
	tests := []struct {
		name       string
		record     string
		start, end string
		group      []string
	}{
		{"inside a window", `{"eventTime":"2026-11-24T10:02:30Z","sourceIPAddress":"192.0.2.1","userIdentity":{"arn":"arn:aws:iam::1:user/a"},"requestParameters":{"port":22}}`,
			"10:00:00", "10:05:00", []string{"192.0.2.1", "arn:aws:iam::1:user/a", "22"}},
		{"last second of a window", `{"eventTime":"2026-11-24T10:04:59Z","sourceIPAddress":"192.0.2.1"}`,
			"10:00:00", "10:05:00", []string{"192.0.2.1", "", ""}},
		{"first second of the next", `{"eventTime":"2026-11-24T10:05:00Z","sourceIPAddress":"192.0.2.1"}`,
			"10:05:00", "10:10:00", []string{"192.0.2.1", "", ""}},
		{"fractional seconds and an offset", `{"eventTime":"2026-11-24T11:09:59.999+01:00"}`,
			"10:05:00", "10:10:00", []string{"", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := th.Slot([]byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Start.Format(time.TimeOnly); got != tt.start || s.End.Format(time.TimeOnly) != tt.end {
				t.Errorf("window %s-%s, want %s-%s", got, s.End.Format(time.TimeOnly), tt.start, tt.end)
			}
			if s.Start.Location() != time.UTC || !slices.Equal(s.Group, tt.group) {
				t.Errorf("start %v group %q, want UTC and %q", s.Start, s.Group, tt.group)
			}
			if s.EventTime.Before(s.Start) || !s.EventTime.Before(s.End) {
				t.Errorf("event time %v outside its window %v-%v", s.EventTime, s.Start, s.End)
			}
		})
	}
	for _, bad := range []string{`{"eventName":"x"}`, `{"eventTime":"yesterday"}`, `[1]`} {
		if _, err := th.Slot([]byte(bad)); err == nil {
			t.Errorf("Slot(%s) succeeded, want an error", bad)
		}
	}
}

func TestThresholdWindowAt_alignedToTheEpoch(t *testing.T) {
	th := &Threshold{Count: 1, Window: time.Hour}
	start, end := th.WindowAt(time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC))
	if want := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC); !start.Equal(want) || end.Sub(start) != time.Hour {
		t.Errorf("window %v-%v, want one hour from %v", start, end, want)
	}
	th.Window = 7 * time.Minute // not a divisor of an hour: still multiples of 420 s since 1970
	start, _ = th.WindowAt(time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC))
	if start.Unix()%420 != 0 {
		t.Errorf("start %v is not a multiple of the window since the epoch", start)
	}
}

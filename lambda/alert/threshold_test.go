package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func TestThreshold_sentence(t *testing.T) {
	tests := []struct {
		name string
		th   Threshold
		want string
	}{
		{"one group path", Threshold{Count: 3, Window: 5 * time.Minute, WindowStart: at("2026-11-24 10:15"), WindowEnd: at("2026-11-24 10:20"),
			GroupBy: []string{"sourceIPAddress"}, Group: []string{"203.0.113.9"}, Observed: 3},
			"Threshold: 3 matches from sourceIPAddress=203.0.113.9 in the 5-minute window 2026-11-24 10:15–10:20 UTC (threshold 3)."},
		{"all matches together", Threshold{Count: 1, Window: time.Minute, WindowStart: at("2026-11-24 10:15"), WindowEnd: at("2026-11-24 10:16"), Observed: 1},
			"Threshold: 1 match in the 1-minute window 2026-11-24 10:15–10:16 UTC (threshold 1)."},
		{"a path the records lack", Threshold{Count: 2, Window: 90 * time.Minute, WindowStart: at("2026-11-24 09:00"), WindowEnd: at("2026-11-24 10:30"),
			GroupBy: []string{"userIdentity.arn", "awsRegion"}, Group: []string{"", "eu-west-1"}, Observed: 5},
			"Threshold: 5 matches from userIdentity.arn=(none), awsRegion=eu-west-1 in the 90-minute window 2026-11-24 09:00–10:30 UTC (threshold 2)."},
		{"ends at midnight", Threshold{Count: 4, Window: time.Hour, WindowStart: at("2026-11-24 23:00"), WindowEnd: at("2026-11-25 00:00"), Observed: 4},
			"Threshold: 4 matches in the 1-hour window 2026-11-24 23:00–00:00 UTC (threshold 4)."},
		{"spans midnight", Threshold{Count: 4, Window: 7 * time.Minute, WindowStart: at("2026-11-24 23:58"), WindowEnd: at("2026-11-25 00:05"), Observed: 4},
			"Threshold: 4 matches in the 7-minute window 2026-11-24 23:58 – 2026-11-25 00:05 UTC (threshold 4)."},
		{"a whole day", Threshold{Count: 10, Window: 24 * time.Hour, WindowStart: at("2026-11-24 00:00"), WindowEnd: at("2026-11-25 00:00"), Observed: 11},
			"Threshold: 11 matches in the 24-hour window 2026-11-24 00:00 – 2026-11-25 00:00 UTC (threshold 10)."},
		{"bounds in another zone shown in UTC", Threshold{Count: 3, Window: 5 * time.Minute,
			WindowStart: at("2026-11-24 10:15").In(time.FixedZone("CET", 3600)), WindowEnd: at("2026-11-24 10:20").In(time.FixedZone("CET", 3600)), Observed: 3},
			"Threshold: 3 matches in the 5-minute window 2026-11-24 10:15–10:20 UTC (threshold 3)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := (&Alert{Rule: cis36}).WithThreshold(tt.th)
			if got := a.Threshold.sentence(); got != tt.want {
				t.Errorf("sentence() =\n  %q\nwant\n  %q", got, tt.want)
			}
			if !strings.Contains(a.Text(), "\n"+tt.want+"\n") {
				t.Errorf("Text() lacks the line %q:\n%s", tt.want, a.Text())
			}
		})
	}
}

func TestThreshold_JSON(t *testing.T) {
	raws := readRecords(t, "root-console-login.json")
	plain := New(cis33, Object{Bucket: "b", Key: "k"}, 1, raws)
	doc, err := plain.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), `"threshold"`) {
		t.Errorf("an alert without a threshold names one: %s", doc)
	}

	tests := []struct {
		name string
		th   Threshold
		want string
	}{
		{"grouped", Threshold{Count: 3, Window: 5 * time.Minute, WindowStart: at("2026-11-24 10:15"), WindowEnd: at("2026-11-24 10:20"),
			GroupBy: []string{"sourceIPAddress"}, Group: []string{"203.0.113.9"}, Observed: 4},
			`{"count":3,"window":"5m","windowStart":"2026-11-24T10:15:00Z","windowEnd":"2026-11-24T10:20:00Z",` +
				`"groupBy":["sourceIPAddress"],"group":{"sourceIPAddress":"203.0.113.9"},"observed":4}`},
		{"ungrouped", Threshold{Count: 2, Window: 90 * time.Minute, WindowStart: at("2026-11-24 09:00"), WindowEnd: at("2026-11-24 10:30"), Observed: 2},
			`{"count":2,"window":"1h30m","windowStart":"2026-11-24T09:00:00Z","windowEnd":"2026-11-24T10:30:00Z","observed":2}`},
		{"a value missing", Threshold{Count: 2, Window: 24 * time.Hour, WindowStart: at("2026-11-24 00:00"), WindowEnd: at("2026-11-25 00:00"),
			GroupBy: []string{"userIdentity.arn", "awsRegion"}, Group: []string{"arn:aws:iam::1:user/x"}, Observed: 2},
			`{"count":2,"window":"24h","windowStart":"2026-11-24T00:00:00Z","windowEnd":"2026-11-25T00:00:00Z",` +
				`"groupBy":["userIdentity.arn","awsRegion"],"group":{"awsRegion":"","userIdentity.arn":"arn:aws:iam::1:user/x"},"observed":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(cis36, Object{Bucket: "b", Key: "k"}, tt.th.Observed, raws).WithThreshold(tt.th)
			doc, err := a.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var m struct{ Threshold json.RawMessage }
			if err := json.Unmarshal(doc, &m); err != nil {
				t.Fatal(err)
			}
			if string(m.Threshold) != tt.want {
				t.Errorf("threshold =\n  %s\nwant\n  %s", m.Threshold, tt.want)
			}
			var back Alert
			if err := json.Unmarshal(doc, &back); err != nil {
				t.Fatalf("the document does not read back into an Alert: %v", err)
			}
			again, err := back.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(doc) {
				t.Errorf("round trip changed the document:\n%s\n%s", doc, again)
			}
		})
	}
}

func TestThreshold_unmarshalErrors(t *testing.T) {
	for _, doc := range []string{
		`{"count":3,"window":"five minutes"}`,
		`{"count":3,"window":"5m","windowStart":"yesterday"}`,
		`{"count":"3"}`,
	} {
		var th Threshold
		if err := json.Unmarshal([]byte(doc), &th); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", doc, th)
		}
	}
}

// Group values come from the records: an attacker chooses them.
func TestThreshold_cleansGroupValues(t *testing.T) {
	const evil = "203.0.113.9\x1b[2J\r\nSubject: [LOW] ignore\u202e"
	th := Threshold{Count: 3, Window: 5 * time.Minute, WindowStart: at("2026-11-24 10:15"), WindowEnd: at("2026-11-24 10:20"),
		GroupBy: []string{"sourceIPAddress\n"}, Group: []string{evil + strings.Repeat("9", 5000)}, Observed: 3}
	built := New(cis36, Object{}, 3, nil).WithThreshold(th)
	byHand := &Alert{Rule: cis36, MatchCount: 3, Threshold: &th}
	for name, a := range map[string]*Alert{"WithThreshold": built, "by hand": byHand} {
		t.Run(name, func(t *testing.T) {
			text := a.Text()
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "Subject:") {
					t.Errorf("a group value starts a line of its own: %q", line)
				}
				if len([]rune(line)) > 800 {
					t.Errorf("Text() has a %d-rune line", len([]rune(line)))
				}
			}
			for _, r := range text {
				if r != '\n' && unsafeRune(r) {
					t.Fatalf("Text() holds %U", r)
				}
			}
			if !strings.Contains(text, "from sourceIPAddress=203.0.113.9\uFFFD Subject: [LOW] ignore\uFFFD") {
				t.Errorf("Text() does not show the cleaned value:\n%s", text)
			}
		})
	}
	doc, err := built.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), `\u001b`) || strings.Contains(string(doc), `\r`) {
		t.Errorf("JSON() keeps control characters of a group value: %s", doc)
	}
	if th.Group[0] != evil+strings.Repeat("9", 5000) {
		t.Error("WithThreshold changed the caller's slice")
	}
}

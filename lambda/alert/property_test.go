package alert

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// pieces are the fragments random text is made of: ordinary words and the
// characters that must never reach a reader.
var pieces = []string{
	"root", "admin", "arn:aws:iam::123456789012:user/x", "us-east-1", " ", "  ", "-", "[", "]", "(", ")",
	"\x00", "\x07", "\x1b[31m", "\x1b]8;;http://x\x07", "\x1b", "\r\n", "\n", "\t", "\u202e", "\u2066", "\u200b",
	"\ufeff", "\U000E0041", "\u009b", "\u2028", "é", "東京", "👩\u200d💻", "\xff", "…", strings.Repeat("long", 60),
}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(12); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randomRecord(r *rand.Rand) []byte {
	m := map[string]any{
		"eventID": randomText(r), "eventTime": randomText(r), "eventSource": randomText(r),
		"eventName": randomText(r), "awsRegion": randomText(r), "recipientAccountId": randomText(r),
		"sourceIPAddress": randomText(r), "userAgent": randomText(r), "errorCode": randomText(r),
		"errorMessage": randomText(r),
		"userIdentity": map[string]any{"type": randomText(r), "arn": randomText(r), "userName": randomText(r),
			"accessKeyId": randomText(r), "sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": randomText(r)}}},
		"requestParameters": map[string]any{"bucketName": randomText(r), randomText(r): randomText(r),
			"ipPermissions": map[string]any{"items": []any{map[string]any{"ipProtocol": randomText(r)}}}},
	}
	if r.IntN(4) == 0 {
		m["awsRegion"] = "eu-west-1"
	}
	data, _ := json.Marshal(m)
	return data
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 250; i++ {
		rule := Rule{ID: randomText(r), Title: randomText(r), Severity: randomText(r), Description: randomText(r),
			Controls: map[string][]string{randomText(r): {randomText(r)}}, File: randomText(r)}
		obj := Object{Bucket: randomText(r), Key: randomText(r)}
		raws := make([][]byte, r.IntN(40))
		for j := range raws {
			raws[j] = randomRecord(r)
		}
		var a *Alert
		if r.IntN(5) == 0 {
			a = Operational(randomText(r), randomText(r), randomText(r), obj, randomText(r)).WithRecordsRead(r.IntN(100))
		} else {
			a = New(rule, obj, r.IntN(100000), raws)
		}
		if r.IntN(3) == 0 {
			start := time.Unix(r.Int64N(4e9), 0)
			window := time.Duration(1+r.IntN(1440)) * time.Minute
			th := Threshold{Count: r.IntN(50), Window: window, WindowStart: start, WindowEnd: start.Add(window), Observed: a.MatchCount}
			for n := r.IntN(4); n > 0; n-- {
				th.GroupBy = append(th.GroupBy, randomText(r))
				th.Group = append(th.Group, randomText(r))
			}
			a.WithThreshold(th)
		}

		subject := a.Subject()
		if len(subject) == 0 || len(subject) > MaxSubject {
			t.Fatalf("Subject() = %q: %d bytes", subject, len(subject))
		}
		for k := 0; k < len(subject); k++ {
			if c := subject[k]; c < ' ' || c > '~' {
				t.Fatalf("Subject() = %q: byte %#x is not printable ASCII", subject, c)
			}
		}

		text := a.Text()
		if !utf8.ValidString(text) {
			t.Fatalf("Text() is not valid UTF-8: %q", text)
		}
		for _, c := range text {
			if c != '\n' && unsafeRune(c) {
				t.Fatalf("Text() holds %U:\n%s", c, text)
			}
		}

		limit := 1000 + r.IntN(MaxSNSMessage)
		msg, err := a.SNSMessage(limit)
		if err != nil {
			if empty, _ := a.withEvents(0).snsDocument(); len(empty) <= limit {
				t.Fatalf("SNSMessage(%d) failed though an alert without events fits: %v", limit, err)
			}
			continue
		}
		if len(msg) > limit {
			t.Fatalf("SNSMessage(%d) is %d bytes", limit, len(msg))
		}
		var doc map[string]string
		if err := json.Unmarshal([]byte(msg), &doc); err != nil {
			t.Fatalf("SNSMessage(%d) is not valid JSON: %v", limit, err)
		}
		var back Alert
		if err := json.Unmarshal([]byte(doc["default"]), &back); err != nil {
			t.Fatalf("default is not an alert: %v", err)
		}
		if back.Schema != Schema || back.Truncated != (back.MatchCount > len(back.Events)) {
			t.Fatalf("alert schema %q, truncated %v with %d of %d events", back.Schema, back.Truncated, len(back.Events), back.MatchCount)
		}
	}
}

package alert_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/lambda/alert"
)

func ExampleNew() {
	record := []byte(`{"eventVersion":"1.09","eventID":"865d9377-9c6b-4fd7-8aad-725e95f6a140",
		"eventTime":"2024-08-02T08:53:24Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
		"awsRegion":"us-east-1","recipientAccountId":"123456789012","sourceIPAddress":"198.51.100.23",
		"userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},
		"additionalEventData":{"MFAUsed":"No"}}`)
	rule := alert.Rule{ID: "cis-3.3", Title: "Root account used", Severity: "high"}
	obj := alert.Object{Bucket: "trail-logs", Key: "AWSLogs/123456789012/CloudTrail/us-east-1/2024/08/02/123456789012_CloudTrail_us-east-1_20240802T0855Z_Xk2f9RlQpZ1bC3dE.json.gz"}

	a := alert.New(rule, obj, 3, [][]byte{record})
	fmt.Println(a.Subject())
	fmt.Println(a.Events[0].Principal, "MFA", a.Events[0].MFAUsed, "truncated", a.Truncated)
	fmt.Println(a.Events[0].ConsoleURL)
	// Output:
	// [HIGH] cis-3.3 Root account used - 123456789012 us-east-1 (3 events)
	// arn:aws:iam::123456789012:root MFA no truncated true
	// https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/865d9377-9c6b-4fd7-8aad-725e95f6a140
}

func ExampleOperational() {
	a := alert.Operational(alert.UnreadableLogFile, "CloudTrail log file unreadable", "high",
		alert.Object{Key: "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/08/02/f.json.gz"},
		"corrupt input at byte 48213 after 17 records: unexpected EOF").WithRecordsRead(17)
	fmt.Println(a.Rule.ID, a.Account, a.Region, *a.RecordsRead)
	// Output:
	// trailwatch/unreadable-log-file 123456789012 eu-west-1 17
}

func ExampleAlert_WithThreshold() {
	failure := func(id, at string) []byte {
		return []byte(`{"eventVersion":"1.09","eventID":"` + id + `","eventTime":"` + at + `",
			"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1",
			"recipientAccountId":"123456789012","sourceIPAddress":"203.0.113.9","errorMessage":"Failed authentication",
			"userIdentity":{"type":"IAMUser","userName":"alice","accountId":"123456789012"}}`)
	}
	rule := alert.Rule{ID: "cis-3.6", Title: "Console authentication failures", Severity: "medium"}
	obj := alert.Object{Bucket: "trail-logs", Key: "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/24/123456789012_CloudTrail_us-east-1_20261124T1025Z_Zq8Wm3Kd9Ls2Np4R.json.gz"}
	events := [][]byte{failure("e1", "2026-11-24T10:15:30Z"), failure("e2", "2026-11-24T10:16:10Z"), failure("e3", "2026-11-24T10:17:20Z")}

	start := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	a := alert.New(rule, obj, 3, events).WithThreshold(alert.Threshold{
		Count: 3, Window: 5 * time.Minute, WindowStart: start, WindowEnd: start.Add(5 * time.Minute),
		GroupBy: []string{"sourceIPAddress"}, Group: []string{"203.0.113.9"}, Observed: 3,
	})
	fmt.Println(a.Subject())
	for _, line := range strings.Split(a.Text(), "\n") {
		if strings.HasPrefix(line, "Threshold:") {
			fmt.Println(line)
		}
	}
	// Output:
	// [MEDIUM] cis-3.6 Console authentication failures - 123456789012 us-east-1 (3 events in 5m)
	// Threshold: 3 matches from sourceIPAddress=203.0.113.9 in the 5-minute window 2026-11-24 10:15–10:20 UTC (threshold 3).
}

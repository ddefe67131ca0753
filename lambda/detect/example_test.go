package detect_test

import (
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

// Scanning one delivered log file with the shipped CIS rules: one result per
// rule that matched, with the match count and the first records.
func ExampleRuleSet_Scan() {
	rs, err := detect.Default()
	if err != nil {
		panic(err)
	}
	file := `{"Records":[
 {"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"Root"},"eventType":"AwsApiCall"},
 {"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","errorCode":"Client.UnauthorizedOperation"},
 {"eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied"}
]}`
	res, err := rs.Scan(cloudtrail.NewReader(strings.NewReader(file)), detect.ScanOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Records, "records")
	for _, rr := range res.Rules {
		fmt.Printf("%s [%s] %s: %d\n", rr.Rule.ID, rr.Rule.Severity, rr.Rule.Title, rr.Count)
	}
	// Output:
	// 3 records
	// cis-3.1 [low] Unauthorized API call: 2
	// cis-3.3 [critical] Root account used: 1
	// cis-3.5 [high] CloudTrail configuration changed: 1
}

// Every problem of every rule file comes back at once, each with its file,
// line and column; a pattern error points into the pattern itself.
func ExampleLoadFS() {
	fsys := fstest.MapFS{"stop.yaml": {Data: []byte(`id: my-stop
title: Trail stopped
severity: urgent
description: Someone stopped CloudTrail logging.
pattern: '{ $.eventName = }'
`)}}
	_, err := detect.LoadFS(fsys)
	fmt.Println(err)
	// Output:
	// stop.yaml:3:11: severity "urgent" must be one of informational, low, medium, high, critical
	// stop.yaml:5:27: pattern: expected value after '=', found '}'
}

package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/trailwatch/trailwatch/lambda/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// readRecords returns the raw records of a {"Records": [...]} file in testdata/input.
func readRecords(t *testing.T, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "input", name))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	raws := make([][]byte, len(file.Records))
	for i, r := range file.Records {
		raws[i] = r
	}
	return raws
}

// edit returns raw with the given top-level fields replaced.
func edit(t *testing.T, raw []byte, fields map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	cis33 = Rule{
		ID: "cis-3.3", Title: "Root account used", Severity: "high",
		Controls:    map[string][]string{"cis-1.2.0": {"3.3"}, "cis-1.4.0": {"1.7", "4.3"}, "securityhub": {"CloudWatch.1"}},
		Description: "The root user signed in or called an API. Root can do anything and cannot be restricted by IAM policies. Confirm with the account owner that this was planned; if not, change the root password, rotate its MFA device and review what else root did.",
		File:        "cis-3.3-root-account-usage.yaml",
	}
	cis31 = Rule{
		ID: "cis-3.1", Title: "Unauthorized API calls", Severity: "medium",
		Controls:    map[string][]string{"cis-1.2.0": {"3.1"}, "securityhub": {"CloudWatch.2"}},
		Description: "Calls were refused with AccessDenied or UnauthorizedOperation. A burst from one principal often means stolen credentials being tried against services, or a broken deployment. Check who the principal is and whether the calls fit its job.",
		File:        "cis-3.1-unauthorized-api-calls.yaml",
	}
	cis310 = Rule{
		ID: "cis-3.10", Title: "Security group changed", Severity: "medium",
		Controls:    map[string][]string{"cis-1.2.0": {"3.10"}, "securityhub": {"CloudWatch.10"}},
		Description: "A security group rule was added or removed. Check that no rule opens administrative ports (22, 3389) to 0.0.0.0/0 or ::/0.",
		File:        "cis-3.10-security-group-changes.yaml",
	}
	cis36 = Rule{
		ID: "cis-3.6", Title: "Console authentication failures", Severity: "medium",
		Controls:    map[string][]string{"cis-1.2.0": {"3.6"}, "securityhub": {"CloudWatch.6"}},
		Description: "Console sign-ins failed. Several from one address in a short time suggest someone guessing passwords. Check the address and the user names tried.",
		File:        "cis-3.6-console-authentication-failures.yaml",
	}
	cis34 = Rule{
		ID: "cis-3.4", Title: "IAM policy changed", Severity: "medium",
		Controls:    map[string][]string{"cis-1.2.0": {"3.4"}, "securityhub": {"CloudWatch.4"}},
		Description: "An IAM policy was created, changed, attached or detached. Check that the change was reviewed and grants no more than needed.",
		File:        "cis-3.4-iam-policy-changes.yaml",
	}
)

// stormRecords returns n AccessDenied records of one instance role trying
// one service after another.
func stormRecords(t *testing.T, n int) [][]byte {
	base := readRecords(t, "unauthorized-storm.json")[0]
	calls := []struct{ source, name, code, action, params string }{
		{"s3.amazonaws.com", "ListBuckets", "AccessDenied", "s3:ListAllMyBuckets", `{"Host":"s3.amazonaws.com"}`},
		{"iam.amazonaws.com", "ListUsers", "AccessDenied", "iam:ListUsers", `null`},
		{"ec2.amazonaws.com", "DescribeInstances", "Client.UnauthorizedOperation", "", `{"instancesSet":{},"filterSet":{}}`},
		{"secretsmanager.amazonaws.com", "ListSecrets", "AccessDenied", "secretsmanager:ListSecrets", `{"maxResults":100}`},
		{"kms.amazonaws.com", "ListKeys", "AccessDenied", "kms:ListKeys", `null`},
		{"s3.amazonaws.com", "GetBucketPolicy", "AccessDenied", "s3:GetBucketPolicy", `{"bucketName":"corp-finance-exports","policy":"","Host":"corp-finance-exports.s3.amazonaws.com"}`},
	}
	const who = "arn:aws:sts::123456789012:assumed-role/web-app-instance-role/i-0123456789abcdef0"
	raws := make([][]byte, n)
	for i := range raws {
		c := calls[i%len(calls)]
		msg := "You are not authorized to perform this operation."
		if c.action != "" {
			msg = "User: " + who + " is not authorized to perform: " + c.action + " because no identity-based policy allows the action"
		}
		raws[i] = edit(t, base, map[string]any{
			"errorMessage":      msg,
			"eventTime":         fmt.Sprintf("2024-10-21T03:12:%02dZ", i%60),
			"eventID":           fmt.Sprintf("5f4e3d2c-1b0a-4987-8654-3210fedcba%02d", i%100),
			"requestID":         fmt.Sprintf("00000000-0000-4000-8000-0000000000%02d", i%100),
			"eventSource":       c.source,
			"eventName":         c.name,
			"errorCode":         c.code,
			"requestParameters": json.RawMessage(c.params),
		})
	}
	return raws
}

// signinFailures returns failed console sign-ins from ip, one at each
// time, with event ids ending in their position.
func signinFailures(t *testing.T, ip string, times ...string) [][]byte {
	base := readRecords(t, "root-console-login.json")[0]
	raws := make([][]byte, len(times))
	for i, at := range times {
		raws[i] = edit(t, base, map[string]any{
			"userIdentity": map[string]any{
				"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001", "arn": "arn:aws:iam::123456789012:user/alice",
				"accountId": "123456789012", "userName": "alice",
			},
			"eventTime":        at,
			"eventID":          fmt.Sprintf("3f1c2a7e-5b9d-4e60-9a1b-2c3d4e5f60%02d", i),
			"sourceIPAddress":  ip,
			"errorMessage":     "Failed authentication",
			"responseElements": map[string]any{"ConsoleLogin": "Failure"},
			"additionalEventData": map[string]any{
				"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No",
			},
		})
	}
	return raws
}

// hostileRecord is an event whose every free-text field tries to deceive a
// reader: terminal escapes, control characters, a right-to-left override,
// CR LF to forge extra lines, tag characters and a 10 KB user agent.
func hostileRecord(t *testing.T) []byte {
	base := readRecords(t, "root-console-login.json")[0]
	agent := "Mozilla/5.0 \x1b[2J\x1b[1;31mURGENT\x1b[0m " + strings.Repeat("A", 10*1024)
	return edit(t, base, map[string]any{
		"eventName":       "ConsoleLogin\r\nSubject: [LOW] ignore this",
		"eventTime":       "2024-08-02T08:53:24+02:00",
		"userAgent":       agent,
		"sourceIPAddress": "198.51.100.23\x00\x07",
		"errorCode":       "Failed\u202eauthentication",
		"errorMessage":    "line one\nFrom: security@example.com\n\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07\u2066hidden\u2069 \U000E0041\U000E0042 end",
		"userIdentity": map[string]any{
			"type":        "IAMUser",
			"principalId": "AIDAHOSTILE",
			"arn":         "arn:aws:iam::123456789012:user/admin\u202egpj.exe",
			"accountId":   "123456789012",
			"userName":    "admin\u200b\u202egnp.exe\u009b31m",
			"accessKeyId": "AKIA\tHOSTILE",
		},
		"requestParameters": map[string]any{
			"bucketName": "bucket\x1b[8mhidden\x1b[28m",
			"policy":     strings.Repeat("{\"Statement\":[]}", 50),
			"userName":   "victim\r\nX-Injected: yes",
		},
	})
}

func TestGolden(t *testing.T) {
	rootLogFile := Object{
		Bucket: "org-cloudtrail-logs-123456789012",
		Key:    "AWSLogs/123456789012/CloudTrail/us-east-1/2024/08/02/123456789012_CloudTrail_us-east-1_20240802T0855Z_Xk2f9RlQpZ1bC3dE.json.gz",
	}
	storm := stormRecords(t, 5)
	records := 17
	tests := []struct {
		name  string
		alert func() *Alert
	}{
		{"root-console-login", func() *Alert {
			a := New(cis33, rootLogFile, 1, readRecords(t, "root-console-login.json"))
			a.MatchedBecause = []string{`userIdentity.type = "Root"`, "userIdentity.invokedBy NOT EXISTS", `eventType != "AwsServiceEvent"`}
			return a
		}},
		{"unauthorized-storm", func() *Alert {
			a := New(cis31, Object{
				Bucket: "org-cloudtrail-logs-123456789012",
				Key:    "AWSLogs/123456789012/CloudTrail/us-east-1/2024/10/21/123456789012_CloudTrail_us-east-1_20241021T0315Z_a1B2c3D4e5F6g7H8.json.gz",
			}, 5000, storm)
			a.MatchedBecause = []string{`errorCode = "*UnauthorizedOperation"`, `errorCode = "AccessDenied*"`}
			return a
		}},
		{"sg-change", func() *Alert {
			return New(cis310, Object{Key: "testdata/cloudtrail/sg-change.json"}, 2, readRecords(t, "sg-change.json"))
		}},
		{"iam-policy-china", func() *Alert {
			return New(cis34, Object{
				Bucket: "trail-bucket-cn",
				Key:    "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/cn-north-1/2024/11/03/444455556666_CloudTrail_cn-north-1_20241103T2210Z_QwErTyUiOpAsDfGh.json.gz",
			}, 1, readRecords(t, "iam-policy-china.json"))
		}},
		{"threshold-signin-failures", func() *Alert {
			a := New(cis36, Object{
				Bucket: "org-cloudtrail-logs-123456789012",
				Key:    "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/24/123456789012_CloudTrail_us-east-1_20261124T1025Z_Zq8Wm3Kd9Ls2Np4R.json.gz",
			}, 3, signinFailures(t, "203.0.113.9", "2026-11-24T10:15:30Z", "2026-11-24T10:16:10Z", "2026-11-24T10:17:20Z"))
			a.MatchedBecause = []string{`eventName = "ConsoleLogin"`, `errorMessage = "Failed authentication"`}
			return a.WithThreshold(Threshold{
				Count: 3, Window: 5 * time.Minute,
				WindowStart: time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC), WindowEnd: time.Date(2026, 11, 24, 10, 20, 0, 0, time.UTC),
				GroupBy: []string{"sourceIPAddress"}, Group: []string{"203.0.113.9"}, Observed: 3,
			})
		}},
		{"threshold-storm", func() *Alert {
			// The window held 14 refusals when the alert went out; it lists the first 5.
			a := New(cis31, Object{
				Bucket: "org-cloudtrail-logs-123456789012",
				Key:    "AWSLogs/123456789012/CloudTrail/us-east-1/2024/10/21/123456789012_CloudTrail_us-east-1_20241021T0315Z_a1B2c3D4e5F6g7H8.json.gz",
			}, 14, storm)
			return a.WithThreshold(Threshold{
				Count: 10, Window: time.Hour,
				WindowStart: time.Date(2024, 10, 21, 3, 0, 0, 0, time.UTC), WindowEnd: time.Date(2024, 10, 21, 4, 0, 0, 0, time.UTC),
				GroupBy:  []string{"userIdentity.arn", "awsRegion"},
				Group:    []string{"arn:aws:sts::123456789012:assumed-role/web-app-instance-role/i-0123456789abcdef0", "us-east-1"},
				Observed: 14,
			})
		}},
		{"operational-unreadable", func() *Alert {
			return Operational(UnreadableLogFile, "CloudTrail log file could not be read", "high", rootLogFile,
				"corrupt input at byte 48213 after 17 records: gzip: invalid checksum").WithRecordsRead(records)
		}},
		{"hostile", func() *Alert {
			a := New(cis33, Object{
				Bucket: "org-cloudtrail-logs-123456789012",
				Key:    "AWSLogs/123456789012/CloudTrail/us-east-1/2024/08/02/x;rm -rf ~.json.gz",
			}, 2, [][]byte{hostileRecord(t)})
			// A condition written with control characters is cleaned like any other text.
			a.MatchedBecause = []string{"eventName = \"ConsoleLogin\r\nSubject: [LOW] x\x1b[2J\""}
			return a
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.alert()
			checkGolden(t, tt.name+".subject.golden", []byte(a.Subject()+"\n"))
			checkGolden(t, tt.name+".txt.golden", []byte(a.Text()))
			doc, err := a.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, doc, "", "  "); err != nil {
				t.Fatalf("JSON() is not valid JSON: %v", err)
			}
			pretty.WriteByte('\n')
			checkGolden(t, tt.name+".json.golden", pretty.Bytes())
		})
	}
}

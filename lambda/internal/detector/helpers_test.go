package detector

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trailwatch/trailwatch/lambda/internal/testtrail"
)

// awsConfigForTest is a configuration that makes clients and never reaches AWS.
func awsConfigForTest() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

const (
	logKey  = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1015Z_a1B2c3D4e5F6g7H8.json.gz"
	logKey2 = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1020Z_Q9w8E7r6T5y4U3i2.json.gz"
	bucket  = "trail-logs-111122223333"
)

type objectRef struct {
	key  string
	size int64
}

// s3Event is an S3 event notification naming objects of the test bucket, keys form-encoded as S3
// writes them.
func s3Event(objs ...objectRef) map[string]any {
	recs := make([]any, len(objs))
	for i, o := range objs {
		recs[i] = map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
			"eventTime": "2026-11-24T10:15:02.311Z", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{
				"s3SchemaVersion": "1.0",
				"bucket":          map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
				"object":          map[string]any{"key": strings.ReplaceAll(url.QueryEscape(o.key), "%2F", "/"), "size": o.size},
			},
		}
	}
	return map[string]any{"Records": recs}
}

// fixtureRecords returns the records of the Lambda's testdata/cloudtrail/all-rules.json.
func fixtureRecords(t testing.TB) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cloudtrail", "all-rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Records
}

// trailFile and gzipBytes build delivered CloudTrail files.
var (
	trailFile = testtrail.File
	gzipBytes = testtrail.Gzip
)

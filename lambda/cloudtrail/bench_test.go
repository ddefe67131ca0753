package cloudtrail

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// benchMiB is the uncompressed size of the benchmark file; CTBENCH_MIB overrides it.
func benchMiB() int {
	if n, err := strconv.Atoi(os.Getenv("CTBENCH_MIB")); err == nil && n > 0 {
		return n
	}
	return 64
}

// ctgen writes realistic CloudTrail files; it sits next to the repository.
var ctgen = filepath.Join("..", "..", "..", "shared", "tools", "ctgen", "main.go")

type benchData struct {
	plain, gz []byte
	records   int
	source    string
}

var (
	benchOnce sync.Once
	bench     benchData
	benchErr  error
)

// loadBench returns a realistic delivered file, plain and gzipped: written by
// the shared ctgen tool when it is available (cached in the temp directory,
// it is deterministic), else synthesised from inline templates.
func loadBench(b *testing.B) *benchData {
	b.Helper()
	benchOnce.Do(func() {
		mib := benchMiB()
		if _, err := os.Stat(ctgen); err == nil {
			dir := filepath.Join(os.TempDir(), "trailwatch-bench-ctgen")
			base := filepath.Join(dir, fmt.Sprintf("ct-%dm", mib))
			if _, err := os.Stat(base + ".meta"); err != nil {
				cmd := exec.Command("go", "run", ctgen, "-out", dir, "-seed", "1", "-sizes", strconv.Itoa(mib))
				cmd.Stderr = os.Stderr
				if benchErr = cmd.Run(); benchErr != nil {
					return
				}
			}
			if bench.plain, benchErr = os.ReadFile(base + ".json"); benchErr != nil {
				return
			}
			if bench.gz, benchErr = os.ReadFile(base + ".json.gz"); benchErr != nil {
				return
			}
			bench.source = "ctgen"
		} else {
			bench.plain = synthesise(mib << 20)
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(bench.plain)
			_ = zw.Close()
			bench.gz = buf.Bytes()
			bench.source = "inline templates"
		}
		bench.records, benchErr = countRecords(bytes.NewReader(bench.plain))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return &bench
}

func countRecords(r io.Reader) (int, error) {
	rd := NewReader(r)
	for {
		if _, err := rd.Next(); err == io.EOF {
			return rd.Records(), nil
		} else if err != nil {
			return rd.Records(), err
		}
	}
}

// synthesise writes a {"Records":[...]} file of about size bytes from a few
// event templates shaped like real CloudTrail events, varied per record.
func synthesise(size int) []byte {
	templates := []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID%[1]d:session-%[1]d","arn":"arn:aws:sts::123456789012:assumed-role/app-role/session-%[1]d","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE%08[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::123456789012:role/app-role","accountId":"123456789012","userName":"app-role"},"attributes":{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-05-01T12:00:%02[2]dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"10.0.%[3]d.%[2]d","userAgent":"[aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#arm64 api/s3#1.58.0]","requestParameters":{"bucketName":"data-%[3]d","Host":"data-%[3]d.s3.eu-west-1.amazonaws.com","key":"reports/2024/05/01/part-%05[1]d.parquet"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"Zm9vYmFyYmF6cXV4ZXhhbXBsZWlkMg==","bytesTransferredOut":%[1]d},"requestID":"REQ%012[1]d","eventID":"0b5c%04[1]d-aaaa-bbbb-cccc-0123456789ab","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data-%[3]d/reports/2024/05/01/part-%05[1]d.parquet"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::data-%[3]d"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"data-%[3]d.s3.eu-west-1.amazonaws.com"}}`,
		`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%[1]d","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE%08[1]d","userName":"alice"},"eventTime":"2024-05-01T12:01:%02[2]dZ","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%[2]d","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2023 prompt/off command/iam.put-role-policy","requestParameters":{"roleName":"svc-%[3]d","policyName":"inline-%[1]d","policyDocument":"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"], \"Resource\": \"arn:aws:s3:::data-%[3]d/*\"}]\n}"},"responseElements":null,"requestID":"%08[1]d-1111-2222-3333-444455556666","eventID":"%08[1]d-7777-8888-9999-aaaabbbbcccc","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"eventTime":"2024-05-01T12:02:%02[2]dZ","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::123456789012:role/instance-%[3]d","roleSessionName":"i-0%015[1]x"},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE%08[1]d","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN%[1]dXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","expiration":"May 1, 2024, 6:02:00 PM"}},"requestID":"%08[1]d-dddd-eeee-ffff-000011112222","eventID":"%08[1]d-3333-4444-5555-666677778888","readOnly":true,"resources":[{"accountId":"123456789012","type":"AWS::IAM::Role","ARN":"arn:aws:iam::123456789012:role/instance-%[3]d"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","sharedEventID":"%08[1]d-9999-aaaa-bbbb-ccccddddeeee","eventCategory":"Management"}`,
	}
	out := make([]byte, 0, size+4096)
	out = append(out, `{"Records":[`...)
	for n := 0; len(out) < size; n++ {
		if n > 0 {
			out = append(out, ',')
		}
		out = fmt.Appendf(out, templates[n%len(templates)], n, n%60, n%251)
	}
	return append(out, "]}\n"...)
}

func BenchmarkReaderPlain(b *testing.B) {
	d := loadBench(b)
	b.Logf("%s: %d records, %d bytes plain, %d gzip", d.source, d.records, len(d.plain), len(d.gz))
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	rd := NewReader(nil)
	src := bytes.NewReader(d.plain)
	start := processCPU()
	for b.Loop() {
		src.Reset(d.plain)
		rd.Reset(src)
		drain(b, rd, d.records)
	}
	reportCPU(b, start, len(d.plain))
}

func BenchmarkReaderGzip(b *testing.B) {
	d := loadBench(b)
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	rd := NewReader(nil)
	src := bytes.NewReader(d.gz)
	start := processCPU()
	for b.Loop() {
		src.Reset(d.gz)
		rd.Reset(src)
		drain(b, rd, d.records)
	}
	reportCPU(b, start, len(d.plain))
}

// BenchmarkScan measures the record boundary scan alone, over records that
// are already in memory: BenchmarkReaderPlain minus the copy from the source.
func BenchmarkScan(b *testing.B) {
	d := loadBench(b)
	body := bytes.TrimPrefix(d.plain, []byte(`{"Records":[`))
	b.SetBytes(int64(len(body)))
	var s scanState
	start := processCPU()
	for b.Loop() {
		rest, n := body, 0
		for len(rest) > 0 && rest[0] == '{' {
			s.reset()
			end, err := s.run(rest)
			if err != nil || end == 0 {
				b.Fatalf("record %d: end %d, error %v", n, end, err)
			}
			n++
			rest = bytes.TrimPrefix(rest[end:], []byte(","))
		}
		if n != d.records {
			b.Fatalf("%d records, want %d", n, d.records)
		}
	}
	reportCPU(b, start, len(body))
}

// BenchmarkGunzipOnly is the floor for BenchmarkReaderGzip: decompression of
// the same bytes to io.Discard and nothing else.
func BenchmarkGunzipOnly(b *testing.B) {
	d := loadBench(b)
	b.SetBytes(int64(len(d.plain)))
	b.ReportAllocs()
	src := bytes.NewReader(d.gz)
	zr, err := gzip.NewReader(src)
	if err != nil {
		b.Fatal(err)
	}
	start := processCPU()
	for b.Loop() {
		src.Reset(d.gz)
		if err := zr.Reset(src); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start, len(d.plain))
}

// reportCPU adds the throughput per CPU second since start: on a shared
// machine it varies far less than the wall-clock MB/s.
func reportCPU(b *testing.B, start time.Duration, bytes int) {
	if cpu := processCPU() - start; cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

func drain(b *testing.B, rd *Reader, want int) {
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if rd.Records() != want {
		b.Fatalf("read %d records, want %d", rd.Records(), want)
	}
}

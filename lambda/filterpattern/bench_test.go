package filterpattern

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

// benchFile is a real CloudTrail log file (3,935 records, ~1.3 KB each)
// outside the repository; the benchmarks fall back to inlineRecords without
// it.
const benchFile = "../../../shared/cloudtrail/bench/ALL-recorded.json.gz"

// inlineRecords are two typical management events from public CloudTrail
// samples.
var inlineRecords = []string{
	`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDATFQR7NSC5U6Q3TMDR","arn":"arn:aws:iam::123837392027:user/benjamin","accountId":"123837392027","accessKeyId":"ASIATFQR7NSCTM3XVF6B","userName":"benjamin","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"2023-07-10T11:42:31Z","mfaAuthenticated":"true"}},"invokedBy":"AWS Internal"},"eventTime":"2023-07-10T11:42:36Z","eventSource":"s3.amazonaws.com","eventName":"GetStorageLensConfiguration","awsRegion":"us-east-1","sourceIPAddress":"AWS Internal","userAgent":"AWS Internal","requestParameters":{"Host":"123837392027.s3-control.us-east-1.amazonaws.com"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"RBVZE1aP5ZIWKUdG1hjRObcaPvsi1R4sMQr7GV+WPWocwL/I0cZVMkXnNBc55YA7mS056DtQDEI=","bytesTransferredOut":375},"requestID":"CC9X0N62QREGTBMN","eventID":"293ba626-3be5-4a26-ab1b-0f4c54f49959","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management"}`,
	`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDATFQR7NSC5AU2ZV3IE","arn":"arn:aws:iam::123837392027:user/bert-jan","accountId":"123837392027","accessKeyId":"AKIATFQR7NSC8Q4X20BJ","userName":"bert-jan"},"eventTime":"2023-07-10T11:54:42Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"192.168.10.20","userAgent":"stratus-red-team_39f95f43-cd2f-4beb-b69e-be60b6fe1f57","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::123837392027:user/bert-jan is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role","requestParameters":null,"responseElements":null,"requestID":"e4ca758e-8abd-4be9-aeb1-04e7c92ed72e","eventID":"e4bad408-6272-4892-bf47-bd41b435ce40","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"sts.us-east-1.amazonaws.com"}}`,
}

// benchRecords returns the records of benchFile, or the inline ones.
func benchRecords(tb testing.TB) (records [][]byte, total int64) {
	tb.Helper()
	if recs, err := readLogFile(benchFile); err == nil {
		records = recs
	} else {
		tb.Logf("using inline records: %v", err)
		for _, r := range inlineRecords {
			records = append(records, []byte(r))
		}
	}
	for _, r := range records {
		total += int64(len(r))
	}
	return records, total
}

// readLogFile decodes a gzip {"Records":[...]} CloudTrail file into the raw
// bytes of its records.
func readLogFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var file struct{ Records []json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&file); err != nil {
		return nil, err
	}
	records := make([][]byte, len(file.Records))
	for i, r := range file.Records {
		records[i] = r
	}
	return records, nil
}

func cisProgram(tb testing.TB) ([]*Pattern, *Program) {
	var pats []*Pattern
	for _, c := range cisPatterns {
		pats = append(pats, mustParse(tb, c.cis))
	}
	return pats, Compile(pats...)
}

// BenchmarkDocReset measures the one pass over each record that extracts
// the values the 14 CIS patterns read.
func BenchmarkDocReset(b *testing.B) {
	records, total := benchRecords(b)
	_, prog := cisProgram(b)
	doc := prog.NewDoc()
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range records {
			if err := doc.Reset(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(records)), "records/op")
}

// BenchmarkEval measures Reset plus the evaluation of the 14 CIS patterns:
// the whole per-record cost of detection.
func BenchmarkEval(b *testing.B) {
	records, total := benchRecords(b)
	pats, prog := cisProgram(b)
	doc := prog.NewDoc()
	matches := 0
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		matches = 0
		for _, r := range records {
			if err := doc.Reset(r); err != nil {
				b.Fatal(err)
			}
			for _, p := range pats {
				if p.Eval(doc) {
					matches++
				}
			}
		}
	}
	b.ReportMetric(float64(matches), "matches/op")
}

// BenchmarkMatch is the one-off Pattern.Match, one pattern at a time.
func BenchmarkMatch(b *testing.B) {
	records, total := benchRecords(b)
	pats, _ := cisProgram(b)
	b.SetBytes(total * int64(len(pats)))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pats {
			for _, r := range records {
				p.Match(r)
			}
		}
	}
}

// BenchmarkGunzipFloor decompresses the benchmark file with
// klauspost/compress, the floor the detection cost is compared to; its
// MB/s count uncompressed bytes, like the other benchmarks.
func BenchmarkGunzipFloor(b *testing.B) {
	compressed, err := os.ReadFile(benchFile)
	if err != nil {
		b.Skip(err)
	}
	var n int64
	zr, err := kgzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		b.Fatal(err)
	}
	if n, err = io.Copy(io.Discard, zr); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		if err := zr.Reset(bytes.NewReader(compressed)); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipeline models the detector's inner loop: decompress the log
// file in 64 KiB steps (klauspost/compress) and, as records complete, read
// each one and evaluate the 14 CIS patterns. Record boundaries are located
// beforehand, so the cost of finding them (the cloudtrail package's job) is
// not included. Compare its time with BenchmarkGunzipFloor's: the brief
// asks for at least 70% of decompression speed, that is a time ratio of at
// most 1.43. It reports that ratio as floor-ratio, from the process CPU time
// of a decompression-only pass run alongside each iteration, which the
// load of a shared machine disturbs far less than wall time.
func BenchmarkPipeline(b *testing.B) {
	compressed, err := os.ReadFile(benchFile)
	if err != nil {
		b.Skip(err)
	}
	plain, spans, err := recordSpans(compressed)
	if err != nil {
		b.Fatal(err)
	}
	pats, prog := cisProgram(b)
	doc := prog.NewDoc()
	buf := make([]byte, len(plain))
	zr, err := kgzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		b.Fatal(err)
	}
	const step = 64 << 10
	run := func(scan bool) {
		if err := zr.Reset(bytes.NewReader(compressed)); err != nil {
			b.Fatal(err)
		}
		filled, next := 0, 0
		for filled < len(buf) {
			n, err := io.ReadFull(zr, buf[filled:min(filled+step, len(buf))])
			filled += n
			if err != nil && filled < len(buf) {
				b.Fatal(err)
			}
			for ; scan && next < len(spans) && spans[next][1] <= filled; next++ {
				if err := doc.Reset(buf[spans[next][0]:spans[next][1]]); err != nil {
					b.Fatal(err)
				}
				for _, p := range pats {
					p.Eval(doc)
				}
			}
		}
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var floorCPU, scanCPU time.Duration
	for b.Loop() {
		b.StopTimer()
		t0 := cpuTime()
		run(false)
		floorCPU += cpuTime() - t0
		b.StartTimer()
		t0 = cpuTime()
		run(true)
		scanCPU += cpuTime() - t0
	}
	if floorCPU > 0 {
		b.ReportMetric(float64(scanCPU)/float64(floorCPU), "floor-ratio")
	}
}

// recordSpans decompresses a {"Records":[...]} file and returns the
// uncompressed bytes and the [start, end) offsets of each record.
func recordSpans(compressed []byte) ([]byte, [][2]int, error) {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, nil, err
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	for range 3 { // {"Records":[
		if _, err := dec.Token(); err != nil {
			return nil, nil, err
		}
	}
	var spans [][2]int
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, err
		}
		end := int(dec.InputOffset())
		spans = append(spans, [2]int{end - len(raw), end})
	}
	return plain, spans, nil
}

// TestNoAllocations checks that, once a Doc has warmed up, reading a record
// and evaluating the CIS patterns allocates nothing.
func TestNoAllocations(t *testing.T) {
	pats, prog := cisProgram(t)
	doc := prog.NewDoc()
	escaped := []byte(`{"eventName":"Console\u004cogin","errorCode":"Access\u0044enied","additionalEventData":{"MFAUsed":"N\u006f"},"x":[1,{"y":"\"]}"}]}`)
	records := [][]byte{[]byte(inlineRecords[0]), []byte(inlineRecords[1]), escaped}
	run := func() {
		for _, r := range records {
			if err := doc.Reset(r); err != nil {
				t.Fatal(err)
			}
			for _, p := range pats {
				p.Eval(doc)
			}
		}
	}
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Errorf("Reset+Eval allocates %.1f times per run", allocs)
	}
	if raceEnabled {
		return // Match's sync.Pool drops Docs on purpose under the race detector
	}
	match := func() { pats[0].Match(records[1]) }
	match()
	if allocs := testing.AllocsPerRun(100, match); allocs != 0 {
		t.Errorf("Match allocates %.1f times per run", allocs)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

// s3API is what an archive scan asks of S3; *s3.Client implements it.
type s3API interface {
	objectLister
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// newS3Client builds a client from the standard AWS SDK configuration
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, ...) for the bucket's own
// region, which may differ from the configured one: S3 answers requests
// sent to another region with a redirect the SDK does not follow.
func newS3Client(ctx context.Context, bucket string) (s3API, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithAppID("trailwatch"))
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	quiet := func(o *s3.Options) {
		// CloudTrail's objects may carry no checksum; that is not worth a line per file.
		o.DisableLogOutputChecksumValidationSkipped = true
	}
	client := s3.NewFromConfig(cfg, quiet)
	if region := bucketRegion(ctx, client, bucket); region != "" && region != cfg.Region {
		client = s3.NewFromConfig(cfg, quiet, func(o *s3.Options) { o.Region = region })
	}
	return client, nil
}

// bucketRegion asks S3 where bucket lives; "" when it does not say. A
// request to the wrong region fails, but its response names the right one.
func bucketRegion(ctx context.Context, client *s3.Client, bucket string) string {
	out, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return aws.ToString(out.BucketRegion)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// objectJob is one object of an archive scan: fetched and scanned by a
// worker, then reported in key order.
type objectJob struct {
	api  s3API
	obj  s3Object
	done chan struct{} // closed when the fields below are set

	fetchErr error          // the object could not be fetched
	res      *detect.Result // as rules.Scan returned it
	scanErr  error
	records  int           // records the reader delivered
	matches  []objectMatch // in record order, for the report
}

// objectMatch is one match, kept until its object's turn to be reported.
type objectMatch struct {
	rule   *detect.Rule
	record []byte
}

// scanArchive scans the log files of s3:// locations: objects are listed in
// key order and fetched and scanned by flags.concurrency workers, while the
// results are reported strictly in key order, exactly as a local scan of
// the same files in the same layout reports them. At most twice as many
// objects as workers wait to be reported, which bounds the memory used
// whatever the size of the archive.
func (s *scanner) scanArchive(locs []s3Location, flags *archiveFlags) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	prog := newProgress(time.Now)
	if tty, ok := terminalOf(s.stderr); ok {
		_, flush := terminalOf(os.Stdout)
		out, errOut := prog.show(tty, terminalWidth(tty), flush, s.stdout, s.stderr)
		s.env = &env{stdin: s.stdin, stdout: out, stderr: errOut}
		defer prog.finish()
	}

	workers := flags.concurrency
	jobs := make(chan *objectJob, workers)
	order := make(chan *objectJob, 2*workers)
	skipped := map[string]int{}
	var listErr error
	go func() {
		defer close(jobs)
		defer close(order)
		listErr = s.list(ctx, locs, flags.keyFilter(), prog, skipped, func(j *objectJob) error {
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			jobs <- j
			return nil
		})
		prog.listingDone.Store(true)
	}()
	for range workers {
		go func() {
			for j := range jobs {
				s.fetchAndScan(ctx, j, prog)
				close(j.done)
			}
		}()
	}
	for j := range order {
		<-j.done
		if ctx.Err() != nil {
			continue // interrupted: the objects in flight failed for that reason alone
		}
		s.report(j, prog)
	}
	prog.finish()

	failed := false
	switch {
	case ctx.Err() != nil:
		s.errorf("interrupted: the summary covers the objects read so far")
		failed = true
	case listErr != nil:
		s.errorf("%s", describeAWSError(listErr))
		failed = true
	}
	fmt.Fprintln(s.stderr, s.summary(inputs{skipped: skipped}))
	fmt.Fprint(s.stderr, s.ruleTable())
	if failed || s.failed > 0 {
		return exitFail
	}
	return exitOK
}

// list lists every location in turn and hands each log file to queue.
func (s *scanner) list(ctx context.Context, locs []s3Location, filter keyFilter, prog *progress, skipped map[string]int, queue func(*objectJob) error) error {
	clients := map[string]s3API{}
	for _, loc := range locs {
		api, ok := clients[loc.bucket]
		if !ok {
			var err error
			if api, err = newS3Client(ctx, loc.bucket); err != nil {
				return err
			}
			clients[loc.bucket] = api
		}
		l := &listing{
			api:    api,
			bucket: loc.bucket,
			filter: filter,
			found: func(obj s3Object) error {
				prog.listed(obj.size)
				return queue(&objectJob{api: api, obj: obj, done: make(chan struct{})})
			},
			skip: func(reason string) { skipped[reason]++ },
		}
		if err := l.run(ctx, loc.prefix); err != nil {
			return err
		}
	}
	return nil
}

// fetchAndScan reads one object and evaluates the rules over it; it runs on
// a worker and touches nothing but the job.
func (s *scanner) fetchAndScan(ctx context.Context, j *objectJob, prog *progress) {
	out, err := j.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(j.obj.bucket), Key: aws.String(j.obj.key)})
	if err != nil {
		j.fetchErr = err
		return
	}
	defer out.Body.Close()
	reader := cloudtrail.NewReader(&progressReader{r: out.Body, prog: prog})
	j.res, j.scanErr = s.rules.Scan(reader, detect.ScanOptions{
		MaxEvents: s.perAlert,
		OnMatch: func(rule *detect.Rule, record []byte) {
			j.matches = append(j.matches, objectMatch{rule: rule, record: append([]byte(nil), record...)})
		},
	})
	j.records = reader.Records()
}

// report prints one object's results, in key order, as scanFile does for a
// local file.
func (s *scanner) report(j *objectJob, prog *progress) {
	in := input{name: "s3://" + j.obj.bucket + "/" + j.obj.key}
	if j.fetchErr != nil {
		s.errorf("%s: %s", in.name, describeAWSError(j.fetchErr))
		s.failed++
		prog.done(0, 0)
		return
	}
	f := s.beginFile(in, alert.Object{Bucket: j.obj.bucket, Key: j.obj.key})
	for _, m := range j.matches {
		s.match(f, m.rule, m.record)
	}
	s.endFile(f, j.res, j.scanErr, j.records)
	records := j.records
	if j.res != nil {
		records = j.res.Records
	}
	prog.done(records, len(j.matches))
	j.matches, j.res = nil, nil
}

// describeAWSError shortens the SDK's errors to the service's code and
// message where there is one.
func describeAWSError(err error) string {
	var le *listError
	if errors.As(err, &le) {
		return "list " + le.where + ": " + describeAWSError(le.err)
	}
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return "the object no longer exists (NoSuchKey)"
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorCode()
		if m := api.ErrorMessage(); m != "" {
			msg += ": " + m
		}
		var op *smithy.OperationError
		if errors.As(err, &op) {
			return op.Operation() + ": " + msg
		}
		return msg
	}
	return err.Error()
}

// progressReader counts the bytes read from an object body.
type progressReader struct {
	r    io.Reader
	prog *progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.prog.read(n)
	return n, err
}

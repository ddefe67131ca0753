package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/trigger"
)

var replayCmd = &command{
	name:    "replay",
	summary: "process again the log files of failed detector invocations",
	usage:   "trailwatch replay --queue URL [--dry-run] [--topic ARN] [--rules DIR] [--max N] [--verbose]",
	help: `Reads the detector's on-failure queue, where Lambda leaves the invocations
that failed every retry, and processes each log file they name again with the
detector's own code: the same rules, the same alerts, published to the same
SNS topic. A message is deleted only once every object it names has been
processed; one that fails again, or that is not understood, stays in the
queue (visible again at once) for a later run. An object that no longer
exists is reported by the detector's missing-log-file alert, as the Lambda
reports it, and its message is then deleted.

For each message it prints when and why the invocation failed, then what
became of each object: alerts published, matches, records, or the error.

Flags:
  --queue URL    the on-failure queue's URL (required), e.g. the stack's
                 FailureQueue: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
  --dry-run      list the messages and their objects; publish nothing,
                 delete nothing
  --topic ARN    the alert topic; default: ALERT_TOPIC_ARN, as for the
                 detector (EVENTS_PER_ALERT is honoured too)
  --rules DIR    use the rule files in DIR instead of the embedded rules
                 (the ones the deployed detector was built with)
  --max N        stop after N messages (default: until the queue is empty)
  --verbose      write the detector's JSON log lines to standard error

Credentials and endpoints come from the standard AWS configuration
(AWS_PROFILE, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SNS,
...); the region is the queue's. The caller needs sqs:ReceiveMessage,
sqs:DeleteMessage and sqs:ChangeMessageVisibility on the queue, kms:Decrypt
on its key, s3:GetObject (and kms:Decrypt) on the trail's log files, and
sns:Publish on the topic.

Exit status:
  0  every message was replayed and deleted (or, with --dry-run, listed)
  1  a message could not be replayed or was not understood: it stays queued
  2  usage error, missing configuration, or the queue could not be read
`,
	run: runReplay,
}

// Receive settings: a message is hidden from other readers while it is
// processed, and the queue is empty once a long poll returns nothing.
const (
	replayVisibility = 300 // seconds
	replayWait       = 2   // seconds of long polling
)

// sqsAPI is what replay asks of SQS; *sqs.Client implements it.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, params *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, params *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

func runReplay(c *command, e *env, args []string) int {
	fs := newFlagSet("replay")
	queue := fs.String("queue", "", "")
	dryRun := fs.Bool("dry-run", false, "")
	topic := fs.String("topic", "", "")
	rulesDir := fs.String("rules", "", "")
	maxMessages := fs.Int("max", 0, "")
	verbose := fs.Bool("verbose", false, "")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
	case len(rest) > 0:
		err = fmt.Errorf("unexpected argument %q", rest[0])
	case *queue == "":
		err = errors.New("--queue URL is required")
	case *maxMessages < 0:
		err = fmt.Errorf("--max must not be negative, not %d", *maxMessages)
	}
	region := ""
	if err == nil {
		region, err = queueRegion(*queue)
	}
	if err != nil {
		return e.usageError(c, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithAppID("trailwatch"))
	if err != nil {
		e.errorf("aws configuration: %v", err)
		return exitUsage
	}
	if region != "" {
		// The queue, the detector, its bucket and its topic share a region.
		awsCfg.Region = region
	}
	r := &replayer{env: e, queue: *queue, max: *maxMessages, dryRun: *dryRun, sqs: sqs.NewFromConfig(awsCfg)}
	if !*dryRun {
		lookup := os.LookupEnv
		if *topic != "" {
			lookup = func(k string) (string, bool) {
				if k == "ALERT_TOPIC_ARN" {
					return *topic, true
				}
				return os.LookupEnv(k)
			}
		}
		cfg, err := detector.LoadConfig(lookup)
		if err != nil {
			e.errorf("%v (set ALERT_TOPIC_ARN or give --topic)", err)
			return exitUsage
		}
		rs, err := loadRules(*rulesDir)
		if err != nil {
			e.errorf("%s", describeRulesError(*rulesDir, err))
			return exitUsage
		}
		logTo := io.Discard
		if *verbose {
			logTo = e.stderr
		}
		r.handler = detector.New(awsCfg, cfg, rs, detector.NewLogger(logTo, cfg.LogLevel), nil)
	}
	return r.run(ctx)
}

// queueRegion reads the region from a queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
// (or the older https://REGION.queue.amazonaws.com/...); "" when the host does not say.
func queueRegion(queueURL string) (string, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("--queue %q is not a queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/name", queueURL)
	}
	labels := strings.Split(u.Hostname(), ".")
	switch {
	case len(labels) > 2 && labels[0] == "sqs" && isRegionName(labels[1]):
		return labels[1], nil
	case len(labels) > 2 && labels[1] == "queue" && isRegionName(labels[0]):
		return labels[0], nil
	}
	return "", nil
}

// replayer drains the on-failure queue.
type replayer struct {
	*env
	queue   string
	max     int
	dryRun  bool
	sqs     sqsAPI
	handler *detector.Handler // nil for --dry-run

	seen                          map[string]bool
	messages, replayed, kept, bad int
	alerts                        int
}

func (r *replayer) run(ctx context.Context) int {
	r.seen = map[string]bool{}
	var held []string // receipt handles to release at the end
	defer func() {
		// Messages left in the queue become visible again at once, for the next run.
		for _, h := range held {
			_, _ = r.sqs.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(r.queue), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			})
		}
	}()
	for r.max == 0 || r.messages < r.max {
		n := int32(10)
		if r.max > 0 {
			n = int32(min(10, r.max-r.messages))
		}
		out, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(r.queue),
			MaxNumberOfMessages: n,
			VisibilityTimeout:   replayVisibility,
			WaitTimeSeconds:     replayWait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
				sqstypes.MessageSystemAttributeNameSentTimestamp,
			},
		})
		if err != nil {
			if ctx.Err() != nil {
				r.errorf("interrupted")
				break
			}
			r.errorf("receive from %s: %s", r.queue, describeAWSError(err))
			r.printSummary()
			return exitUsage
		}
		fresh := 0
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if r.seen[id] {
				continue // received again within this run
			}
			r.seen[id] = true
			fresh++
			if r.replayMessage(ctx, m) {
				if _, err := r.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					fmt.Fprintf(r.stdout, "  not deleted: %s; a later run will replay it again\n", describeAWSError(err))
					r.replayed--
					r.kept++
				}
				continue
			}
			held = append(held, aws.ToString(m.ReceiptHandle))
		}
		if fresh == 0 || ctx.Err() != nil {
			break
		}
	}
	r.printSummary()
	if r.kept > 0 || r.bad > 0 || ctx.Err() != nil {
		return exitFail
	}
	return exitOK
}

// replayMessage reports one message and, unless this is a dry run, processes
// its objects again; it reports whether the message may be deleted.
func (r *replayer) replayMessage(ctx context.Context, m sqstypes.Message) bool {
	r.messages++
	fmt.Fprintf(r.stdout, "\nMessage %d (id %s)", r.messages, aws.ToString(m.MessageId))
	fr, payload, err := parseFailure([]byte(aws.ToString(m.Body)))
	if err == nil {
		var ev trigger.Event
		if ev, err = trigger.Parse(payload); err == nil {
			fmt.Fprintf(r.stdout, ": %s\n", fr)
			return r.replayObjects(ctx, ev)
		}
	}
	fmt.Fprintf(r.stdout, ": not understood, kept: %v\n", err)
	r.bad++
	return false
}

func (r *replayer) replayObjects(ctx context.Context, ev trigger.Event) bool {
	for _, ig := range ev.Ignored {
		fmt.Fprintf(r.stdout, "  ignored %s event: %s\n", ig.Source, ig.Reason)
	}
	if len(ev.Objects) == 0 {
		fmt.Fprintln(r.stdout, "  names no object")
	}
	if r.dryRun {
		for _, obj := range ev.Objects {
			fmt.Fprintf(r.stdout, "  s3://%s/%s: would be processed again\n", obj.Bucket, obj.Key)
		}
		return false
	}
	ok := true
	for _, obj := range ev.Objects {
		where := "s3://" + obj.Bucket + "/" + obj.Key
		sum, err := r.handler.ProcessObject(ctx, obj.Bucket, obj.Key)
		r.alerts += sum.Alerts
		if err != nil {
			fmt.Fprintf(r.stdout, "  %s: failed again: %s\n", where, describeAWSError(err))
			ok = false
			continue
		}
		fmt.Fprintf(r.stdout, "  %s: %s\n", where, describeOutcome(obj.Key, sum))
	}
	if !ok {
		fmt.Fprintln(r.stdout, "  kept in the queue")
		r.kept++
		return false
	}
	fmt.Fprintln(r.stdout, "  deleted from the queue")
	r.replayed++
	return true
}

// describeOutcome says what the detector did with one object.
func describeOutcome(key string, s detector.Summary) string {
	alerts := plural(s.Alerts, "alert") + " published"
	switch {
	case s.Missing > 0:
		return "the object no longer exists; " + alerts + " (missing-log-file)"
	case s.Skipped > 0:
		reason := cloudtrail.ClassifyKey(key).Reason
		if reason == "" {
			reason = "empty object"
		}
		return "skipped: " + reason
	case s.Unreadable > 0:
		return fmt.Sprintf("damaged after %s; %s, including unreadable-log-file", plural(s.Records, "record"), alerts)
	}
	out := fmt.Sprintf("%s, %s, %s", alerts, plural(s.Matches, "match"), plural(s.Records, "record"))
	if s.Shadowed > 0 {
		out += fmt.Sprintf(" (%d matches of shadow rules, not sent)", s.Shadowed)
	}
	return out
}

func (r *replayer) printSummary() {
	verb := "replayed and deleted"
	if r.dryRun {
		verb = "listed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\ntrailwatch replay: %s", plural(r.messages, "message"))
	if r.dryRun {
		fmt.Fprintf(&b, " %s, nothing sent or deleted", verb)
	} else {
		fmt.Fprintf(&b, ": %d %s, %d kept", r.replayed, verb, r.kept)
	}
	if r.bad > 0 {
		fmt.Fprintf(&b, ", %d not understood (kept)", r.bad)
	}
	if !r.dryRun {
		fmt.Fprintf(&b, "; %s published", plural(r.alerts, "alert"))
	}
	fmt.Fprintln(r.stdout, b.String())
}

// failureRecord is a Lambda on-failure destination record: the invocation
// that failed, why, and the event it was given.
type failureRecord struct {
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"` // RetriesExhausted, EventAgeExceeded
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// failure describes a failed invocation for the report.
type failure struct {
	record *failureRecord // nil for a bare event (a dead-letter queue's message)
	errMsg string
}

func (f failure) String() string {
	if f.record == nil {
		return "an event without an invocation record (dead-letter queue message)"
	}
	rc := f.record.RequestContext
	s := "invocation failed"
	if f.record.Timestamp != "" {
		s += " at " + printable(f.record.Timestamp)
	}
	if rc.ApproximateInvokeCount > 0 {
		s += fmt.Sprintf(" after %s", plural(rc.ApproximateInvokeCount, "attempt"))
	}
	if rc.Condition != "" {
		s += " (" + printable(rc.Condition) + ")"
	}
	if f.errMsg != "" {
		s += ": " + printable(f.errMsg)
	}
	return s
}

// parseFailure reads a queue message: an on-failure destination record, or
// the event itself as a dead-letter queue keeps it. It returns the event
// the detector was invoked with.
func parseFailure(body []byte) (failure, []byte, error) {
	var rec failureRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return failure{}, nil, fmt.Errorf("the body is not JSON: %w", err)
	}
	if len(rec.RequestPayload) == 0 || string(rec.RequestPayload) == "null" {
		if rec.RequestContext.Condition != "" {
			return failure{}, nil, errors.New("the invocation record holds no requestPayload")
		}
		return failure{}, body, nil
	}
	f := failure{record: &rec}
	var resp struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(rec.ResponsePayload, &resp) == nil {
		f.errMsg = strings.TrimPrefix(resp.ErrorType+": "+resp.ErrorMessage, ": ")
	}
	return f, rec.RequestPayload, nil
}

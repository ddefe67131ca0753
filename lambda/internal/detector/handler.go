package detector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/explain"
	"github.com/trailwatch/trailwatch/lambda/internal/emf"
	"github.com/trailwatch/trailwatch/lambda/internal/state"
	"github.com/trailwatch/trailwatch/lambda/internal/trigger"
)

// ObjectGetter is the one S3 call the detector makes; *s3.Client implements it.
type ObjectGetter interface {
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ ObjectGetter = (*s3.Client)(nil)

// AlertPublisher delivers one alert; *SNSPublisher implements it.
type AlertPublisher interface {
	Publish(ctx context.Context, a *alert.Alert) (Published, error)
}

// Margins kept before the invocation deadline: 5% of the time the invocation had, at least
// minMargin and at most maxMargin. Work stops once less than the margin is left, and calls in
// flight are cancelled half a margin before the deadline, so that the function always has time
// to log and return an error instead of being killed mid-publish.
const (
	minMargin = 500 * time.Millisecond
	maxMargin = 10 * time.Second
)

// ErrDeadline is returned (wrapped) when the invocation stops because its deadline is near.
var ErrDeadline = errors.New("stopped before the invocation deadline")

// Handler turns the S3 objects named by an event into alerts. Its fields are set once per
// container; Handle may be called for one invocation at a time.
type Handler struct {
	Objects        ObjectGetter
	Alerts         AlertPublisher
	Rules          *detect.RuleSet
	EventsPerAlert int
	Log            *slog.Logger
	Metrics        *emf.Logger
	// State keeps threshold counts and sent alerts across files; nil counts thresholds within
	// each file and publishes every alert.
	State *state.Store
	Now   func() time.Time // time.Now when nil
}

// Summary is the invocation's response document.
type Summary struct {
	Objects    int `json:"objects"`    // objects the event named
	Scanned    int `json:"scanned"`    // log files read to the end
	Skipped    int `json:"skipped"`    // digest, insight, empty and other objects
	Unreadable int `json:"unreadable"` // log files damaged part-way
	Missing    int `json:"missing"`    // objects gone before they were read
	Records    int `json:"records"`    // CloudTrail records evaluated
	Matches    int `json:"matches"`    // rule matches, shadow rules included
	Alerts     int `json:"alerts"`     // alerts published, operational ones included
	Shadowed   int `json:"shadowed"`   // matches of shadow rules, logged and never published
	Duplicates int `json:"duplicates"` // alerts not published again: an earlier delivery sent them
}

// sentAlert is an alert that SNS accepted during this invocation, for the failure report.
type sentAlert struct {
	Rule      string `json:"rule"`
	Key       string `json:"key"`
	MessageID string `json:"messageId,omitempty"`
}

// invocation is the state of one Handle call.
type invocation struct {
	deadline time.Time // zero when the context has none
	margin   time.Duration
	summary  Summary
	sent     []sentAlert
	inFlight *sentAlert // the alert being published; its fate is unknown if Publish fails
}

// Handle processes one invocation: every object the event names, in order. It fails when an
// object cannot be fetched for a reason other than its absence, when SNS keeps failing, or when
// the deadline is near; Lambda's retries and on-failure destination then keep the event, and
// the log says which alerts were already published.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Summary, error) {
	ev, err := trigger.Parse(payload)
	if err != nil {
		h.Log.ErrorContext(ctx, "invocation failed", "error", err.Error(), "payloadBytes", len(payload))
		return Summary{}, err
	}
	for _, ig := range ev.Ignored {
		h.Log.InfoContext(ctx, "event ignored", "source", ig.Source, "reason", ig.Reason)
	}
	return h.run(ctx, ev.Objects)
}

// ProcessObject processes one object named directly rather than by an event, as `trailwatch
// replay` does for the objects of failed invocations. It behaves as Handle does for an event
// naming that one object, alerts and failures alike.
func (h *Handler) ProcessObject(ctx context.Context, bucket, key string) (Summary, error) {
	return h.run(ctx, []trigger.Object{{Bucket: bucket, Key: key, RawKey: key, Size: -1, Source: "request"}})
}

// run processes objects in order and stops at the first failure.
func (h *Handler) run(ctx context.Context, objects []trigger.Object) (Summary, error) {
	inv := h.begin(ctx)
	inv.summary.Objects = len(objects)

	// Calls in flight are cancelled half a margin before the deadline.
	work := ctx
	if !inv.deadline.IsZero() {
		var cancel context.CancelFunc
		work, cancel = context.WithDeadline(ctx, inv.deadline.Add(-inv.margin/2))
		defer cancel()
	}
	for i, obj := range objects {
		err := inv.check(h.now(), fmt.Sprintf("before object %d of %d", i+1, len(objects)))
		if err == nil {
			err = h.processObject(work, inv, obj)
		}
		if err != nil && work.Err() != nil && ctx.Err() == nil && !errors.Is(err, ErrDeadline) {
			err = fmt.Errorf("%w: %w", ErrDeadline, err)
		}
		if err != nil {
			attrs := []any{
				"error", err.Error(),
				"objectsDone", i, "objects", len(objects),
				"bucket", obj.Bucket, "key", obj.Key,
				"alertsPublished", len(inv.sent), "published", inv.sent,
			}
			if inv.inFlight != nil {
				// SNS may have accepted it before the failure was seen: a retry may repeat it.
				attrs = append(attrs, "unconfirmed", inv.inFlight)
			}
			h.Log.ErrorContext(ctx, "invocation failed", attrs...)
			return inv.summary, err
		}
	}
	return inv.summary, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) begin(ctx context.Context) *invocation {
	inv := &invocation{sent: []sentAlert{}}
	if dl, ok := ctx.Deadline(); ok {
		inv.deadline = dl
		inv.margin = min(max(dl.Sub(h.now())/20, minMargin), maxMargin)
	}
	return inv
}

// check fails when less than the margin is left before the deadline.
func (inv *invocation) check(now time.Time, what string) error {
	if inv.deadline.IsZero() {
		return nil
	}
	if left := inv.deadline.Sub(now); left < inv.margin {
		return fmt.Errorf("%w: %s, %v left, margin %v", ErrDeadline, what, left.Round(time.Millisecond), inv.margin)
	}
	return nil
}

// objectReport is what the per-object log line and metrics say.
type objectReport struct {
	obj        trigger.Object
	outcome    string // scanned, skipped, unreadable, missing, failed
	reason     string
	records    int
	malformed  int            // records that were not JSON objects
	excluded   map[string]int // matches suppressed by rule exclusions
	bytes      int64
	matches    map[string]int
	alerts     int
	duplicates int // alerts found sent already
}

// processObject fetches, scans and reports one object.
func (h *Handler) processObject(ctx context.Context, inv *invocation, obj trigger.Object) (err error) {
	start := h.now()
	rep := &objectReport{obj: obj, matches: map[string]int{}}
	defer func() {
		if err != nil {
			rep.outcome = "failed"
		}
		h.report(ctx, inv, rep, h.now().Sub(start), err)
	}()

	key := cloudtrail.ClassifyKey(obj.Key)
	if key.Kind != cloudtrail.KindLog {
		rep.outcome, rep.reason = "skipped", key.Reason
		return nil
	}
	if obj.Size == 0 {
		rep.outcome, rep.reason = "skipped", "empty object (0 bytes)"
		return nil
	}

	out, err := h.getObject(ctx, obj)
	if isNoSuchKey(err) {
		rep.outcome = "missing"
		detail := fmt.Sprintf("GetObject s3://%s/%s: the object does not exist (NoSuchKey)", obj.Bucket, obj.Key)
		if obj.Source != "request" {
			detail += "; S3 announced it via " + obj.Source
		}
		a := alert.Operational(alert.MissingLogFile, "CloudTrail log file missing", "medium", alert.Object{Bucket: obj.Bucket, Key: obj.Key}, detail)
		return h.publishFileAlert(ctx, inv, rep, a)
	}
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", obj.Bucket, obj.Key, err)
	}
	defer out.Body.Close()
	if aws.ToInt64(out.ContentLength) == 0 && out.ContentLength != nil {
		rep.outcome, rep.reason = "skipped", "empty object (0 bytes)"
		return nil
	}

	body := &countingReader{r: out.Body}
	thresholds := newTallies(h.EventsPerAlert)
	res, scanErr := h.Rules.Scan(cloudtrail.NewReader(body), detect.ScanOptions{
		MaxEvents: h.EventsPerAlert,
		Now:       h.Now,
		OnMatch: func(rule *detect.Rule, record []byte) {
			if rule.Threshold != nil && rule.Mode != detect.ModeShadow {
				thresholds.add(rule, record)
			}
		},
	})
	rep.bytes = body.n
	var corrupt *cloudtrail.CorruptError
	if scanErr != nil && !errors.As(scanErr, &corrupt) {
		return fmt.Errorf("read s3://%s/%s: %w", obj.Bucket, obj.Key, scanErr)
	}
	if res != nil {
		rep.records, rep.malformed, rep.excluded = res.Records, res.Malformed, res.Excluded
	}
	rep.outcome = "scanned"
	if corrupt != nil {
		rep.outcome, rep.reason = "unreadable", corrupt.Error()
		if res == nil || res.Records < corrupt.Records {
			rep.records = corrupt.Records
		}
	}

	if res != nil {
		for _, rr := range res.Rules {
			rep.matches[rr.Rule.ID] += rr.Count
			if rr.Rule.Mode == detect.ModeShadow {
				inv.summary.Shadowed += rr.Count
				h.Log.InfoContext(ctx, "shadow rule matched", "rule", rr.Rule.ID, "severity", rr.Rule.Severity,
					"matches", rr.Count, "bucket", obj.Bucket, "key", obj.Key)
				continue
			}
			if rr.Rule.Threshold != nil {
				continue // counted per window below
			}
			a := alert.New(alertRule(rr.Rule), alert.Object{Bucket: obj.Bucket, Key: obj.Key}, rr.Count, rr.Events)
			a.MatchedBecause = explain.Why(rr.Rule.Pattern, rr.Events)
			if err := h.publishFileAlert(ctx, inv, rep, a); err != nil {
				return err
			}
		}
	}
	if err := h.thresholdAlerts(ctx, inv, rep, alert.Object{Bucket: obj.Bucket, Key: obj.Key}, thresholds); err != nil {
		return err
	}
	if corrupt != nil {
		detail := fmt.Sprintf("s3://%s/%s: %v. %d records before the damage were checked and their alerts sent; the rest of the file was not read.",
			obj.Bucket, obj.Key, corrupt, corrupt.Records)
		a := alert.Operational(alert.UnreadableLogFile, "CloudTrail log file unreadable", "high",
			alert.Object{Bucket: obj.Bucket, Key: obj.Key}, detail).WithRecordsRead(corrupt.Records)
		return h.publishFileAlert(ctx, inv, rep, a)
	}
	return nil
}

// getObject fetches obj. S3 spells keys form-encoded in events; should an event source ever
// deliver a key verbatim, the decoded key is absent and the key as written is tried as well.
func (h *Handler) getObject(ctx context.Context, obj trigger.Object) (*s3.GetObjectOutput, error) {
	out, err := h.Objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)})
	if isNoSuchKey(err) && obj.RawKey != obj.Key {
		if out2, err2 := h.Objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.RawKey)}); err2 == nil {
			h.Log.WarnContext(ctx, "object found under its undecoded key", "bucket", obj.Bucket, "key", obj.RawKey)
			return out2, nil
		}
	}
	return out, err
}

func isNoSuchKey(err error) bool {
	if err == nil {
		return false
	}
	var nsk *types.NoSuchKey
	var api smithy.APIError
	return errors.As(err, &nsk) || errors.As(err, &api) && api.ErrorCode() == "NoSuchKey"
}

// publishFileAlert publishes a, the alert of one rule for one log file, once per file.
func (h *Handler) publishFileAlert(ctx context.Context, inv *invocation, rep *objectReport, a *alert.Alert) error {
	sent, err := h.publishOnce(ctx, inv, rep, state.FileAlert(a.Rule.ID, a.Object.String()), 0,
		func(context.Context) (*alert.Alert, error) { return a, nil })
	if sent != nil {
		h.duplicate(ctx, inv, rep, sent)
	}
	return err
}

// publish sends a after checking the deadline, and records it.
func (h *Handler) publish(ctx context.Context, inv *invocation, rep *objectReport, a *alert.Alert) (Published, error) {
	if err := inv.check(h.now(), fmt.Sprintf("before publishing %s for %s", a.Rule.ID, a.Object)); err != nil {
		return Published{}, err
	}
	inv.inFlight = &sentAlert{Rule: a.Rule.ID, Key: a.Object.Key}
	pub, err := h.Alerts.Publish(ctx, a)
	if err != nil {
		return Published{}, err
	}
	inv.inFlight = nil
	rep.alerts++
	inv.summary.Alerts++
	inv.sent = append(inv.sent, sentAlert{Rule: a.Rule.ID, Key: a.Object.Key, MessageID: pub.MessageID})
	h.Log.InfoContext(ctx, "alert published",
		"rule", a.Rule.ID, "severity", a.Rule.Severity, "messageId", pub.MessageID,
		"events", pub.Events, "matches", a.MatchCount, "truncated", pub.Truncated,
		"account", a.Account, "region", a.Region, "bucket", a.Object.Bucket, "key", a.Object.Key)
	return pub, nil
}

// report writes the object's log line and metrics and adds it to the invocation summary.
func (h *Handler) report(ctx context.Context, inv *invocation, rep *objectReport, took time.Duration, err error) {
	s := &inv.summary
	matches := 0
	for _, n := range rep.matches {
		matches += n
	}
	s.Records += rep.records
	s.Matches += matches
	switch rep.outcome {
	case "scanned":
		s.Scanned++
	case "skipped":
		s.Skipped++
	case "unreadable":
		s.Unreadable++
	case "missing":
		s.Missing++
	}

	attrs := []any{
		"bucket", rep.obj.Bucket, "key", rep.obj.Key, "source", rep.obj.Source,
		"outcome", rep.outcome, "records", rep.records, "bytes", rep.bytes,
		"matches", rep.matches, "alerts", rep.alerts, "duration_ms", took.Milliseconds(),
	}
	if rep.reason != "" {
		attrs = append(attrs, "reason", rep.reason)
	}
	if rep.duplicates > 0 {
		attrs = append(attrs, "duplicates", rep.duplicates)
	}
	if rep.malformed > 0 {
		attrs = append(attrs, "malformed", rep.malformed)
	}
	if len(rep.excluded) > 0 {
		attrs = append(attrs, "excluded", rep.excluded)
	}
	if rep.obj.MessageID != "" {
		attrs = append(attrs, "messageId", rep.obj.MessageID)
	}
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
		attrs = append(attrs, "error", err.Error())
	case rep.outcome == "unreadable" || rep.outcome == "missing":
		level = slog.LevelWarn
	}
	h.Log.Log(ctx, level, "object processed", attrs...)

	if h.Metrics == nil {
		return
	}
	one := func(cond bool) float64 {
		if cond {
			return 1
		}
		return 0
	}
	metricErr := h.Metrics.Emit(nil,
		emf.Metric{Name: "FilesProcessed", Unit: emf.Count, Value: one(rep.outcome == "scanned")},
		emf.Metric{Name: "RecordsScanned", Unit: emf.Count, Value: float64(rep.records)},
		emf.Metric{Name: "BytesRead", Unit: emf.Bytes, Value: float64(rep.bytes)},
		emf.Metric{Name: "Matches", Unit: emf.Count, Value: float64(matches)},
		emf.Metric{Name: "AlertsPublished", Unit: emf.Count, Value: float64(rep.alerts)},
		emf.Metric{Name: "DuplicateAlerts", Unit: emf.Count, Value: float64(rep.duplicates)},
		emf.Metric{Name: "UnreadableFiles", Unit: emf.Count, Value: one(rep.outcome == "unreadable")},
		emf.Metric{Name: "MissingFiles", Unit: emf.Count, Value: one(rep.outcome == "missing")},
		emf.Metric{Name: "SkippedObjects", Unit: emf.Count, Value: one(rep.outcome == "skipped")},
		emf.Metric{Name: "ProcessingTime", Unit: emf.Milliseconds, Value: float64(took.Milliseconds())},
	)
	for _, r := range h.Rules.Rules() {
		if n := rep.matches[r.ID]; n > 0 && metricErr == nil {
			metricErr = h.Metrics.Emit([]emf.Dimension{{Name: "Rule", Value: r.ID}},
				emf.Metric{Name: "Matches", Unit: emf.Count, Value: float64(n)})
		}
	}
	if metricErr != nil {
		h.Log.WarnContext(ctx, "metrics not written", "error", metricErr.Error())
	}
}

// alertRule is the alert's view of a rule.
func alertRule(r *detect.Rule) alert.Rule {
	return alert.Rule{ID: r.ID, Title: r.Title, Severity: r.Severity, Controls: r.Controls, Description: r.Description, File: r.File}
}

// countingReader counts the compressed bytes read from the object body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

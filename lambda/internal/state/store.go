package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the part of the DynamoDB API the store uses; *dynamodb.Client implements it. In IAM
// terms it needs dynamodb:GetItem, PutItem, UpdateItem and Query on the table: a
// TransactWriteItems is authorized by the PutItem and UpdateItem of the items it writes.
type API interface {
	TransactWriteItems(ctx context.Context, params *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Defaults of the Store's settings.
const (
	DefaultRetention = 15 * 24 * time.Hour
	DefaultClaimWait = 10 * time.Second
	// maxEventBytes bounds the events one contribution item stores, well under DynamoDB's
	// 400 KB item limit, and with them the write capacity a contribution costs.
	maxEventBytes = 64 << 10
	// conflictRetries is how often a transaction cancelled by a concurrent write to the same
	// window (TransactionConflict) is tried again.
	conflictRetries = 6
)

// Store keeps windows and alert claims in one table. Its fields are set once; it is safe for
// concurrent use.
type Store struct {
	API   API
	Table string
	// Retention is how long items outlive their window, or, for per-file claims, their first
	// write, before the table's TTL removes them (DefaultRetention when zero).
	Retention time.Duration
	// ClaimWait bounds how long Claim waits for another invocation's live claim to be confirmed
	// or released (DefaultClaimWait when zero).
	ClaimWait time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Event is one matching record stored with a contribution.
type Event struct {
	Time time.Time
	Raw  []byte
}

// Contribution is what one log file adds to one window.
type Contribution struct {
	Window Window
	// Object names the log file, as s3://bucket/key.
	Object string
	// Count is the file's matches in the window.
	Count int
	// Events are the file's first matching records in the window, those an alert may list.
	// They are stored up to 64 KiB; the count includes them all.
	Events []Event
}

// WindowState is a window as Add left it.
type WindowState struct {
	// Count is every match counted in the window so far, by every file.
	Count int
	// Sent says the window's alert has been sent.
	Sent bool
	// Repeated says the file's contribution had been counted before: this is a second
	// delivery or a retry, and Count does not include it twice.
	Repeated bool
}

// Add counts c into its window, once per (object, window), and returns the window's state.
func (s *Store) Add(ctx context.Context, c Contribution) (WindowState, error) {
	if c.Count < 1 {
		return WindowState{}, fmt.Errorf("state: contribution of %d matches", c.Count)
	}
	w := c.Window
	pk := w.pk()
	if len(c.Events) > 0 {
		// Events only serve the alert: once it is sent they are not worth their write capacity.
		// sentAt is never removed, so even a stale read that shows it is right.
		sent, err := s.sent(ctx, pk)
		if err != nil {
			return WindowState{}, fmt.Errorf("state: read %s: %w", WindowAlert(w), err)
		}
		if sent {
			c.Events = nil
		}
	}
	expires := strconv.FormatInt(w.End.Add(s.retention()).Unix(), 10)
	contribution := map[string]types.AttributeValue{
		"pk":        str(pk),
		"sk":        str(filePrefx + digest(c.Object)),
		"object":    str(c.Object),
		"count":     num(strconv.Itoa(c.Count)),
		"addedAt":   str(s.now().UTC().Format(time.RFC3339Nano)),
		"expiresAt": num(expires),
	}
	if events := eventList(c.Events); events != nil {
		contribution["events"] = events
	}
	set := "SET #rule = :rule, #start = :start, #end = :end, #expiresAt = if_not_exists(#expiresAt, :expires)"
	names := map[string]string{
		"#count": "count", "#rule": "rule", "#start": "windowStart", "#end": "windowEnd", "#expiresAt": "expiresAt",
	}
	values := map[string]types.AttributeValue{
		":n":       num(strconv.Itoa(c.Count)),
		":rule":    str(w.Rule),
		":start":   str(w.Start.UTC().Format(time.RFC3339)),
		":end":     str(w.End.UTC().Format(time.RFC3339)),
		":expires": num(expires),
	}
	if len(w.GroupBy) > 0 { // rules without groupBy count all matches together: nothing to describe
		set += ", #groupBy = :groupBy, #group = :group"
		names["#groupBy"], names["#group"] = "groupBy", "group"
		values[":groupBy"], values[":group"] = strList(w.GroupBy), strList(w.Group)
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:           aws.String(s.Table),
			Item:                contribution,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}},
		{Update: &types.Update{
			TableName:                 aws.String(s.Table),
			Key:                       key(pk, windowSK),
			UpdateExpression:          aws.String("ADD #count :n " + set),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}},
	}}
	repeated, err := s.transact(ctx, in)
	if err != nil {
		return WindowState{}, fmt.Errorf("state: count %s for %s: %w", WindowAlert(w), c.Object, err)
	}
	out, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            key(pk, windowSK),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return WindowState{}, fmt.Errorf("state: read %s: %w", WindowAlert(w), err)
	}
	return WindowState{Count: intAttr(out.Item, "count"), Sent: out.Item["sentAt"] != nil, Repeated: repeated}, nil
}

// sent reports, from an eventually consistent read, whether the window's alert has been sent.
func (s *Store) sent(ctx context.Context, pk string) (bool, error) {
	out, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(pk, windowSK),
		ProjectionExpression:     aws.String("#sentAt"),
		ExpressionAttributeNames: map[string]string{"#sentAt": "sentAt"},
	})
	if err != nil {
		return false, err
	}
	return out.Item["sentAt"] != nil, nil
}

// transact runs in, again while concurrent writes to the same items cancel it. It reports
// whether the first item's condition failed: the contribution was there already.
func (s *Store) transact(ctx context.Context, in *dynamodb.TransactWriteItemsInput) (repeated bool, err error) {
	delay := 25 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := s.API.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return false, err
		}
		conflict := false
		for i, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				if i == 0 {
					return true, nil
				}
			case "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || attempt == conflictRetries {
			return false, err
		}
		if err := sleep(ctx, delay); err != nil {
			return false, err
		}
		delay *= 2
	}
}

// Events returns the earliest stored events of w's contributions by eventTime, at most limit.
func (s *Store) Events(ctx context.Context, w Window, limit int) ([]Event, error) {
	var events []Event
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :file)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(w.pk()), ":file": str(filePrefx)},
		ProjectionExpression:      aws.String("events"),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := s.API.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("state: events of %s: %w", WindowAlert(w), err)
		}
		for _, item := range out.Items {
			events = append(events, decodeEvents(item["events"])...)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	sortEvents(events)
	if len(events) > limit {
		events = events[:limit]
	}
	return events, nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

func (s *Store) claimWait() time.Duration {
	if s.ClaimWait > 0 {
		return s.ClaimWait
	}
	return DefaultClaimWait
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func strList(ss []string) types.AttributeValue {
	list := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		list[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: list}
}
func num(n string) types.AttributeValue { return &types.AttributeValueMemberN{Value: n} }

func intAttr(item map[string]types.AttributeValue, name string) int {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.Atoi(v.Value)
		return n
	}
	return 0
}

func strAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

package state

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Outcomes of Claim other than a claim.
var (
	// ErrSent: the alert was sent before (the error is a *SentError).
	ErrSent = errors.New("alert already sent")
	// ErrBelowThreshold: the window has not reached the count asked for.
	ErrBelowThreshold = errors.New("window below its threshold")
	// ErrClaimHeld: another invocation holds a live claim and neither confirmed nor released it
	// within ClaimWait.
	ErrClaimHeld = errors.New("alert claimed by another invocation and not yet sent")
	// ErrClaimLost: Confirm found the claim no longer this one's; it had lapsed and another
	// invocation took it over, which may send the alert again.
	ErrClaimLost = errors.New("alert claim lapsed and was taken over")
)

// SentError reports an alert that was sent before.
type SentError struct {
	Key       AlertKey
	SentAt    string // RFC 3339
	MessageID string
}

func (e *SentError) Error() string {
	return fmt.Sprintf("state: %s: alert already sent at %s (message %s)", e.Key, e.SentAt, e.MessageID)
}

// Is makes errors.Is(err, ErrSent) hold.
func (e *SentError) Is(target error) bool { return target == ErrSent }

// Claim is the exclusive right to publish one alert until Until.
type Claim struct {
	Key   AlertKey
	Until time.Time

	store *Store
	token string
}

// Claim takes the right to publish the alert k names. atLeast > 0 requires the window's count to
// have reached it. until is when the claim lapses if it is neither confirmed nor released: the
// caller's own deadline plus a margin, a moment by which the caller has certainly stopped.
//
// It returns a *SentError (errors.Is ErrSent) when the alert was sent before, ErrBelowThreshold,
// or, after waiting up to ClaimWait for another live claim to be confirmed or released,
// ErrClaimHeld; DynamoDB errors are returned wrapped.
func (s *Store) Claim(ctx context.Context, k AlertKey, atLeast int, until time.Time) (*Claim, error) {
	stop := time.Now().Add(s.claimWait()) // real time: the wait is, whatever the store's clock says
	if dl, ok := ctx.Deadline(); ok && dl.Add(-time.Second).Before(stop) {
		stop = dl.Add(-time.Second)
	}
	delay := 50 * time.Millisecond
	for {
		c, heldUntil, err := s.tryClaim(ctx, k, atLeast, until)
		if err != nil || c != nil {
			return c, err
		}
		if heldUntil.IsZero() {
			heldUntil = s.now() // released or lapsed between the attempt and the read: try again
		}
		wait := min(delay, time.Until(stop))
		if wait <= 0 {
			return nil, fmt.Errorf("state: %s: %w (claim lapses at %s)", k, ErrClaimHeld, heldUntil.UTC().Format(time.RFC3339))
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("state: %s: waiting for another claim: %w", k, err)
		}
		delay = min(delay*2, time.Second)
	}
}

// tryClaim makes one attempt. Without a claim or an error, heldUntil is when the live claim of
// another lapses, or zero when the item no longer shows one.
func (s *Store) tryClaim(ctx context.Context, k AlertKey, atLeast int, until time.Time) (c *Claim, heldUntil time.Time, err error) {
	now := s.now()
	token := rand.Text()
	cond := "attribute_not_exists(#sentAt) AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)"
	names := map[string]string{
		"#sentAt": "sentAt", "#claimUntil": "claimUntil", "#claimToken": "claimToken",
		"#claimedAt": "claimedAt", "#expiresAt": "expiresAt", "#alert": "alert",
	}
	values := map[string]types.AttributeValue{
		":now":     num(strconv.FormatInt(now.UnixMilli(), 10)),
		":until":   num(strconv.FormatInt(until.UnixMilli(), 10)),
		":token":   str(token),
		":at":      str(now.UTC().Format(time.RFC3339Nano)),
		":expires": num(strconv.FormatInt(k.expires(s.retention(), now).Unix(), 10)),
		":alert":   str(k.what),
	}
	if atLeast > 0 {
		cond += " AND #count >= :n"
		names["#count"] = "count"
		values[":n"] = num(strconv.Itoa(atLeast))
	}
	_, err = s.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       key(k.pk, k.sk),
		UpdateExpression: aws.String("SET #claimToken = :token, #claimUntil = :until, #claimedAt = :at, #alert = :alert, " +
			"#expiresAt = if_not_exists(#expiresAt, :expires)"),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return &Claim{Key: k, Until: until, store: s, token: token}, time.Time{}, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, time.Time{}, fmt.Errorf("state: claim %s: %w", k, err)
	}
	item := ccf.Item
	if item == nil {
		out, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(k.pk, k.sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("state: read claim %s: %w", k, err)
		}
		item = out.Item
	}
	switch {
	case item["sentAt"] != nil:
		return nil, time.Time{}, &SentError{Key: k, SentAt: strAttr(item, "sentAt"), MessageID: strAttr(item, "messageId")}
	case atLeast > 0 && intAttr(item, "count") < atLeast:
		return nil, time.Time{}, fmt.Errorf("state: %s: %w (%d of %d)", k, ErrBelowThreshold, intAttr(item, "count"), atLeast)
	}
	if ms := int64(intAttr(item, "claimUntil")); ms >= now.UnixMilli() {
		return nil, time.UnixMilli(ms), nil
	}
	return nil, time.Time{}, nil
}

// Confirm records that the alert was published as messageID. It fails with ErrClaimLost when
// the claim lapsed and another invocation took it over.
func (c *Claim) Confirm(ctx context.Context, messageID string) error {
	_, err := c.store.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.store.Table),
		Key:                      key(c.Key.pk, c.Key.sk),
		UpdateExpression:         aws.String("SET #sentAt = :at, #messageId = :id, #claimUntil = :lapsed"),
		ConditionExpression:      aws.String("#claimToken = :token"),
		ExpressionAttributeNames: map[string]string{"#sentAt": "sentAt", "#messageId": "messageId", "#claimUntil": "claimUntil", "#claimToken": "claimToken"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at":     str(c.store.now().UTC().Format(time.RFC3339Nano)),
			":id":     str(messageID),
			":lapsed": num("0"),
			":token":  str(c.token),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("state: confirm %s: %w", c.Key, ErrClaimLost)
	}
	if err != nil {
		return fmt.Errorf("state: confirm %s: %w", c.Key, err)
	}
	return nil
}

// Release gives the claim up after a failed publish, so that the next attempt sends the alert
// without waiting for the claim to lapse: it sets claimUntil to 0, a claim that lapsed in 1970.
// A claim that is no longer this one's is left alone.
func (c *Claim) Release(ctx context.Context) error {
	_, err := c.store.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(c.store.Table),
		Key:                       key(c.Key.pk, c.Key.sk),
		UpdateExpression:          aws.String("SET #claimUntil = :lapsed"),
		ConditionExpression:       aws.String("#claimToken = :token"),
		ExpressionAttributeNames:  map[string]string{"#claimToken": "claimToken", "#claimUntil": "claimUntil"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":token": str(c.token), ":lapsed": num("0")},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("state: release %s: %w", c.Key, err)
	}
	return nil
}

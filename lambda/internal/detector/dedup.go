package detector

import (
	"context"
	"errors"
	"time"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/internal/state"
)

const (
	// claimSlack is added to the invocation's deadline to make the moment an alert claim lapses:
	// by then Lambda has stopped the invocation, whatever happened to it.
	claimSlack = 5 * time.Second
	// maxInvocation bounds a claim taken without a deadline (Lambda's own maximum timeout).
	maxInvocation = 15 * time.Minute
	// cleanupTime is what releasing or confirming a claim may take once the work context is done.
	cleanupTime = 2 * time.Second
)

// publishOnce publishes the alert build makes unless it was sent before, which it reports with
// the *state.SentError. With a state table it claims key first (atLeast > 0: only once the
// window holds that many matches), publishes, and records the message id; a failed publish
// releases the claim, so that Lambda's retry sends the alert. Without one it publishes.
func (h *Handler) publishOnce(ctx context.Context, inv *invocation, rep *objectReport, key state.AlertKey, atLeast int,
	build func(context.Context) (*alert.Alert, error)) (*state.SentError, error) {
	if h.State == nil {
		a, err := build(ctx)
		if err == nil {
			_, err = h.publish(ctx, inv, rep, a)
		}
		return nil, err
	}
	if err := inv.check(h.now(), "before claiming "+key.String()); err != nil {
		return nil, err
	}
	claim, err := h.State.Claim(ctx, key, atLeast, inv.claimUntil(h.now()))
	var sent *state.SentError
	switch {
	case errors.As(err, &sent):
		return sent, nil
	case errors.Is(err, state.ErrBelowThreshold):
		return nil, nil
	case err != nil:
		return nil, err
	}

	a, err := build(ctx)
	var pub Published
	if err == nil {
		pub, err = h.publish(ctx, inv, rep, a)
	}
	if err != nil {
		cctx, cancel := inv.cleanupContext(ctx)
		defer cancel()
		if relErr := claim.Release(cctx); relErr != nil {
			h.Log.WarnContext(ctx, "alert claim not released; a retry sends the alert once it lapses",
				"alert", key.String(), "lapses", claim.Until, "error", relErr.Error())
		}
		return nil, err
	}
	cctx, cancel := inv.cleanupContext(ctx)
	defer cancel()
	if err := claim.Confirm(cctx, pub.MessageID); err != nil {
		// SNS has the alert; only the record of it is missing, and failing the invocation would
		// not bring it back. A later delivery of the file may send it again.
		h.Log.ErrorContext(ctx, "alert published but not recorded as sent", "alert", key.String(),
			"messageId", pub.MessageID, "error", err.Error())
	}
	return nil, nil
}

// duplicate records an alert not published because an earlier delivery of the file sent it.
func (h *Handler) duplicate(ctx context.Context, inv *invocation, rep *objectReport, sent *state.SentError) {
	rep.duplicates++
	inv.summary.Duplicates++
	h.Log.InfoContext(ctx, "alert already sent", "alert", sent.Key.String(), "messageId", sent.MessageID, "sentAt", sent.SentAt,
		"bucket", rep.obj.Bucket, "key", rep.obj.Key)
}

// claimUntil is when a claim taken now lapses: after the invocation's deadline.
func (inv *invocation) claimUntil(now time.Time) time.Time {
	if inv.deadline.IsZero() {
		return now.Add(maxInvocation)
	}
	return inv.deadline.Add(claimSlack)
}

// cleanupContext outlives ctx's cancellation by up to cleanupTime, and never the invocation's
// deadline, so that a claim can still be released or confirmed after the work was cut short.
func (inv *invocation) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl := time.Now().Add(cleanupTime)
	if !inv.deadline.IsZero() && inv.deadline.Before(dl) {
		dl = inv.deadline
	}
	return context.WithDeadline(context.WithoutCancel(ctx), dl)
}

package detector

import (
	"context"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/explain"
	"github.com/trailwatch/trailwatch/lambda/internal/state"
)

// tally is one file's matches of one threshold rule in one (window, group).
type tally struct {
	rule   *detect.Rule
	slot   detect.Slot
	count  int
	events []state.Event // the first ones, as many as an alert of the rule lists
}

// tallies collects a file's threshold matches during the scan, in the order windows are first
// seen, so that alerts go out in a stable order.
type tallies struct {
	perAlert int
	byKey    map[tallyKey]*tally
	order    []*tally
	// unplaced counts, per rule id, matches without a readable eventTime: no window to count in.
	unplaced map[string]int
}

type tallyKey struct {
	rule  *detect.Rule
	start int64
	group string
}

func newTallies(perAlert int) *tallies {
	return &tallies{perAlert: perAlert, byKey: map[tallyKey]*tally{}, unplaced: map[string]int{}}
}

// add counts one match of a threshold rule; record is only valid during the call.
func (ts *tallies) add(rule *detect.Rule, record []byte) {
	slot, err := rule.Threshold.Slot(record)
	if err != nil {
		ts.unplaced[rule.ID]++
		return
	}
	k := tallyKey{rule: rule, start: slot.Start.Unix(), group: strings.Join(slot.Group, "\x00")}
	t := ts.byKey[k]
	if t == nil {
		t = &tally{rule: rule, slot: slot}
		ts.byKey[k] = t
		ts.order = append(ts.order, t)
	}
	t.count++
	if len(t.events) < eventsListed(rule, ts.perAlert) {
		t.events = append(t.events, state.Event{Time: slot.EventTime, Raw: append([]byte(nil), record...)})
	}
}

// eventsListed is how many events a threshold alert lists: those that reached the threshold,
// at most perAlert.
func eventsListed(rule *detect.Rule, perAlert int) int {
	return min(rule.Threshold.Count, perAlert)
}

// window is the state package's name for the tally's window.
func (t *tally) window() state.Window {
	return state.Window{
		Rule: t.rule.ID, Start: t.slot.Start, End: t.slot.End,
		GroupBy: t.rule.Threshold.GroupBy, Group: t.slot.Group,
	}
}

// crossed is what the alert of the tally's window says about the threshold it reached, with
// observed matches in the window when it is sent.
func (t *tally) crossed(observed int) alert.Threshold {
	th := t.rule.Threshold
	return alert.Threshold{
		Count: th.Count, Window: th.Window, WindowStart: t.slot.Start, WindowEnd: t.slot.End,
		GroupBy: th.GroupBy, Group: t.slot.Group, Observed: observed,
	}
}

// thresholdAlerts counts the file's threshold matches and publishes the alert of every window
// they complete. Without a state table a window is the file's own share of it; with one, every
// file's share is counted and the alert lists the window's earliest events, whichever file
// they came from.
func (h *Handler) thresholdAlerts(ctx context.Context, inv *invocation, rep *objectReport, obj alert.Object, ts *tallies) error {
	for id, n := range ts.unplaced {
		h.Log.WarnContext(ctx, "matches without a readable eventTime not counted towards the threshold",
			"rule", id, "matches", n, "bucket", obj.Bucket, "key", obj.Key)
	}
	for _, t := range ts.order {
		need := t.rule.Threshold.Count
		if h.State == nil {
			if t.count < need {
				continue
			}
			a := alert.New(alertRule(t.rule), obj, t.count, raws(t.events)).WithThreshold(t.crossed(t.count))
			a.MatchedBecause = explain.Why(t.rule.Pattern, raws(t.events))
			if _, err := h.publish(ctx, inv, rep, a); err != nil {
				return err
			}
			continue
		}

		w := t.window()
		st, err := h.State.Add(ctx, state.Contribution{Window: w, Object: obj.String(), Count: t.count, Events: t.events})
		if err != nil {
			return err
		}
		attrs := []any{"rule", t.rule.ID, "windowStart", w.Start, "windowEnd", w.End, "group", w.Group,
			"matches", t.count, "windowCount", st.Count, "threshold", need, "bucket", obj.Bucket, "key", obj.Key}
		if st.Repeated {
			attrs = append(attrs, "repeated", true)
		}
		h.Log.DebugContext(ctx, "threshold window counted", attrs...)
		if st.Count < need {
			continue
		}
		if st.Sent {
			if st.Repeated {
				rep.duplicates++
				inv.summary.Duplicates++
				h.Log.InfoContext(ctx, "alert already sent", "alert", state.WindowAlert(w).String(), "bucket", obj.Bucket, "key", obj.Key)
			}
			continue
		}
		sent, err := h.publishOnce(ctx, inv, rep, state.WindowAlert(w), need, func(ctx context.Context) (*alert.Alert, error) {
			events, err := h.State.Events(ctx, w, eventsListed(t.rule, h.EventsPerAlert))
			if err != nil {
				return nil, err
			}
			a := alert.New(alertRule(t.rule), obj, st.Count, raws(events)).WithThreshold(t.crossed(st.Count))
			a.MatchedBecause = explain.Why(t.rule.Pattern, raws(events))
			return a, nil
		})
		if err != nil {
			return err
		}
		switch {
		case sent != nil && st.Repeated:
			h.duplicate(ctx, inv, rep, sent)
		case sent != nil:
			// Another file's invocation completed the window at the same time and sent it: this
			// file's matches are counted, like any later match of an alerted window.
			h.Log.DebugContext(ctx, "threshold window alerted by another invocation", "alert", sent.Key.String(),
				"messageId", sent.MessageID, "bucket", obj.Bucket, "key", obj.Key)
		}
	}
	return nil
}

func raws(events []state.Event) [][]byte {
	out := make([][]byte, len(events))
	for i, e := range events {
		out[i] = e.Raw
	}
	return out
}

package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
)

const table = "trailwatch-state"

var (
	t0     = time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	window = Window{
		Rule: "cis-3.6", Start: t0, End: t0.Add(5 * time.Minute),
		GroupBy: []string{"sourceIPAddress"}, Group: []string{"192.0.2.1"},
	}
)

// newStore returns a store on a fresh table of an in-process DynamoDB server, with a clock the
// test can move.
func newStore(t *testing.T) (*Store, *localaws.DynamoDB, *fakeClock) {
	t.Helper()
	ddb := localaws.StartDynamoDB(t)
	ddb.CreateTable(t, table)
	clock := &fakeClock{now: t0.Add(7 * time.Minute)}
	return &Store{API: ddb.Client, Table: table, Now: clock.Now, ClaimWait: 300 * time.Millisecond}, ddb, clock
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func object(n int) string {
	return fmt.Sprintf("s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/f%d.json.gz", n)
}

func events(prefix string, at ...time.Time) []Event {
	out := make([]Event, len(at))
	for i, a := range at {
		out[i] = Event{Time: a, Raw: fmt.Appendf(nil, `{"eventID":"%s-%d","eventTime":"%s"}`, prefix, i, a.Format(time.RFC3339))}
	}
	return out
}

func TestAdd_countsEachObjectOnce(t *testing.T) {
	s, ddb, _ := newStore(t)
	ctx := context.Background()
	steps := []struct {
		object   int
		count    int
		want     int
		repeated bool
	}{
		{1, 2, 2, false},
		{1, 2, 2, true}, // the same file again: S3 redelivery or a Lambda retry
		{2, 1, 3, false},
		{2, 1, 3, true},
		{3, 4, 7, false},
	}
	for i, st := range steps {
		got, err := s.Add(ctx, Contribution{Window: window, Object: object(st.object), Count: st.count, Events: events("e", t0)})
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if want := (WindowState{Count: st.want, Repeated: st.repeated}); got != want {
			t.Errorf("step %d: state %+v, want %+v", i, got, want)
		}
	}
	items := ddb.Items(t, table, "window#")
	if len(items) != 4 { // the window and three contributions
		t.Fatalf("%d items, want 4", len(items))
	}
	for _, it := range items {
		exp := intAttr(it, "expiresAt")
		if want := window.End.Add(DefaultRetention).Unix(); int64(exp) != want {
			t.Errorf("item %s expiresAt %d, want window end + retention %d", strAttr(it, "sk"), exp, want)
		}
		if strAttr(it, "sk") == windowSK {
			if strAttr(it, "rule") != "cis-3.6" || strAttr(it, "windowStart") != "2026-11-24T10:15:00Z" || strAttr(it, "windowEnd") != "2026-11-24T10:20:00Z" {
				t.Errorf("window item %v lacks its description", it)
			}
		}
	}
}

func TestAdd_windowsAndGroupsAreSeparate(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	other := []Window{window, window, window, window}
	other[1].Group = []string{"192.0.2.2"}
	other[2].Start, other[2].End = window.End, window.End.Add(5*time.Minute)
	other[3].End = window.Start.Add(10 * time.Minute) // the rule's window was changed to 10m
	for i, w := range other {
		got, err := s.Add(ctx, Contribution{Window: w, Object: object(1), Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got.Count != 1 || got.Repeated {
			t.Errorf("window %d: %+v, want a fresh count of 1", i, got)
		}
	}
}

func TestAdd_rejectsEmptyContribution(t *testing.T) {
	s, _, _ := newStore(t)
	if _, err := s.Add(context.Background(), Contribution{Window: window, Object: object(1)}); err == nil {
		t.Error("Add accepted a contribution of no matches")
	}
}

func TestEvents_earliestFirstAcrossFiles(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	if _, err := s.Add(ctx, Contribution{Window: window, Object: object(1), Count: 2, Events: events("late", at(200), at(250))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, Contribution{Window: window, Object: object(2), Count: 2, Events: events("early", at(10), at(220))}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, window, 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, strings.Split(string(e.Raw), `"`)[3])
	}
	if want := "early-0 late-0 early-1"; strings.Join(ids, " ") != want {
		t.Errorf("events %v, want %s", ids, want)
	}
}

func TestEvents_storedUpToTheByteBudget(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	big := make([]Event, 40)
	for i := range big {
		big[i] = Event{Time: t0, Raw: fmt.Appendf(nil, `{"eventID":"%02d","pad":"%s"}`, i, strings.Repeat("x", 4000))}
	}
	if _, err := s.Add(ctx, Contribution{Window: window, Object: object(1), Count: 40, Events: big}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(ctx, window, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got) >= len(big) || len(got)*4000 > maxEventBytes {
		t.Errorf("%d events stored, want as many as fit in %d bytes", len(got), maxEventBytes)
	}

	huge := Event{Time: t0, Raw: fmt.Appendf(nil, `{"pad":"%s"}`, strings.Repeat("x", maxEventBytes))}
	st, err := s.Add(ctx, Contribution{Window: window, Object: object(2), Count: 1, Events: []Event{huge}})
	if err != nil || st.Count != 41 {
		t.Fatalf("a file whose one event is too large to keep: %+v %v, want it counted", st, err)
	}
	if again, err := s.Events(ctx, window, 100); err != nil || len(again) != len(got) {
		t.Errorf("%d events after the oversized one (%v), want still %d", len(again), err, len(got))
	}
}

func TestClaim_window(t *testing.T) {
	s, _, clock := newStore(t)
	ctx := context.Background()
	until := clock.Now().Add(time.Minute)
	add := func(obj, n int) {
		t.Helper()
		if _, err := s.Add(ctx, Contribution{Window: window, Object: object(obj), Count: n}); err != nil {
			t.Fatal(err)
		}
	}
	key := WindowAlert(window)

	if _, err := s.Claim(ctx, key, 3, until); !errors.Is(err, ErrBelowThreshold) {
		t.Fatalf("claim of an absent window: %v, want ErrBelowThreshold", err)
	}
	add(1, 2)
	if _, err := s.Claim(ctx, key, 3, until); !errors.Is(err, ErrBelowThreshold) {
		t.Fatalf("claim at 2 of 3: %v, want ErrBelowThreshold", err)
	}
	add(2, 1)
	c, err := s.Claim(ctx, key, 3, until)
	if err != nil {
		t.Fatalf("claim at 3 of 3: %v", err)
	}
	start := time.Now()
	if _, err := s.Claim(ctx, key, 3, until); !errors.Is(err, ErrClaimHeld) {
		t.Fatalf("second claim while the first is live: %v, want ErrClaimHeld", err)
	}
	if waited := time.Since(start); waited < s.ClaimWait {
		t.Errorf("gave up after %v, want a wait of ClaimWait %v", waited, s.ClaimWait)
	}
	if err := c.Confirm(ctx, "msg-1"); err != nil {
		t.Fatal(err)
	}
	add(3, 5) // later matches are counted
	st, err := s.Add(ctx, Contribution{Window: window, Object: object(3), Count: 5})
	if err != nil || st.Count != 8 || !st.Sent || !st.Repeated {
		t.Fatalf("state after the alert: %+v %v, want 8 counted, sent", st, err)
	}
	_, err = s.Claim(ctx, key, 3, until)
	var sent *SentError
	if !errors.As(err, &sent) || !errors.Is(err, ErrSent) || sent.MessageID != "msg-1" || sent.SentAt == "" {
		t.Fatalf("claim after the alert: %v, want a SentError naming msg-1", err)
	}
}

func TestAdd_noEventsStoredOnceSent(t *testing.T) {
	s, _, clock := newStore(t)
	ctx := context.Background()
	if _, err := s.Add(ctx, Contribution{Window: window, Object: object(1), Count: 1, Events: events("first", t0)}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Claim(ctx, WindowAlert(window), 1, clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Confirm(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Add(ctx, Contribution{Window: window, Object: object(2), Count: 2, Events: events("later", t0, t0)})
	if err != nil || st.Count != 3 {
		t.Fatalf("later contribution: %+v %v, want it counted", st, err)
	}
	if got, err := s.Events(ctx, window, 10); err != nil || len(got) != 1 {
		t.Errorf("%d events stored (%v), want only the one from before the alert", len(got), err)
	}
}

func TestClaim_waitsForTheHolder(t *testing.T) {
	s, _, clock := newStore(t)
	ctx := context.Background()
	s.ClaimWait = 5 * time.Second
	key := FileAlert("cis-3.3", object(1))
	holder, err := s.Claim(ctx, key, 0, clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("confirmed", func(t *testing.T) {
		go func() {
			time.Sleep(150 * time.Millisecond)
			_ = holder.Confirm(ctx, "msg-h")
		}()
		if _, err := s.Claim(ctx, key, 0, clock.Now().Add(time.Minute)); !errors.Is(err, ErrSent) {
			t.Errorf("claim while the holder confirms: %v, want ErrSent", err)
		}
	})

	key2 := FileAlert("cis-3.3", object(2))
	holder2, err := s.Claim(ctx, key2, 0, clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("released", func(t *testing.T) {
		go func() {
			time.Sleep(150 * time.Millisecond)
			_ = holder2.Release(ctx)
		}()
		c, err := s.Claim(ctx, key2, 0, clock.Now().Add(time.Minute))
		if err != nil {
			t.Fatalf("claim while the holder releases: %v, want the claim", err)
		}
		if err := holder2.Confirm(ctx, "late"); !errors.Is(err, ErrClaimLost) {
			t.Errorf("the old holder's Confirm: %v, want ErrClaimLost", err)
		}
		if err := c.Confirm(ctx, "msg-2"); err != nil {
			t.Error(err)
		}
	})
}

func TestClaim_lapses(t *testing.T) {
	s, _, clock := newStore(t)
	ctx := context.Background()
	key := FileAlert("cis-3.3", object(1))
	dead, err := s.Claim(ctx, key, 0, clock.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(31 * time.Second) // the holder's deadline has passed: Lambda stopped it
	c, err := s.Claim(ctx, key, 0, clock.Now().Add(30*time.Second))
	if err != nil {
		t.Fatalf("claim after the first lapsed: %v", err)
	}
	if err := dead.Release(ctx); err != nil {
		t.Errorf("release of a claim taken over: %v, want it ignored", err)
	}
	if err := c.Confirm(ctx, "msg-2"); err != nil {
		t.Errorf("the taken-over claim was disturbed: %v", err)
	}
}

func TestClaim_fileAlertExpires(t *testing.T) {
	s, ddb, clock := newStore(t)
	c, err := s.Claim(context.Background(), FileAlert("cis-3.3", object(1)), 0, clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Confirm(context.Background(), "m"); err != nil {
		t.Fatal(err)
	}
	items := ddb.Items(t, table, "alert#cis-3.3#")
	if len(items) != 1 {
		t.Fatalf("%d alert items, want 1", len(items))
	}
	it := items[0]
	if got, want := int64(intAttr(it, "expiresAt")), clock.Now().Add(DefaultRetention).Unix(); got != want {
		t.Errorf("expiresAt %d, want %d", got, want)
	}
	if strAttr(it, "messageId") != "m" || intAttr(it, "claimUntil") != 0 || !strings.Contains(strAttr(it, "alert"), object(1)) {
		t.Errorf("item %v: want messageId m, no live claim, the object named", it)
	}
}

// TestRace_oneWindowManyInvocations has files of one window counted and alerted concurrently,
// as parallel invocations do: the count is exact and exactly one of them sends.
func TestRace_oneWindowManyInvocations(t *testing.T) {
	s, _, clock := newStore(t)
	s.ClaimWait = 5 * time.Second
	ctx := context.Background()
	const files = 16
	var sent, sentErrs, below atomic.Int32
	var wg sync.WaitGroup
	for i := range files {
		wg.Go(func() {
			for range 2 { // every file delivered twice
				st, err := s.Add(ctx, Contribution{Window: window, Object: object(i), Count: 1})
				if err != nil {
					t.Error(err)
					return
				}
				if st.Count < 5 || st.Sent {
					continue
				}
				c, err := s.Claim(ctx, WindowAlert(window), 5, clock.Now().Add(time.Minute))
				switch {
				case errors.Is(err, ErrSent):
					sentErrs.Add(1)
				case errors.Is(err, ErrBelowThreshold):
					below.Add(1)
				case err != nil:
					t.Error(err)
				default:
					sent.Add(1)
					time.Sleep(20 * time.Millisecond) // publishing
					if err := c.Confirm(ctx, "msg"); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	st, err := s.Add(ctx, Contribution{Window: window, Object: object(0), Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != files || !st.Sent || sent.Load() != 1 || below.Load() != 0 {
		t.Errorf("count %d sent %v, %d claims won, %d below; want %d counted and exactly one alert", st.Count, st.Sent, sent.Load(), below.Load(), files)
	}
}

// conflicting cancels the first n transactions as a concurrent write to the same item would.
type conflicting struct {
	API
	n     int
	calls int
}

func (c *conflicting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls++
	if c.calls <= c.n {
		return nil, &types.TransactionCanceledException{
			Message:             aws.String("Transaction cancelled [None, TransactionConflict]"),
			CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}},
		}
	}
	return c.API.TransactWriteItems(ctx, in, opts...)
}

func TestAdd_retriesTransactionConflicts(t *testing.T) {
	s, _, _ := newStore(t)
	api := &conflicting{API: s.API, n: 2}
	s.API = api
	st, err := s.Add(context.Background(), Contribution{Window: window, Object: object(1), Count: 2})
	if err != nil || st.Count != 2 || api.calls != 3 {
		t.Fatalf("state %+v err %v after %d calls, want the third attempt to count 2", st, err, api.calls)
	}
	api.n, api.calls = conflictRetries, 0
	if _, err := s.Add(context.Background(), Contribution{Window: window, Object: object(2), Count: 1}); err == nil || api.calls != conflictRetries {
		t.Errorf("after %d conflicts: err %v, want the conflict reported after %d attempts", api.calls, err, conflictRetries)
	}
}

func TestErrors_unavailableTable(t *testing.T) {
	s, ddb, clock := newStore(t)
	ctx := context.Background()
	s.Table = "no-such-table"
	if _, err := s.Add(ctx, Contribution{Window: window, Object: object(1), Count: 1}); err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Errorf("Add on a missing table: %v, want ResourceNotFoundException", err)
	}
	s.Table = table
	ddb.Fail("UpdateItem", 400, "AccessDeniedException")
	if _, err := s.Claim(ctx, FileAlert("cis-3.3", object(1)), 0, clock.Now().Add(time.Minute)); err == nil ||
		errors.Is(err, ErrClaimHeld) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("Claim refused by DynamoDB: %v, want the AccessDeniedException", err)
	}
}

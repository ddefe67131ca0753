package localaws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const runtimePrefix = "/2018-06-01/runtime/"

// InitError is what a function reported through POST /runtime/init/error.
type InitError struct {
	Type string // the Lambda-Runtime-Function-Error-Type header
	Body []byte // the error document, {"errorMessage": ..., "errorType": ...}
}

// Result is the outcome of one invocation as Lambda would record it.
type Result struct {
	Payload   []byte        // the response document, or the error document when ErrorType is set
	ErrorType string        // "" on success; "Unhandled" for a function error; "Sandbox.Timedout"; "Runtime.ExitError"; the init error's type
	TimedOut  bool          // no response before the deadline: Lambda would have killed the function
	Duration  time.Duration // from hand-over to the function (its /next call) to its response
}

// RuntimeAPI is a Lambda Runtime API server (the subset a custom runtime uses): invocation/next,
// invocation/{id}/response, invocation/{id}/error and init/error.
type RuntimeAPI struct {
	srv     *httptest.Server
	queue   chan *invocation
	seq     atomic.Int64
	mu      sync.Mutex
	pending map[string]*invocation
	initErr *InitError
	initCh  chan struct{} // closed when an init error arrives
	ready   chan struct{} // closed on the first invocation/next: initialisation is over
	readyAt time.Time
	once    sync.Once
}

type invocation struct {
	id       string
	payload  []byte
	timeout  time.Duration
	deadline time.Time // set at hand-over
	started  time.Time
	done     chan Result
}

// NewRuntimeAPI starts a Runtime API server on 127.0.0.1; it stops when the test ends.
func NewRuntimeAPI(t testing.TB) *RuntimeAPI {
	t.Helper()
	r := &RuntimeAPI{
		queue:   make(chan *invocation),
		pending: map[string]*invocation{},
		initCh:  make(chan struct{}),
		ready:   make(chan struct{}),
	}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

// Address is the value for AWS_LAMBDA_RUNTIME_API (host:port, no scheme).
func (r *RuntimeAPI) Address() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// Ready is closed when the function first asks for an invocation, that is when its initialisation is done.
func (r *RuntimeAPI) Ready() <-chan struct{} { return r.ready }

// ReadyAt is when the function first asked for an invocation (zero before that).
func (r *RuntimeAPI) ReadyAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readyAt
}

// InitError returns the init error the function reported, or nil.
func (r *RuntimeAPI) InitError() *InitError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.initErr
}

// ServeHTTP implements the Runtime API endpoints.
func (r *RuntimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	switch {
	case req.Method == http.MethodGet && path == runtimePrefix+"invocation/next":
		r.next(w, req)
	case req.Method == http.MethodPost && path == runtimePrefix+"init/error":
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		if r.initErr == nil {
			r.initErr = &InitError{Type: req.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body}
			close(r.initCh)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, runtimePrefix+"invocation/"):
		r.finish(w, req)
	default:
		http.NotFound(w, req)
	}
}

func (r *RuntimeAPI) next(w http.ResponseWriter, req *http.Request) {
	r.once.Do(func() {
		r.mu.Lock()
		r.readyAt = time.Now()
		r.mu.Unlock()
		close(r.ready)
	})
	select {
	case inv := <-r.queue:
		inv.started = time.Now()
		inv.deadline = inv.started.Add(inv.timeout)
		r.mu.Lock()
		r.pending[inv.id] = inv
		r.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:trailwatch-detector")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-req.Context().Done():
	}
}

func (r *RuntimeAPI) finish(w http.ResponseWriter, req *http.Request) {
	id, kind, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, runtimePrefix+"invocation/"), "/")
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	inv := r.pending[id]
	delete(r.pending, id)
	r.mu.Unlock()
	if inv == nil {
		http.Error(w, "unknown or finished request id "+id, http.StatusBadRequest)
		return
	}
	res := Result{Payload: body, Duration: time.Since(inv.started)}
	switch kind {
	case "response":
	case "error":
		res.ErrorType = "Unhandled"
	default:
		http.NotFound(w, req)
		return
	}
	res.TimedOut = time.Now().After(inv.deadline)
	inv.done <- res
	w.WriteHeader(http.StatusAccepted)
}

// invoke hands payload to the function and waits for its outcome. exited is closed when the
// function's process ends; timeout is the function's configured timeout.
func (r *RuntimeAPI) invoke(ctx context.Context, payload []byte, timeout time.Duration, exited <-chan struct{}) (Result, error) {
	inv := &invocation{
		id:      fmt.Sprintf("00000000-0000-4000-8000-%012d", r.seq.Add(1)),
		payload: payload,
		timeout: timeout,
		done:    make(chan Result, 1),
	}
	select {
	case r.queue <- inv:
	case <-r.initCh:
		ie := r.InitError()
		return Result{Payload: ie.Body, ErrorType: ie.Type}, nil
	case <-exited:
		return Result{ErrorType: "Runtime.ExitError"}, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invoke: function never asked for an invocation: %w", ctx.Err())
	}
	// The deadline starts at hand-over; allow a little slack for the HTTP round trip.
	timer := time.NewTimer(timeout + 250*time.Millisecond)
	defer timer.Stop()
	select {
	case res := <-inv.done:
		return res, nil
	case <-timer.C:
		r.mu.Lock()
		delete(r.pending, inv.id)
		r.mu.Unlock()
		return Result{ErrorType: "Sandbox.Timedout", TimedOut: true, Duration: time.Since(inv.started)}, nil
	case <-exited:
		return Result{ErrorType: "Runtime.ExitError", Duration: time.Since(inv.started)}, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invoke %s: %w", inv.id, ctx.Err())
	}
}

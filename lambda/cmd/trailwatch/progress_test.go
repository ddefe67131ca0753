package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgress_line(t *testing.T) {
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	p := newProgress(func() time.Time { return start })
	for range 1200 {
		p.listed(84_583)
	}
	if got, want := p.line(start), "0/1,200+ objects  0.0/101.5+ MB  0 events  0 matches"; got != want {
		t.Errorf("before anything is read:\n got %q\nwant %q", got, want)
	}
	p.read(38_200_000)
	for range 412 {
		p.done(2921, 0)
	}
	p.done(0, 17)
	if got, want := p.line(start.Add(5*time.Second)), "413/1,200+ objects  38.2/101.5+ MB  1,203,452 events  17 matches  7.6 MB/s"; got != want {
		t.Errorf("while listing:\n got %q\nwant %q", got, want)
	}
	p.listingDone.Store(true)
	if got, want := p.line(start.Add(5*time.Second)), "413/1,200 objects  38.2/101.5 MB  1,203,452 events  17 matches  7.6 MB/s  ETA 8s"; got != want {
		t.Errorf("listing done:\n got %q\nwant %q", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the drawing goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The line is cleared before anything else reaches the terminal, cut to its
// width, and gone at the end.
func TestProgress_drawing(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	p := newProgress(func() time.Time { return now })
	p.listed(1000)
	p.interval = time.Hour // the test draws
	tty := &syncBuffer{}
	var out bytes.Buffer
	buffered := bufio.NewWriter(&out)
	stdout, stderr := p.show(tty, func() int { return 30 }, true, buffered, tty)

	p.draw()
	fmt.Fprint(stderr, "trailwatch: a problem\n")
	p.draw()
	fmt.Fprint(stdout, "Subject: an alert\n")
	p.finish()

	const line = "0/1+ objects  0.0/0.0+ MB  0 " // 29 columns of 30
	want := "\r" + line + "\x1b[K" + "\r\x1b[K" + "trailwatch: a problem\n" +
		"\r" + line + "\x1b[K" + "\r\x1b[K"
	if got := tty.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
	if out.String() != "Subject: an alert\n" {
		t.Errorf("standard output %q was not flushed before the next draw", out.String())
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("progress drawn on standard output")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

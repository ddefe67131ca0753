package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progressInterval is how often the progress line is redrawn.
const progressInterval = 250 * time.Millisecond

// progress counts what an archive scan has done and, when standard error is
// a terminal, keeps one line there up to date: objects, bytes, events,
// matches, rate and time left. Counters may be updated from any goroutine.
type progress struct {
	listedObjects, listedBytes atomic.Int64
	doneObjects, readBytes     atomic.Int64
	events, matches            atomic.Int64
	listingDone                atomic.Bool

	start    time.Time
	now      func() time.Time
	interval time.Duration // between two draws

	// Drawing, when enabled.
	mu     sync.Mutex
	w      io.Writer // the terminal
	width  func() int
	drawn  bool // a line is on the screen
	stop   chan struct{}
	closed chan struct{}
}

func newProgress(now func() time.Time) *progress {
	return &progress{start: now(), now: now, interval: progressInterval}
}

// listed counts an object the listing found.
func (p *progress) listed(size int64) {
	p.listedObjects.Add(1)
	p.listedBytes.Add(size)
}

// read counts bytes read from an object body.
func (p *progress) read(n int) { p.readBytes.Add(int64(n)) }

// done counts a finished object.
func (p *progress) done(events, matches int) {
	p.doneObjects.Add(1)
	p.events.Add(int64(events))
	p.matches.Add(int64(matches))
}

// line renders the progress at now.
//
//	412/1,200 objects  38.2/101.5 MB  1,203,551 events  17 matches  6.1 MB/s  ETA 10s
func (p *progress) line(now time.Time) string {
	objects, total := p.doneObjects.Load(), p.listedObjects.Load()
	read, size := p.readBytes.Load(), p.listedBytes.Load()
	more := ""
	if !p.listingDone.Load() {
		more = "+" // the listing is still finding objects
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s%s objects  %s/%s%s MB  %s events  %s matches",
		thousands(objects), thousands(total), more, megabytes(read), megabytes(size), more,
		thousands(p.events.Load()), thousands(p.matches.Load()))
	elapsed := now.Sub(p.start)
	if elapsed >= time.Second && read > 0 {
		rate := float64(read) / elapsed.Seconds()
		fmt.Fprintf(&b, "  %s MB/s", megabytes(int64(rate)))
		if more == "" && size > read {
			left := time.Duration(float64(size-read) / rate * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", left.Round(time.Second))
		}
	}
	return b.String()
}

// terminalOf returns the terminal behind w, if w writes to one.
func terminalOf(w io.Writer) (*os.File, bool) {
	if ff, ok := w.(flushFirst); ok {
		w = ff.w
	}
	f, ok := w.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth returns the width of the terminal f, 80 when unknown.
func terminalWidth(f *os.File) func() int {
	return func() int {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
		return 80
	}
}

// show starts drawing on tty until finish. It returns writers for standard
// output and standard error that clear the line before anything else is
// written, so that messages and results never mix with it. Standard output
// is left alone unless it is a terminal too (flushStdout); then a buffered
// standard output is also flushed after each write, before the next draw.
func (p *progress) show(tty io.Writer, width func() int, flushStdout bool, stdout, stderr io.Writer) (io.Writer, io.Writer) {
	p.w, p.width = tty, width
	p.stop, p.closed = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.closed)
		tick := time.NewTicker(p.interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				p.draw()
			case <-p.stop:
				return
			}
		}
	}()
	if flushStdout {
		stdout = &clearingWriter{p: p, w: stdout, flush: true}
	}
	return stdout, &clearingWriter{p: p, w: stderr}
}

// finish stops drawing and clears the line.
func (p *progress) finish() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.closed
	p.stop = nil
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *progress) draw() {
	line := p.line(p.now())
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.width() - 1; len(line) > w {
		line = line[:max(w, 0)]
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.drawn = true
}

// clear removes the line; p.mu is held.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// clearingWriter clears the progress line before each write.
type clearingWriter struct {
	p     *progress
	w     io.Writer
	flush bool
}

func (c *clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.clear()
	n, err := c.w.Write(b)
	if f, ok := c.w.(*bufio.Writer); ok && c.flush && err == nil {
		err = f.Flush()
	}
	return n, err
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// megabytes writes n bytes in MB (10^6) with one decimal.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f", float64(n)/1e6)
}

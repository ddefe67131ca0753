package localaws

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildBootstrap compiles the Lambda package in pkgDir into dir/bootstrap with -tags lambda.norpc,
// as the deployed function is built, plus -race when the calling test binary has it, so that the
// build reuses the test build's cache.
func BuildBootstrap(pkgDir, dir string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	args := []string{"build", "-tags", "lambda.norpc"}
	if RaceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "-o", out, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = pkgDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// BaseEnv is the clean environment a function gets: static credentials, a region, no profile or
// instance metadata, and nothing from the developer's own environment but PATH and HOME.
func BaseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_LAMBDA_FUNCTION_NAME=trailwatch-detector",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	}
}

// Function is a bootstrap binary running as a child process against a RuntimeAPI.
type Function struct {
	API     *RuntimeAPI
	Started time.Time // when the process was started

	cmd    *exec.Cmd
	stdout *os.File // files, not pipes: what the process wrote before it answered is there
	stderr *os.File
	exited chan struct{}
	waitMu sync.Mutex
	peak   int64 // VmHWM in KiB, last read before the process was reaped
}

// StartFunction runs bin with env plus AWS_LAMBDA_RUNTIME_API pointing at a new RuntimeAPI. The
// process is killed when the test ends; its output is logged if the test failed.
func StartFunction(t testing.TB, bin string, env []string) *Function {
	t.Helper()
	f := &Function{API: NewRuntimeAPI(t), exited: make(chan struct{})}
	f.cmd = exec.Command(bin)
	f.cmd.Env = append(append([]string{}, env...), "AWS_LAMBDA_RUNTIME_API="+f.API.Address())
	dir := t.TempDir()
	var err error
	if f.stdout, err = os.Create(filepath.Join(dir, "stdout")); err != nil {
		t.Fatal(err)
	}
	if f.stderr, err = os.Create(filepath.Join(dir, "stderr")); err != nil {
		t.Fatal(err)
	}
	f.cmd.Stdout = f.stdout
	f.cmd.Stderr = f.stderr
	f.Started = time.Now()
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.Kill()
		if t.Failed() {
			t.Logf("function stdout:\n%s", f.Stdout())
			if s := f.Stderr(); s != "" {
				t.Logf("function stderr:\n%s", s)
			}
		}
		f.stdout.Close()
		f.stderr.Close()
	})
	return f
}

// Invoke sends payload (raw JSON bytes, or any value to marshal) as one invocation with the given
// function timeout and waits for the outcome.
func (f *Function) Invoke(t testing.TB, payload any, timeout time.Duration) Result {
	t.Helper()
	raw, ok := payload.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			t.Fatalf("marshal payload: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	res, err := f.API.invoke(ctx, raw, timeout, f.exited)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return res
}

// Exited is closed when the process has ended.
func (f *Function) Exited() <-chan struct{} { return f.exited }

// ExitCode waits up to d for the process to end and returns its exit code (-1 if killed by a signal).
func (f *Function) ExitCode(d time.Duration) (int, error) {
	select {
	case <-f.exited:
		return f.cmd.ProcessState.ExitCode(), nil
	case <-time.After(d):
		return 0, fmt.Errorf("process still running after %v", d)
	}
}

// PeakRSS returns the process's peak resident set size in bytes: VmHWM from /proc while it runs,
// otherwise the maximum RSS the kernel reported when it was reaped.
func (f *Function) PeakRSS() int64 {
	select {
	case <-f.exited:
		if ru, ok := f.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			return max(ru.Maxrss*1024, f.peakKiB()*1024)
		}
		return f.peakKiB() * 1024
	default:
	}
	f.readPeak()
	return f.peakKiB() * 1024
}

func (f *Function) peakKiB() int64 {
	f.waitMu.Lock()
	defer f.waitMu.Unlock()
	return f.peak
}

func (f *Function) readPeak() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", f.cmd.Process.Pid))
	if err != nil {
		return
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				f.waitMu.Lock()
				f.peak = max(f.peak, kib)
				f.waitMu.Unlock()
			}
		}
	}
}

// Kill ends the process (SIGKILL, as Lambda does at a timeout) and waits for it.
func (f *Function) Kill() {
	select {
	case <-f.exited:
		return
	default:
	}
	f.readPeak()
	_ = f.cmd.Process.Kill()
	<-f.exited
}

// Stdout returns everything the function wrote to standard output so far.
func (f *Function) Stdout() string { return readAll(f.stdout) }

// Stderr returns everything the function wrote to standard error so far.
func (f *Function) Stderr() string { return readAll(f.stderr) }

func readAll(file *os.File) string {
	b, err := os.ReadFile(file.Name())
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

// LogLines returns the function's standard output lines that are JSON objects, decoded.
func (f *Function) LogLines() []map[string]any {
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(f.Stdout()))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// Logs returns the decoded log lines whose "message" is msg.
func (f *Function) Logs(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range f.LogLines() {
		if l["message"] == msg {
			out = append(out, l)
		}
	}
	return out
}

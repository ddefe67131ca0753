package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// stdinName names standard input in messages and output.
const stdinName = "(stdin)"

// input is one file to read: a path, or standard input.
type input struct {
	name  string // as shown to the user: the path, or stdinName
	stdin bool
}

// inputs is the expanded list of PATH arguments.
type inputs struct {
	files []input
	// skipped counts files left out of directory walks because their key
	// says they are not log files (digests, Insights), by reason.
	skipped map[string]int
	// failed counts PATHs that could not be listed or read at all.
	failed int
}

// logExtensions are the file names read when walking a directory.
var logExtensions = []string{".json", ".json.gz", ".jsonl", ".jsonl.gz"}

// expandPaths turns PATH arguments into files: directories are walked in
// lexical order. Problems are reported on stderr and counted in failed; the
// other paths are still expanded. A file named explicitly is read whatever its
// extension, but never a digest or Insights file.
func (e *env) expandPaths(paths []string) inputs {
	in := inputs{skipped: map[string]int{}}
	for _, p := range paths {
		if p == "-" {
			in.files = append(in.files, input{name: stdinName, stdin: true})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			e.errorf("%s", describePathError(err))
			in.failed++
			continue
		}
		if !info.IsDir() {
			if reason := notLogReason(p); reason != "" {
				e.errorf("%s: skipped: %s", p, reason)
				in.skipped[reason]++
				continue
			}
			in.files = append(in.files, input{name: p})
			continue
		}
		before := len(in.files)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				e.errorf("%s", describePathError(err))
				in.failed++
				if d != nil && d.IsDir() && path != p {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			regular := d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0
			if !regular || !hasLogExtension(d.Name()) {
				return nil
			}
			if reason := notLogReason(path); reason != "" {
				in.skipped[reason]++
				return nil
			}
			in.files = append(in.files, input{name: path})
			return nil
		})
		if err != nil {
			e.errorf("%s: %v", p, err)
			in.failed++
		}
		if len(in.files) == before {
			e.errorf("%s: no log files in this directory (%s)", p, strings.Join(logExtensions, ", "))
		}
	}
	return in
}

func hasLogExtension(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range logExtensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// notLogReason says why path is a CloudTrail file that holds no events
// (a digest or an Insights file), or returns "" for anything else. The key
// classification the Lambda uses decides; the file name alone catches files
// copied out of their bucket layout.
func notLogReason(path string) string {
	slash := filepath.ToSlash(path)
	switch k := cloudtrail.ClassifyKey(slash); k.Kind {
	case cloudtrail.KindDigest:
		return "CloudTrail digest file"
	case cloudtrail.KindInsight:
		return "CloudTrail Insights file"
	}
	base := filepath.Base(path)
	switch {
	case strings.Contains(base, "_CloudTrail-Digest_"):
		return "CloudTrail digest file"
	case strings.Contains(base, "_CloudTrail-Insight_"):
		return "CloudTrail Insights file"
	}
	return ""
}

// describePathError drops the operation from an *fs.PathError ("stat x: no
// such file" becomes "x: no such file"): the user named a file, not a syscall.
func describePathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// open returns the content of in; the caller closes it.
func (e *env) open(in input) (io.ReadCloser, error) {
	if in.stdin {
		return io.NopCloser(e.stdin), nil
	}
	f, err := os.Open(in.name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readError describes err for a file that could not be read to the end.
func readError(in input, err error, records int) string {
	var ce *cloudtrail.CorruptError
	if errors.As(err, &ce) {
		verb := "were"
		if ce.Records == 1 {
			verb = "was"
		}
		return fmt.Sprintf("%s: %v; only the %s before the damage %s scanned", in.name, err, plural(ce.Records, "record"), verb)
	}
	return fmt.Sprintf("%s: read error after %d records: %v", in.name, records, err)
}

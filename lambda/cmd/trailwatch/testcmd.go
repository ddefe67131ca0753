package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/rules"
)

var testCmd = &command{
	name:    "test",
	summary: "validate rule files and run their inline tests",
	usage:   "trailwatch test [--rules DIR]",
	help: `Validates every rule file (*.yaml, *.yml) and runs the inline tests of each
rule through the engine that scans log files. The rules are the embedded CIS
rules unless --rules names a directory.

Prints one line per rule, "ok" or "FAIL", followed by each problem as
file:line:col: message. A file that does not load is reported by its name
with all of its problems; the other files are still tested.

Flags:
  --rules DIR   test the rule files in DIR instead of the embedded rules

Exit status:
  0  every rule file loads and every test passes
  1  a rule file does not load or a test fails
  2  usage error
`,
	run: runTest,
}

func runTest(c *command, e *env, args []string) int {
	fs := newFlagSet("test")
	dir := fs.String("rules", "", "")
	rest, err := parseArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q; name a rules directory with --rules DIR", rest[0])
	}
	if err != nil {
		return e.usageError(c, err)
	}
	src := ruleSource{dir: *dir, fsys: rules.FS, prefix: "rules"}
	if *dir != "" {
		src.fsys, src.prefix = os.DirFS(*dir), *dir
	}
	r := src.check()
	r.print(e)
	if r.anyFailure() {
		return exitFail
	}
	return exitOK
}

// ruleSource is a directory of rule files: the embedded rules or --rules DIR.
type ruleSource struct {
	dir    string // "" for the embedded rules
	fsys   fs.FS
	prefix string // what detect puts before file names in errors
}

func (s ruleSource) load() (*detect.RuleSet, error) { return loadRules(s.dir) }

// testReport is the outcome of testing a rules directory.
type testReport struct {
	entries        []testEntry
	rules, tests   int
	failed, broken int // rules with failing tests, files that do not load
	fatal          error
}

// testEntry is one line of the report: a rule, or a file that does not load.
type testEntry struct {
	id, title, file string // id is "" for a file that does not load
	tests           int
	problems        []*detect.Error
}

// check loads the rules as a whole. When that fails, the files that have no
// problem of their own are loaded and tested one by one, so that one broken
// file does not hide the state of the others.
func (s ruleSource) check() *testReport {
	rep := &testReport{}
	rs, err := s.load()
	if err == nil {
		rep.addRuleSet(rs, "")
		return rep
	}
	var list detect.ErrorList
	if !errors.As(err, &list) {
		rep.fatal = err
		return rep
	}
	byFile := map[string][]*detect.Error{}
	for _, e := range list {
		byFile[e.File] = append(byFile[e.File], e)
	}
	entries, _ := fs.ReadDir(s.fsys, ".")
	for _, d := range entries {
		name := d.Name()
		if d.IsDir() || !isRuleFile(name) {
			continue
		}
		display := filepath.Join(s.prefix, name)
		if _, bad := byFile[display]; bad {
			continue
		}
		one, err := detect.LoadFS(onlyFile{FS: s.fsys, name: name})
		if err != nil {
			// Valid in the set's eyes yet not alone: report what it says.
			var l detect.ErrorList
			if errors.As(err, &l) {
				for _, e := range l {
					e.File = filepath.Join(s.prefix, e.File)
					byFile[e.File] = append(byFile[e.File], e)
				}
			} else {
				byFile[display] = append(byFile[display], &detect.Error{File: display, Line: 1, Col: 1, Msg: err.Error()})
			}
			continue
		}
		rep.addRuleSet(one, s.prefix)
	}
	for _, file := range slices.Sorted(maps.Keys(byFile)) {
		rep.entries = append(rep.entries, testEntry{file: file, problems: byFile[file]})
		rep.broken++
	}
	slices.SortStableFunc(rep.entries, func(a, b testEntry) int { return strings.Compare(a.file, b.file) })
	return rep
}

// addRuleSet runs the tests of rs and adds one entry per rule. prefix is
// joined to file names for rule sets loaded from a single file.
func (rep *testReport) addRuleSet(rs *detect.RuleSet, prefix string) {
	failures := map[string][]*detect.Error{}
	if err := rs.RunTests(); err != nil {
		var list detect.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				e.File = filepath.Join(prefix, e.File)
				failures[e.File] = append(failures[e.File], e)
			}
		} else {
			rep.fatal = err
		}
	}
	for _, r := range rs.Rules() {
		file := filepath.Join(prefix, r.File)
		ent := testEntry{id: r.ID, title: r.Title, file: file, tests: len(r.Tests), problems: failures[file]}
		rep.entries = append(rep.entries, ent)
		rep.rules++
		rep.tests += ent.tests
		if len(ent.problems) > 0 {
			rep.failed++
		}
	}
}

func (rep *testReport) print(e *env) {
	w := e.stdout
	width := 0
	for _, ent := range rep.entries {
		width = max(width, len(ent.id))
	}
	for _, ent := range rep.entries {
		switch {
		case ent.id == "":
			fmt.Fprintf(w, "FAIL  %s (%s)\n", ent.file, plural(len(ent.problems), "problem"))
		case len(ent.problems) > 0:
			fmt.Fprintf(w, "FAIL  %-*s  %s (%d of %d tests failed)\n", width, ent.id, ent.title, len(ent.problems), ent.tests)
		default:
			fmt.Fprintf(w, "ok    %-*s  %s (%s)\n", width, ent.id, ent.title, plural(ent.tests, "test"))
		}
		for _, p := range ent.problems {
			fmt.Fprintf(w, "      %v\n", p)
		}
	}
	switch {
	case rep.fatal != nil:
		fmt.Fprintf(w, "FAIL: %v\n", rep.fatal)
	case rep.failed > 0 || rep.broken > 0:
		var parts []string
		if rep.broken > 0 {
			parts = append(parts, plural(rep.broken, "rule file")+" that do not load")
		}
		if rep.failed > 0 {
			parts = append(parts, plural(rep.failed, "rule")+" with failing tests")
		}
		fmt.Fprintf(w, "FAIL: %s\n", strings.Join(parts, ", "))
	default:
		fmt.Fprintf(w, "ok: %s, %s passed\n", plural(rep.rules, "rule"), plural(rep.tests, "test"))
	}
}

// anyFailure reports whether the report has any failure.
func (rep *testReport) anyFailure() bool {
	return rep.fatal != nil || rep.failed > 0 || rep.broken > 0
}

func isRuleFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// onlyFile is fsys reduced to one file at its root, to load a rule file on
// its own.
type onlyFile struct {
	fs.FS
	name string
}

func (o onlyFile) Open(name string) (fs.File, error) {
	if name != "." && name != o.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return o.FS.Open(name)
}

func (o onlyFile) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.FS, name)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(entries, func(d fs.DirEntry) bool { return d.Name() != o.name }), nil
}

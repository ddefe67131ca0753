package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
	"github.com/trailwatch/trailwatch/rules"
)

// Limits that keep alert subjects and state keys sane.
const (
	maxIDLen    = 64
	maxTitleLen = 80
	minWindow   = time.Minute
	maxWindow   = 24 * time.Hour
)

var (
	idRE      = regexp.MustCompile(`^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$`)
	groupByRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$`)
	dateRE    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// Default returns the rules shipped in package rules. They are loaded and
// compiled once; the result is shared.
func Default() (*RuleSet, error) { return loadDefault() }

var loadDefault = sync.OnceValues(func() (*RuleSet, error) {
	return load(rules.FS, "rules")
})

// LoadDir loads every *.yaml and *.yml file directly inside dir. Errors name
// the files by their path under dir.
func LoadDir(dir string) (*RuleSet, error) {
	return load(os.DirFS(dir), dir)
}

// LoadFS loads every *.yaml and *.yml file at the root of fsys, validates
// them and compiles their patterns. All problems in all files are returned
// together as an [ErrorList].
func LoadFS(fsys fs.FS) (*RuleSet, error) {
	return load(fsys, "")
}

// load reads the rule files of fsys; dir prefixes file names in errors.
func load(fsys fs.FS, dir string) (*RuleSet, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read rules directory %s: %w", orDefault(dir, "."), err)
	}
	var (
		errs  ErrorList
		rules []*Rule
		byID  = map[string]*Rule{}
	)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		display := name
		if dir != "" {
			display = filepath.Join(dir, name)
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs.add(display, 1, 1, "read: %v", err)
			continue
		}
		r, ok := parseRuleFile(display, src, &errs)
		if r == nil || r.ID == "" {
			continue
		}
		if first, dup := byID[r.ID]; dup {
			errs.add(r.File, r.Line, r.Col, "duplicate id %q, also used in %s:%d:%d", r.ID, first.File, first.Line, first.Col)
			continue
		}
		byID[r.ID] = r
		if ok {
			rules = append(rules, r)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no rule files (*.yaml, *.yml) in %s", orDefault(dir, "."))
	}
	return newRuleSet(rules), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ruleParser validates one rule file, collecting every problem.
type ruleParser struct {
	file string
	src  []byte
	errs *ErrorList
	ok   bool // no problem found so far
}

func (p *ruleParser) errorf(n *yaml.Node, format string, args ...any) {
	p.errorAt(n.Line, n.Column, format, args...)
}

func (p *ruleParser) errorAt(line, col int, format string, args ...any) {
	p.errs.add(p.file, line, col, format, args...)
	p.ok = false
}

// parseRuleFile adds the problems of the rule in src to errs and reports
// whether there were none. The rule is returned even when it has problems, as
// far as it could be read, so that its id still takes part in the duplicate
// check; it is nil when the file is not a YAML mapping.
func parseRuleFile(file string, src []byte, errs *ErrorList) (*Rule, bool) {
	p := &ruleParser{file: file, src: src, errs: errs, ok: true}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(1, 1, "empty rule file")
		} else {
			p.yamlError(err)
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "more than one YAML document; a rule file holds one rule")
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
	}
	if len(doc.Content) == 0 {
		p.errorAt(1, 1, "empty rule file")
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "a rule must be a mapping of keys (id, title, ...), found %s", describe(root))
		return nil, false
	}
	r := &Rule{File: file, Mode: ModeAlert}
	fields := p.fields(root, "rule", map[string]bool{
		"id": true, "title": true, "severity": true, "description": true, "pattern": true,
		"controls": false, "exclude": false, "threshold": false, "mode": false, "tests": false,
	})
	if n := fields["id"]; n != nil {
		r.Line, r.Col = n.Line, n.Column
		if id, ok := p.str(n, "id"); ok {
			switch {
			case len(id) > maxIDLen:
				p.errorf(n, "id %q is longer than %d characters", id, maxIDLen)
			case !idRE.MatchString(id):
				p.errorf(n, "id %q must be lower-case letters and digits separated by '.' or '-', starting with a letter (e.g. cis-3.5)", id)
			default:
				r.ID = id
			}
		}
	}
	if n := fields["title"]; n != nil {
		if s, ok := p.nonEmpty(n, "title"); ok {
			switch {
			case strings.ContainsAny(s, "\r\n"):
				p.errorf(n, "title must be a single line")
			case len([]rune(s)) > maxTitleLen:
				p.errorf(n, "title is longer than %d characters", maxTitleLen)
			default:
				r.Title = s
			}
		}
	}
	if n := fields["severity"]; n != nil {
		if s, ok := p.str(n, "severity"); ok {
			if slices.Contains(Severities, s) {
				r.Severity = s
			} else {
				p.errorf(n, "severity %q must be one of %s", s, strings.Join(Severities, ", "))
			}
		}
	}
	if n := fields["description"]; n != nil {
		r.Description, _ = p.nonEmpty(n, "description")
	}
	if n := fields["controls"]; n != nil {
		r.Controls = p.controls(n)
	}
	if n := fields["pattern"]; n != nil {
		r.Pattern = p.pattern(n, "pattern")
	}
	if n := fields["exclude"]; n != nil {
		r.Exclude = p.exclusions(n)
	}
	if n := fields["threshold"]; n != nil {
		r.Threshold = p.threshold(n)
	}
	if n := fields["mode"]; n != nil {
		if s, ok := p.str(n, "mode"); ok {
			switch Mode(s) {
			case ModeAlert, ModeShadow:
				r.Mode = Mode(s)
			default:
				p.errorf(n, "mode %q must be %s or %s", s, ModeAlert, ModeShadow)
			}
		}
	}
	if n := fields["tests"]; n != nil {
		r.Tests = p.tests(n)
	}
	return r, p.ok
}

// yamlError reports a YAML syntax error. The YAML library gives a line for
// most errors and never a column.
func (p *ruleParser) yamlError(err error) {
	msg := err.Error()
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if isParserError(m[2]) {
			// The library prints the parser's 0-based line for these.
			line++
		}
		p.errorAt(line, 1, "invalid YAML: %s", m[2])
		return
	}
	p.errorAt(1, 1, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// isParserError tells the YAML parser's messages from the scanner's.
func isParserError(msg string) bool {
	for _, what := range []string{"node content", "key", "',' or ']'", "',' or '}'", "'-' indicator", "<document start>"} {
		if msg == "did not find expected "+what {
			return true
		}
	}
	return false
}

// fields checks the keys of mapping m against known (key → required) and
// returns the value node of each key present. Unknown, duplicate and missing
// keys are reported; what names the mapping in messages.
func (p *ruleParser) fields(m *yaml.Node, what string, known map[string]bool) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s keys must be plain names, found %s", what, describe(k))
			continue
		}
		if first, dup := keys[k.Value]; dup {
			p.errorf(k, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		keys[k.Value] = k
		if _, ok := known[k.Value]; !ok {
			p.errorf(k, "unknown key %q in %s%s", k.Value, what, suggest(k.Value, known))
			continue
		}
		out[k.Value] = v
	}
	var missing []string
	for k, required := range known {
		if required && keys[k] == nil {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		p.errorf(m, "%s is missing required key %q", what, k)
	}
	return out
}

// suggest returns ` (did you mean "x"?)` when a known key is one or two
// edits away from key.
func suggest(key string, known map[string]bool) string {
	best, bestD := "", 3
	for k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names a node's kind for messages: "a mapping", "integer 5", ...
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return fmt.Sprintf("text %q", n.Value)
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!timestamp":
			return "date " + n.Value
		default:
			return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
		}
	}
	return "something else"
}

// str returns the text of a string scalar.
func (p *ruleParser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.errorf(n, "%s must be text, found %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str for required text that must not be blank.
func (p *ruleParser) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := p.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

func (p *ruleParser) list(n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, found %s", what, describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

func (p *ruleParser) mapping(n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping, found %s", what, describe(n))
		return false
	}
	return true
}

func (p *ruleParser) controls(n *yaml.Node) map[string][]string {
	if !p.mapping(n, "controls") {
		return nil
	}
	out := map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name, ok := p.nonEmpty(k, "a controls key")
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			p.errorf(k, "duplicate key %q in controls", name)
			continue
		}
		ids := []string{}
		for _, c := range p.list(v, fmt.Sprintf("controls %q", name)) {
			if id, ok := p.nonEmpty(c, fmt.Sprintf("a controls %q entry", name)); ok {
				ids = append(ids, id)
			}
		}
		out[name] = ids
	}
	return out
}

// pattern parses a filter pattern, locating syntax errors in the YAML source.
func (p *ruleParser) pattern(n *yaml.Node, what string) *filterpattern.Pattern {
	src, ok := p.nonEmpty(n, what)
	if !ok {
		return nil
	}
	pat, err := filterpattern.Parse(src)
	if err != nil {
		var se *filterpattern.SyntaxError
		if errors.As(err, &se) {
			line, col := scalarPosition(p.src, n, se.Offset)
			p.errorAt(line, col, "%s: %s", what, se.Msg)
		} else {
			p.errorf(n, "%s: %v", what, err)
		}
		return nil
	}
	return pat
}

func (p *ruleParser) exclusions(n *yaml.Node) []Exclusion {
	var out []Exclusion
	for _, item := range p.list(n, "exclude") {
		if !p.mapping(item, "an exclude entry") {
			continue
		}
		f := p.fields(item, "exclude entry", map[string]bool{"pattern": true, "reason": true, "until": false})
		e := Exclusion{Line: item.Line, Col: item.Column}
		if v := f["pattern"]; v != nil {
			e.Pattern = p.pattern(v, "exclude pattern")
		}
		if v := f["reason"]; v != nil {
			e.Reason, _ = p.nonEmpty(v, "reason")
		}
		if v := f["until"]; v != nil {
			e.Until = p.date(v)
		}
		out = append(out, e)
	}
	return out
}

// date reads a YYYY-MM-DD date, written plain (a YAML timestamp) or quoted.
func (p *ruleParser) date(n *yaml.Node) time.Time {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag != "!!timestamp" && tag != "!!str" {
		p.errorf(n, "until must be a date YYYY-MM-DD, found %s", describe(n))
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil || !dateRE.MatchString(n.Value) {
		p.errorf(n, "until %q must be a date YYYY-MM-DD", n.Value)
		return time.Time{}
	}
	return t
}

func (p *ruleParser) threshold(n *yaml.Node) *Threshold {
	if !p.mapping(n, "threshold") {
		return nil
	}
	f := p.fields(n, "threshold", map[string]bool{"count": true, "window": true, "groupBy": false})
	t := &Threshold{}
	if v := f["count"]; v != nil {
		c, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil || c < 1 {
			p.errorf(v, "threshold count must be a whole number of at least 1, found %s", describe(v))
		} else {
			t.Count = c
		}
	}
	if v := f["window"]; v != nil {
		if s, ok := p.str(v, "threshold window"); ok {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				p.errorf(v, "threshold window %q must be a duration such as 5m or 1h", s)
			case d < minWindow || d > maxWindow || d%time.Minute != 0:
				p.errorf(v, "threshold window %q must be whole minutes from 1m to 24h", s)
			default:
				t.Window = d
			}
		}
	}
	if v := f["groupBy"]; v != nil {
		for _, g := range p.list(v, "threshold groupBy") {
			s, ok := p.str(g, "a groupBy path")
			if !ok {
				continue
			}
			if !groupByRE.MatchString(s) {
				p.errorf(g, "groupBy path %q must be dotted field names such as userIdentity.arn", s)
				continue
			}
			t.GroupBy = append(t.GroupBy, s)
		}
	}
	return t
}

func (p *ruleParser) tests(n *yaml.Node) []Test {
	var out []Test
	names := map[string]int{}
	for _, item := range p.list(n, "tests") {
		if !p.mapping(item, "a test") {
			continue
		}
		f := p.fields(item, "test", map[string]bool{"name": true, "match": true, "event": true})
		t := Test{Line: item.Line, Col: item.Column}
		if v := f["name"]; v != nil {
			if name, ok := p.nonEmpty(v, "test name"); ok {
				if line, dup := names[name]; dup {
					p.errorf(v, "duplicate test name %q (first at line %d)", name, line)
				}
				names[name] = v.Line
				t.Name = name
			}
		}
		if v := f["match"]; v != nil {
			var b bool
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
				p.errorf(v, "test match must be true or false, found %s", describe(v))
			}
			t.Match = b
		}
		if v := f["event"]; v != nil {
			if !p.mapping(v, "test event") {
				continue
			}
			var buf bytes.Buffer
			if err := appendJSON(&buf, v); err != nil {
				var pe *posError
				if errors.As(err, &pe) {
					p.errorf(pe.node, "test event: %s", pe.msg)
				} else {
					p.errorf(v, "test event: %v", err)
				}
				continue
			}
			t.Event = buf.Bytes()
		}
		out = append(out, t)
	}
	return out
}

package main

import (
	"bytes"
	"fmt"
	"github.com/trailwatch/trailwatch/lambda/internal/golden"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run from the repository root, as "make demo" does, so that paths
// in the output read the same as in the README.
const (
	repoRoot  = "../../.."
	pkgDir    = "lambda/cmd/trailwatch"
	demoDir   = "testdata/cloudtrail"
	truncated = "testdata/cli/truncated.json.gz"
	jsonLines = "testdata/cli/events.jsonl"
	broken    = pkgDir + "/testdata/broken-rules"
	usEast1a  = demoDir + "/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/28/111122223333_CloudTrail_us-east-1_20261128T0905Z_6HqwZGxomRXKdaoN.json.gz"
	digest    = demoDir + "/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/28/111122223333_CloudTrail-Digest_us-east-1_management-events_us-east-1_20261128T092021Z.json.gz"
)

// chdirRoot moves the test to the repository root and returns the absolute
// path of this package's directory.
func chdirRoot(t *testing.T) string {
	t.Helper()
	pkg, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(repoRoot)
	return pkg
}

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(stdin string, args ...string) result {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// golden renders a run for a golden file: the command, the exit status,
// then stdout and stderr.
func (r result) golden(args []string) string {
	return fmt.Sprintf("$ trailwatch %s\n-- exit %d --\n-- stdout --\n%s-- stderr --\n%s", strings.Join(quoteArgs(args), " "), r.code, r.stdout, r.stderr)
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " {}$\"'*") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// checkGolden compares got with the golden file name in the package's
// testdata, or rewrites it under -update.
func checkGolden(t *testing.T, pkg, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join(pkg, "testdata", name), []byte(got))
}

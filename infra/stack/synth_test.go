package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Synthesizing through jsii takes seconds, so each configuration is
// synthesized once per test binary and shared by the tests that inspect it.

const testStackName = "Trailwatch"

// synthesized is one configuration's cloud assembly.
type synthesized struct {
	Stack       awscdk.Stack
	Template    assertions.Template
	JSON        map[string]any // the template, for checks that walk it
	Annotations assertions.Annotations
	Dir         string // the cloud assembly directory
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
	tempDirs   []string
	jsiiUsed   bool
)

func TestMain(m *testing.M) {
	code := m.Run()
	if jsiiUsed {
		jsii.Close()
	}
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func mkdirTemp(t testing.TB, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	tempDirs = append(tempDirs, dir)
	return dir
}

var (
	assetOnce sync.Once
	assetDir  string
	assetErr  error
)

// lambdaAsset builds ./lambda exactly as `make build` does, once, and
// returns the directory holding the bootstrap the synthesized stacks use.
func lambdaAsset(t testing.TB) string {
	t.Helper()
	assetOnce.Do(func() {
		assetDir = mkdirTemp(t, "trailwatch-asset-")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
			"-o", filepath.Join(assetDir, BootstrapName), "github.com/trailwatch/trailwatch/lambda")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			assetErr = fmt.Errorf("build the detector: %v\n%s", err, out)
		}
	})
	if assetErr != nil {
		t.Fatal(assetErr)
	}
	return assetDir
}

// synth returns the stack synthesized from cdk.json's context overlaid with
// ctx, with the cdk-nag packs applied.
func synth(t *testing.T, name string, ctx map[string]any) *synthesized {
	t.Helper()
	requireNode(t)
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[name]; ok {
		return s
	}
	full := cdkJSONContext(t)
	for k, v := range ctx {
		full[k] = v
	}
	full[KeyLambdaAssetDir] = lambdaAsset(t)
	cfg, err := ParseConfig(contextOf(full))
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", name, err)
	}
	jsiiUsed = true
	outdir := mkdirTemp(t, "trailwatch-cdk-out-")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &full, Outdir: jsii.String(outdir)})
	st := New(app, testStackName, cfg, nil)
	AddNagChecks(app, false)
	s := &synthesized{Stack: st, Dir: outdir}
	s.Annotations = assertions.Annotations_FromStack(st) // synthesizes
	s.Template = assertions.Template_FromStack(st, nil)  // reuses that assembly
	s.JSON = *s.Template.ToJSON()
	synthCache[name] = s
	return s
}

// The configurations under test.
var (
	defaultContext = map[string]any{KeyAlertEmails: "secops@example.com,oncall@example.org"}
	strictContext  = map[string]any{
		KeyAlertEmails:         []any{"secops@example.com"},
		KeyDataEvents:          DataEventsS3Write,
		KeyObjectLockMode:      ObjectLockCompliance,
		KeyArchiveStorageClass: StorageClassGlacier,
		KeyReservedConcurrency: "0",
		KeyLogLevel:            "debug",
		KeyTrailKeyPrefix:      "audit",
		KeyDeadManMinutes:      "30",
	}
	existingContext = map[string]any{
		KeyAlertEmails:            "secops@example.com",
		KeyExistingTrailBucket:    "org-trail-logs",
		KeyExistingTrailKMSKeyARN: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		KeyTrailKeyPrefix:         "org",
	}
	eventBridgeContext = map[string]any{
		KeyAlertEmails:                "secops@example.com",
		KeyExistingTrailBucket:        "org-trail-logs",
		KeyExistingTrailBucketTrigger: TriggerEventBridge,
	}
)

func synthDefault(t *testing.T) *synthesized  { return synth(t, "default", defaultContext) }
func synthStrict(t *testing.T) *synthesized   { return synth(t, "strict", strictContext) }
func synthExisting(t *testing.T) *synthesized { return synth(t, "existing", existingContext) }
func synthEventBridge(t *testing.T) *synthesized {
	return synth(t, "eventbridge", eventBridgeContext)
}

// expect runs a Template assertion, which panics on failure, as a test error.
func expect(t *testing.T, what string, assertion func()) {
	t.Helper()
	if err := assertionError(assertion); err != nil {
		t.Errorf("%s:\n%v", what, err)
	}
}

// assertionError returns the failure of a Template assertion.
func assertionError(assertion func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	assertion()
	return nil
}

func (s *synthesized) hasProps(t *testing.T, what, typ string, props any) {
	t.Helper()
	expect(t, what, func() { s.Template.HasResourceProperties(jsii.String(typ), props) })
}

func (s *synthesized) count(t *testing.T, typ string, n int) {
	t.Helper()
	expect(t, fmt.Sprintf("%d %s", n, typ), func() { s.Template.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
}

// resources returns the template's resources of one type by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.JSON["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// logicalID returns the id of the only resource of typ whose id starts with prefix.
func (s *synthesized) logicalID(t *testing.T, typ, prefix string) string {
	t.Helper()
	var found []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s resources named %s*: %v, want exactly one", typ, prefix, found)
	}
	return found[0]
}

func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func ref(id string) map[string]any          { return map[string]any{"Ref": id} }

func like(pattern string) assertions.Matcher {
	return assertions.Match_StringLikeRegexp(jsii.String(pattern))
}
func arrayWith(items ...any) assertions.Matcher {
	return assertions.Match_ArrayWith(&items)
}
func objectLike(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func absent() assertions.Matcher                     { return assertions.Match_Absent() }
func anyValue() assertions.Matcher                   { return assertions.Match_AnyValue() }

// requireNode skips a test that needs the CDK's Node.js runtime where there
// is none, except in CI, where a missing node is a broken setup.
func requireNode(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not on PATH; the CDK (jsii) needs it")
		}
		t.Skip("node is not on PATH; the CDK (jsii) needs it")
	}
}

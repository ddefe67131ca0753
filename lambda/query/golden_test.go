package query

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
	"github.com/trailwatch/trailwatch/lambda/internal/golden"
)

// constructs exercises every construct of the pattern language, and the
// places of the CloudTrail table, once each.
var constructs = []string{
	// Values: bare word, quoted text, escapes.
	`{ $.eventName = ConsoleLogin }`,
	`{ $.eventName = "ConsoleLogin" }`,
	`{ $.eventName != "ConsoleLogin" }`,
	`{ $.errorMessage = "it's \"quoted\" \\ here" }`,
	// Wildcards in values.
	`{ $.eventName = * }`,
	`{ $.eventName = "*" }`,
	`{ $.errorCode = "AccessDenied*" }`,
	`{ $.errorCode = "*UnauthorizedOperation" }`,
	`{ $.errorCode != "AccessDenied*" }`,
	`{ $.errorMessage = "*denied*" }`,
	`{ $.userAgent = "aws-cli/*Python*" }`,
	`{ $.userIdentity.arn = "arn:aws:sts::*:assumed-role/*" }`,
	`{ $.requestParameters.bucketName = "logs-*-prod" }`,
	`{ $.userAgent = "a*b*c" }`,
	`{ $.requestParameters.enabled = "tr*" }`,
	// Regular expressions.
	`{ $.eventName = %^Delete% }`,
	`{ $.eventName != %Bucket[A-Z]{,3}% }`,
	`{ $.sourceIPAddress = %^10\.0\.\d{1,3}/x% }`,
	`{ $.requestParameters.flag = %ue$% }`,
	// Numbers against strings and JSON numbers.
	`{ $.requestParameters.maxResults = 100 }`,
	`{ $.requestParameters.maxResults != 100 }`,
	`{ $.requestParameters.maxResults = "100" }`,
	`{ $.requestParameters.maxResults > 50 }`,
	`{ $.requestParameters.ipPermissions.items[0].fromPort <= 22 }`,
	`{ $.eventVersion = 1.08 }`,
	`{ $.eventVersion >= 1 }`,
	// Booleans, null, existence.
	`{ $.readOnly IS FALSE }`,
	`{ $.readOnly IS TRUE }`,
	`{ $.readOnly = "true" }`,
	`{ $.requestParameters.enabled = "true" }`,
	`{ $.requestParameters.enabled IS TRUE }`,
	`{ $.managementEvent IS TRUE }`,
	`{ $.requestParameters.policy IS NULL }`,
	`{ $.responseElements IS NULL }`,
	`{ $.errorCode IS NULL }`,
	`{ $.userIdentity.invokedBy NOT EXISTS }`,
	`{ $.requestParameters.bucketName NOT EXISTS }`,
	`{ $.requestParameters NOT EXISTS }`,
	`{ $.userIdentity.sessionContext NOT EXISTS }`,
	// Selectors: structs, indexes, wildcards, quoted keys, unknown columns.
	`{ $.userIdentity.sessionContext.sessionIssuer.userName = "admin" }`,
	`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }`,
	`{ $.userIdentity.sessionContext.webIdFederationData.attributes.sub = "x" }`,
	`{ $.userIdentity.nope = "x" }`,
	`{ $.tlsDetails.tlsVersion = "TLSv1" }`,
	`{ $.resources[0].ARN = "arn:aws:s3:::secret" }`,
	`{ $.resources[*].ARN = "arn:aws:s3:::secret*" }`,
	`{ $.resources[*].ARN NOT EXISTS }`,
	`{ $.requestParameters.instancesSet.items[0].instanceId = "i-0abc" }`,
	`{ $.requestParameters.instancesSet.items[*].instanceId = "i-0abc" }`,
	`{ $.requestParameters.instancesSet.items[*] NOT EXISTS }`,
	`{ $.requestParameters.* = "x" }`,
	`{ $.* = "x" }`,
	`{ $.userIdentity.* = "x" }`,
	`{ $.requestParameters.['x.y'] = "z" }`,
	`{ $.requestParameters.some-key = "v" }`,
	`{ $.requestParameters.['say "hi"'] = "v" }`,
	`{ $.EventName = "X" }`,
	`{ $.eventName.x = "X" }`,
	// Logic and precedence.
	`{ $.errorCode = "AccessDenied" || $.eventName = "GetObject" && $.eventSource = "s3.amazonaws.com" }`,
	`{ (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail")) && ($.readOnly IS FALSE) }`,
	``,
}

func TestConstructs(t *testing.T) {
	for _, engine := range []string{EngineInsights, EngineAthena} {
		t.Run(engine, func(t *testing.T) {
			var b strings.Builder
			for _, src := range constructs {
				p, err := filterpattern.Parse(src)
				if err != nil {
					t.Fatalf("Parse(%q): %v", src, err)
				}
				b.WriteString("=== " + src + "\n")
				b.WriteString(render(translate(engine, p, Options{})))
			}
			checkGolden(t, "constructs-"+engine+".golden", b.String())
		})
	}
}

// TestRules translates the shipped rules: each must translate for both
// engines.
func TestRules(t *testing.T) {
	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{EngineInsights, EngineAthena} {
		t.Run(engine, func(t *testing.T) {
			var b strings.Builder
			for _, r := range rs.Rules() {
				q, err := translate(engine, r.Pattern, Options{Title: r.ID + " " + r.Title})
				if err != nil {
					t.Errorf("%s: %v", r.ID, err)
				}
				b.WriteString(render(q, err))
				b.WriteString("\n")
			}
			checkGolden(t, "rules-"+engine+".golden", b.String())
		})
	}
}

// TestExclusions leaves out the events of exclude entries, as the detector
// does, for both engines.
func TestExclusions(t *testing.T) {
	p, _ := filterpattern.Parse(`{ $.errorCode = "AccessDenied*" }`)
	x1, _ := filterpattern.Parse(`{ $.userIdentity.arn = "arn:aws:sts::*:assumed-role/scanner/*" }`)
	x2, _ := filterpattern.Parse(`{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "HeadBucket") }`)
	o := Options{Title: "t-denied", Exclude: []Exclusion{{x1, "the permission scanner, until 2030-01-31"}, {x2, "probes"}}}
	for _, engine := range []string{EngineInsights, EngineAthena} {
		q, err := translate(engine, p, o)
		checkGolden(t, "exclude-"+engine+".golden", render(q, err))
	}
}

func translate(engine string, p *filterpattern.Pattern, o Options) (string, error) {
	if engine == EngineInsights {
		return Insights(p, o)
	}
	return Athena(p, o)
}

func render(q string, err error) string {
	if err == nil {
		return q
	}
	var qe *Error
	if errors.As(err, &qe) {
		return "error: " + qe.Error() + "\n" + qe.Snippet() + "\n"
	}
	return "error: " + err.Error() + "\n"
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

package stack

import (
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Context keys read from cdk.json, cdk.context.json or `cdk synth -c key=value`.
const (
	KeyAlertEmails                = "alertEmails"
	KeyRetentionDays              = "retentionDays"
	KeyArchiveAfterDays           = "archiveAfterDays"
	KeyArchiveStorageClass        = "archiveStorageClass"
	KeyObjectLockMode             = "objectLockMode"
	KeyObjectLockDays             = "objectLockDays"
	KeyDataEvents                 = "dataEvents"
	KeyTrailKeyPrefix             = "trailKeyPrefix"
	KeyExistingTrailBucket        = "existingTrailBucket"
	KeyExistingTrailKMSKeyARN     = "existingTrailKmsKeyArn"
	KeyExistingTrailBucketTrigger = "existingTrailBucketTrigger"
	KeyDeadManMinutes             = "deadManMinutes"
	KeyLambdaMemoryMB             = "lambdaMemoryMb"
	KeyLambdaTimeoutSeconds       = "lambdaTimeoutSeconds"
	KeyReservedConcurrency        = "reservedConcurrency"
	KeyEventsPerAlert             = "eventsPerAlert"
	KeyLogLevel                   = "logLevel"
	KeyLambdaAssetDir             = "lambdaAssetDir"
	KeyCloudWatchCompat           = "cloudWatchCompat"
)

// Allowed values of the enumerated context keys.
const (
	ObjectLockGovernance = "GOVERNANCE"
	ObjectLockCompliance = "COMPLIANCE"

	DataEventsNone    = "none"
	DataEventsS3Write = "s3-write"

	StorageClassGlacierIR = "GLACIER_IR"
	StorageClassGlacier   = "GLACIER"

	TriggerS3Notification = "s3"
	TriggerEventBridge    = "eventbridge"
)

// Config is the validated deployment configuration.
type Config struct {
	AlertEmails                []string // one e-mail subscription each
	RetentionDays              int      // log objects expire after this many days
	ArchiveAfterDays           int      // log objects move to ArchiveStorageClass after this many days
	ArchiveStorageClass        string   // StorageClassGlacierIR or StorageClassGlacier
	ObjectLockMode             string   // ObjectLockGovernance or ObjectLockCompliance
	ObjectLockDays             int      // default Object Lock retention of every log object
	DataEvents                 string   // DataEventsNone or DataEventsS3Write
	TrailKeyPrefix             string   // "" or a prefix ending in "/" before AWSLogs/
	ExistingTrailBucket        string   // when set: no trail, no bucket; watch this bucket instead
	ExistingTrailKMSKeyARN     string   // key that encrypts the existing bucket's logs, if any
	ExistingTrailBucketTrigger string   // TriggerS3Notification or TriggerEventBridge
	DeadManMinutes             int      // alarm when no log file was processed for this long
	LambdaMemoryMB             int
	LambdaTimeoutSeconds       int
	ReservedConcurrency        int // 0 leaves the function unreserved
	EventsPerAlert             int
	LogLevel                   string // debug, info, warn or error
	LambdaAssetDir             string // directory holding the arm64 bootstrap
	// CloudWatchCompat also sends the trail to CloudWatch Logs, with one metric
	// filter and alarm per rule: the shape Security Hub CloudWatch.1-14 check.
	CloudWatchCompat bool
}

// DefaultConfig returns the configuration used for every key the context leaves unset.
func DefaultConfig() Config {
	return Config{
		RetentionDays:              400,
		ArchiveAfterDays:           90,
		ArchiveStorageClass:        StorageClassGlacierIR,
		ObjectLockMode:             ObjectLockGovernance,
		ObjectLockDays:             365,
		DataEvents:                 DataEventsNone,
		ExistingTrailBucketTrigger: TriggerS3Notification,
		DeadManMinutes:             60,
		LambdaMemoryMB:             256,
		LambdaTimeoutSeconds:       300,
		ReservedConcurrency:        10,
		EventsPerAlert:             20,
		LogLevel:                   "info",
		LambdaAssetDir:             "dist/lambda",
	}
}

// UsesExistingBucket reports whether the stack watches a bucket it does not create.
func (c Config) UsesExistingBucket() bool { return c.ExistingTrailBucket != "" }

// ContextGetter returns the raw context value of key, or nil when it is unset.
type ContextGetter func(key string) any

// ParseConfig reads and validates every context key. The error lists every
// problem found, one per line, each naming the key and the offending value.
func ParseConfig(get ContextGetter) (Config, error) {
	p := parser{get: get}
	c := DefaultConfig()

	c.AlertEmails = p.emails(KeyAlertEmails)
	c.RetentionDays = p.integer(KeyRetentionDays, c.RetentionDays, 365, 36500,
		"PCI DSS 10.7 keeps audit logs for at least a year")
	c.ArchiveAfterDays = p.integer(KeyArchiveAfterDays, c.ArchiveAfterDays, 1, 36500, "")
	c.ArchiveStorageClass = p.enum(KeyArchiveStorageClass, c.ArchiveStorageClass, StorageClassGlacierIR, StorageClassGlacier)
	c.ObjectLockMode = p.enum(KeyObjectLockMode, c.ObjectLockMode, ObjectLockGovernance, ObjectLockCompliance)
	c.ObjectLockDays = p.integer(KeyObjectLockDays, c.ObjectLockDays, 1, 36500, "")
	c.DataEvents = p.enum(KeyDataEvents, c.DataEvents, DataEventsNone, DataEventsS3Write)
	c.TrailKeyPrefix = p.keyPrefix(KeyTrailKeyPrefix)
	c.ExistingTrailBucket = p.bucketName(KeyExistingTrailBucket)
	c.ExistingTrailKMSKeyARN = p.kmsKeyARN(KeyExistingTrailKMSKeyARN)
	c.ExistingTrailBucketTrigger = p.enum(KeyExistingTrailBucketTrigger, c.ExistingTrailBucketTrigger, TriggerS3Notification, TriggerEventBridge)
	c.DeadManMinutes = p.integer(KeyDeadManMinutes, c.DeadManMinutes, 10, 1440,
		"CloudTrail delivers every few minutes and an alarm period is at most a day")
	c.LambdaMemoryMB = p.integer(KeyLambdaMemoryMB, c.LambdaMemoryMB, 128, 10240, "the Lambda limits")
	c.LambdaTimeoutSeconds = p.integer(KeyLambdaTimeoutSeconds, c.LambdaTimeoutSeconds, 10, 900, "the Lambda limits")
	c.ReservedConcurrency = p.integer(KeyReservedConcurrency, c.ReservedConcurrency, 0, 1000, "")
	c.EventsPerAlert = p.integer(KeyEventsPerAlert, c.EventsPerAlert, 1, 1000, "")
	c.LogLevel = p.enum(KeyLogLevel, c.LogLevel, "debug", "info", "warn", "error")
	c.LambdaAssetDir = p.str(KeyLambdaAssetDir, c.LambdaAssetDir)
	c.CloudWatchCompat = p.boolean(KeyCloudWatchCompat, c.CloudWatchCompat)

	if len(c.AlertEmails) == 0 && !p.failed(KeyAlertEmails) {
		p.addf(KeyAlertEmails, "no address given: alerts need at least one recipient, e.g. -c %s=secops@example.com", KeyAlertEmails)
	}
	if !p.failed(KeyArchiveAfterDays) && !p.failed(KeyRetentionDays) && c.ArchiveAfterDays >= c.RetentionDays {
		p.addf(KeyArchiveAfterDays, "%d must be less than %s (%d): objects would expire before they are archived",
			c.ArchiveAfterDays, KeyRetentionDays, c.RetentionDays)
	}
	if !p.failed(KeyObjectLockDays) && !p.failed(KeyRetentionDays) && c.ObjectLockDays > c.RetentionDays {
		p.addf(KeyObjectLockDays, "%d must not exceed %s (%d): lifecycle expiration cannot remove locked objects",
			c.ObjectLockDays, KeyRetentionDays, c.RetentionDays)
	}
	if c.UsesExistingBucket() {
		if c.DataEvents != DataEventsNone && !p.failed(KeyDataEvents) {
			p.addf(KeyDataEvents, "%q needs the trail this stack creates, but %s is set: configure data events on the existing trail",
				c.DataEvents, KeyExistingTrailBucket)
		}
		if c.CloudWatchCompat {
			p.addf(KeyCloudWatchCompat, "needs the trail this stack creates, but %s is set: send the existing trail to "+
				"CloudWatch Logs and create the metric filters on its log group (the rule files hold their exact texts)",
				KeyExistingTrailBucket)
		}
	} else {
		if c.ExistingTrailKMSKeyARN != "" {
			p.addf(KeyExistingTrailKMSKeyARN, "is set but %s is not: the stack's own trail uses the key it creates", KeyExistingTrailBucket)
		}
	}
	if c.DeadManMinutes%alarmPeriodMinutes != 0 && !p.failed(KeyDeadManMinutes) {
		p.addf(KeyDeadManMinutes, "%d is not a multiple of %d, the alarm period", c.DeadManMinutes, alarmPeriodMinutes)
	}
	if c.LambdaAssetDir == "" && !p.failed(KeyLambdaAssetDir) {
		p.addf(KeyLambdaAssetDir, "must not be empty")
	}
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ConfigError lists every invalid context key found by ParseConfig.
type ConfigError struct {
	Problems []Problem
}

// Problem is one invalid context value.
type Problem struct {
	Key string
	Msg string
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("context %q: %s", p.Key, p.Msg)
	}
	return strings.Join(lines, "\n")
}

type parser struct {
	get      ContextGetter
	problems []Problem
}

func (p *parser) addf(key, format string, args ...any) {
	p.problems = append(p.problems, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) failed(key string) bool {
	for _, pr := range p.problems {
		if pr.Key == key {
			return true
		}
	}
	return false
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Key < p.problems[j].Key })
	return &ConfigError{Problems: p.problems}
}

// str returns the trimmed string value of key, def when unset.
func (p *parser) str(key, def string) string {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case string:
		return strings.TrimSpace(v)
	default:
		p.addf(key, "%v is a %T, want a string", v, v)
		return def
	}
}

// integer accepts a JSON number from cdk.json or a decimal string from -c.
func (p *parser) integer(key string, def, lo, hi int, why string) int {
	var n int
	switch v := p.get(key).(type) {
	case nil:
		return def
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1e9 {
			p.addf(key, "%v is not a whole number", v)
			return def
		}
		n = int(v)
	case int:
		n = v
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return def
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			p.addf(key, "%q is not a whole number", v)
			return def
		}
		n = i
	default:
		p.addf(key, "%v is a %T, want a whole number", v, v)
		return def
	}
	if n < lo || n > hi {
		msg := fmt.Sprintf("%d is outside %d..%d", n, lo, hi)
		if why != "" {
			msg += " (" + why + ")"
		}
		p.addf(key, "%s", msg)
		return def
	}
	return n
}

// boolean accepts a JSON boolean from cdk.json or "true"/"false" from -c.
func (p *parser) boolean(key string, def bool) bool {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			return def
		case "true":
			return true
		case "false":
			return false
		}
		p.addf(key, "%q is not true or false", v)
		return def
	default:
		p.addf(key, "%v is a %T, want true or false", v, v)
		return def
	}
}

// enum matches the value against allowed, case-insensitively, and returns the
// allowed spelling.
func (p *parser) enum(key, def string, allowed ...string) string {
	raw := p.str(key, def)
	if raw == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(raw, a) {
			return a
		}
	}
	p.addf(key, "%q is not one of %s", raw, strings.Join(allowed, ", "))
	return def
}

// emails accepts a JSON list of strings (cdk.json) or one string of addresses
// separated by commas, semicolons or spaces (-c alertEmails=a@x.com,b@y.com).
func (p *parser) emails(key string) []string {
	var items []string
	switch v := p.get(key).(type) {
	case nil:
		return nil
	case string:
		items = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				p.addf(key, "list item %v is a %T, want a string", e, e)
				return nil
			}
			items = append(items, s)
		}
	case []string:
		items = v
	default:
		p.addf(key, "%v is a %T, want a list of addresses or a comma-separated string", v, v)
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, raw := range items {
		addr := strings.TrimSpace(raw)
		if addr == "" {
			continue
		}
		if !validEmail(addr) {
			p.addf(key, "%q is not an e-mail address", addr)
			continue
		}
		folded := strings.ToLower(addr)
		if seen[folded] {
			p.addf(key, "%q is listed twice", addr)
			continue
		}
		seen[folded] = true
		out = append(out, addr)
	}
	return out
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	kmsKeyARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	keyPrefixRE  = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/-]+/$`)
)

func (p *parser) bucketName(key string) string {
	name := p.str(key, "")
	if name == "" {
		return ""
	}
	if !bucketNameRE.MatchString(name) || strings.Contains(name, "..") {
		p.addf(key, "%q is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens; no s3:// prefix)", name)
		return ""
	}
	return name
}

func (p *parser) kmsKeyARN(key string) string {
	arn := p.str(key, "")
	if arn == "" {
		return ""
	}
	if !kmsKeyARNRE.MatchString(arn) {
		p.addf(key, "%q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)", arn)
		return ""
	}
	return arn
}

// keyPrefix normalises a CloudTrail S3 key prefix to "" or "<prefix>/".
func (p *parser) keyPrefix(key string) string {
	prefix := p.str(key, "")
	if prefix == "" {
		return ""
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "//") || !keyPrefixRE.MatchString(prefix) || len(prefix) > 200 {
		p.addf(key, "%q is not an S3 key prefix (no leading slash, no empty segments, safe characters only)", strings.TrimSuffix(prefix, "/"))
		return ""
	}
	if strings.Contains(prefix, "AWSLogs/") {
		p.addf(key, "%q must be the part before AWSLogs/, not include it", prefix)
		return ""
	}
	return prefix
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// s3Location is an s3://BUCKET[/PREFIX] argument of scan.
type s3Location struct {
	bucket, prefix string
}

func (l s3Location) String() string { return "s3://" + l.bucket + "/" + l.prefix }

// parseS3URL reads s3://BUCKET[/PREFIX].
func parseS3URL(arg string) (s3Location, error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		return s3Location{}, fmt.Errorf("%q is not an s3:// URL", arg)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !validBucketName(bucket) {
		return s3Location{}, fmt.Errorf("%q: %q is not an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-')", arg, bucket)
	}
	return s3Location{bucket: bucket, prefix: prefix}, nil
}

func validBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// archiveFlags are the scan flags that select objects of a trail's bucket.
type archiveFlags struct {
	since, until dateFlag
	accounts     listFlag
	regions      listFlag
	concurrency  int
}

// defaultConcurrency is how many objects are fetched and scanned at once.
const defaultConcurrency = 8

func addArchiveFlags(fs *flag.FlagSet) *archiveFlags {
	f := &archiveFlags{}
	fs.Var(&f.since, "since", "")
	fs.Var(&f.until, "until", "")
	fs.Var(&f.accounts, "account", "")
	fs.Var(&f.regions, "region", "")
	fs.IntVar(&f.concurrency, "concurrency", defaultConcurrency, "")
	return f
}

// filtering reports whether a flag narrows the objects.
func (f *archiveFlags) filtering() bool {
	return f.since.set || f.until.set || len(f.accounts) > 0 || len(f.regions) > 0
}

// split separates the s3:// arguments from local paths and checks that the
// flags fit them: s3:// URLs and local paths do not mix, and the archive
// flags need s3:// URLs.
func (f *archiveFlags) split(paths []string) ([]s3Location, error) {
	var locs []s3Location
	local := 0
	for _, p := range paths {
		if !strings.HasPrefix(p, "s3://") {
			local++
			continue
		}
		loc, err := parseS3URL(p)
		if err != nil {
			return nil, err
		}
		locs = append(locs, loc)
	}
	switch {
	case len(locs) > 0 && local > 0:
		return nil, errors.New("s3:// URLs and local paths cannot be scanned in one run")
	case len(locs) == 0 && f.filtering():
		return nil, errors.New("--since, --until, --account and --region select objects of an s3:// URL; no s3:// URL given")
	case f.concurrency < 1 || f.concurrency > 256:
		return nil, fmt.Errorf("--concurrency must be from 1 to 256, not %d", f.concurrency)
	case f.since.set && f.until.set && f.until.t.Before(f.since.t):
		return nil, fmt.Errorf("--until %s is before --since %s", f.until.String(), f.since.String())
	}
	for _, a := range f.accounts {
		if !isAccountID(a) {
			return nil, fmt.Errorf("--account %q is not a 12-digit AWS account ID", a)
		}
	}
	for _, r := range f.regions {
		if !isRegionName(r) {
			return nil, fmt.Errorf("--region %q is not an AWS region name such as us-east-1", r)
		}
	}
	return locs, nil
}

// keyFilter selects log files by the account, region and day in their key.
type keyFilter struct {
	since, until time.Time // days, inclusive; zero: open
	accounts     []string  // empty: all
	regions      []string  // empty: all
}

func (f *archiveFlags) keyFilter() keyFilter {
	return keyFilter{since: f.since.t, until: f.until.t, accounts: f.accounts, regions: f.regions}
}

// account reports whether the account's files are wanted.
func (kf keyFilter) account(id string) bool {
	return len(kf.accounts) == 0 || slices.Contains(kf.accounts, id)
}

// region reports whether the region's files are wanted.
func (kf keyFilter) region(name string) bool {
	return len(kf.regions) == 0 || slices.Contains(kf.regions, name)
}

// accepts reports whether a log file's key passes every filter.
func (kf keyFilter) accepts(k cloudtrail.Key) bool {
	if !kf.account(k.Account) || !kf.region(k.Region) {
		return false
	}
	if !kf.since.IsZero() && k.Date.Before(kf.since) {
		return false
	}
	return kf.until.IsZero() || !k.Date.After(kf.until)
}

// dateLayout is how --since and --until are written, as in CloudTrail keys.
const dateLayout = "2006-01-02"

// dateFlag is a day: YYYY-MM-DD, or Nd for N days before today (UTC).
type dateFlag struct {
	t   time.Time
	set bool
	now func() time.Time // time.Now when nil
}

func (d *dateFlag) String() string {
	if !d.set {
		return ""
	}
	return d.t.Format(dateLayout)
}

func (d *dateFlag) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return fmt.Errorf("%q is neither YYYY-MM-DD nor a number of days such as 30d", s)
		}
		now := time.Now
		if d.now != nil {
			now = d.now
		}
		today := now().UTC().Truncate(24 * time.Hour)
		d.t, d.set = today.AddDate(0, 0, -days), true
		return nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return fmt.Errorf("%q is neither YYYY-MM-DD nor a number of days such as 30d", s)
	}
	d.t, d.set = t, true
	return nil
}

// listFlag collects a flag given several times or as a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(*l, v) {
			*l = append(*l, v)
		}
	}
	return nil
}

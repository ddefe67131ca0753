package main

import (
	"context"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// objectLister is the S3 listing call; *s3.Client implements it.
type objectLister interface {
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// s3Object is one listed object.
type s3Object struct {
	bucket, key string
	size        int64
}

// level is where a prefix sits in a trail's layout,
// [prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/.
type level int

const (
	levelAbove   level = iota // the trail's own key prefix, above AWSLogs/
	levelAWSLogs              // AWSLogs/: organization ids and accounts
	levelOrg                  // AWSLogs/o-…/: accounts
	levelAccount              // …/<account>/: CloudTrail/, CloudTrail-Digest/, other services
	levelTrail                // …/CloudTrail/: regions
	levelRegion               // …/CloudTrail/<region>/: days
)

// maxPrefixDepth bounds how many folders deep a trail's key prefix is
// searched for AWSLogs/.
const maxPrefixDepth = 3

// listing walks a trail's bucket and yields the log files the filter
// accepts, in key order. It descends the layout with delimited listings,
// so that only the accounts and regions asked for are listed, never the
// digest and Insights folders, and within a region only the days asked for
// (from --since, up to --until); a prefix that ends inside the layout is
// listed flat and filtered by key.
type listing struct {
	api    objectLister
	bucket string
	filter keyFilter
	found  func(obj s3Object) error // a log file to scan; an error stops the listing
	skip   func(reason string)      // a listed object that is not a log file
}

// run lists the log files under prefix.
func (l *listing) run(ctx context.Context, prefix string) error {
	lv, ok := levelOf(prefix)
	if !ok {
		return l.flat(ctx, prefix, "", "")
	}
	return l.walk(ctx, prefix, lv, 0)
}

// levelOf places a prefix that ends with "/" (or is empty) in the layout;
// ok is false for any other prefix.
func levelOf(prefix string) (level, bool) {
	if prefix == "" {
		return levelAbove, true
	}
	if !strings.HasSuffix(prefix, "/") {
		return 0, false
	}
	segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	at := -1
	for i, s := range segs {
		if s == "AWSLogs" {
			at = i
		}
	}
	if at < 0 {
		return levelAbove, true
	}
	lv := levelAWSLogs
	for _, s := range segs[at+1:] {
		switch {
		case lv == levelAWSLogs && isOrgID(s):
			lv = levelOrg
		case (lv == levelAWSLogs || lv == levelOrg) && isAccountID(s):
			lv = levelAccount
		case lv == levelAccount && s == "CloudTrail":
			lv = levelTrail
		case lv == levelTrail && isRegionName(s):
			lv = levelRegion
		default:
			return 0, false
		}
	}
	return lv, true
}

func (l *listing) walk(ctx context.Context, prefix string, lv level, depth int) error {
	if lv == levelAccount {
		// Only CloudTrail/ holds events; digests and Insights are not listed.
		return l.walk(ctx, prefix+"CloudTrail/", levelTrail, depth)
	}
	if lv == levelRegion {
		return l.days(ctx, prefix)
	}
	dirs, err := l.dir(ctx, prefix)
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		name := path.Base(dir)
		var next level
		switch {
		case lv == levelAbove && name == "AWSLogs":
			next = levelAWSLogs
		case lv == levelAbove && depth < maxPrefixDepth:
			if err := l.walk(ctx, dir, levelAbove, depth+1); err != nil {
				return err
			}
			continue
		case lv == levelAWSLogs && isOrgID(name):
			next = levelOrg
		case (lv == levelAWSLogs || lv == levelOrg) && isAccountID(name):
			if !l.filter.account(name) {
				continue
			}
			next = levelAccount
		case lv == levelTrail && isRegionName(name):
			if !l.filter.region(name) {
				continue
			}
			next = levelRegion
		default:
			continue
		}
		if err := l.walk(ctx, dir, next, depth); err != nil {
			return err
		}
	}
	return nil
}

// dir lists the folders directly under prefix, in key order; the objects
// directly under it are not log files.
func (l *listing) dir(ctx context.Context, prefix string) ([]string, error) {
	var dirs []string
	p := s3.NewListObjectsV2Paginator(l.api, &s3.ListObjectsV2Input{
		Bucket: aws.String(l.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, &listError{where: "s3://" + l.bucket + "/" + prefix, err: err}
		}
		for _, cp := range page.CommonPrefixes {
			dirs = append(dirs, aws.ToString(cp.Prefix))
		}
		for _, obj := range page.Contents {
			l.skipKey(aws.ToString(obj.Key))
		}
	}
	return dirs, nil
}

// days lists one region's folder from the first day to the last wanted.
func (l *listing) days(ctx context.Context, prefix string) error {
	var after, stop string
	if !l.filter.since.IsZero() {
		// Keys of that day, "YYYY/MM/DD/…", sort after "YYYY/MM/DD".
		after = prefix + l.filter.since.Format("2006/01/02")
	}
	if !l.filter.until.IsZero() {
		stop = prefix + l.filter.until.AddDate(0, 0, 1).Format("2006/01/02")
	}
	return l.flat(ctx, prefix, after, stop)
}

// flat lists every object under prefix after the key after, stopping at
// the first key not below stop ("" for no bound).
func (l *listing) flat(ctx context.Context, prefix, after, stop string) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(l.bucket), Prefix: aws.String(prefix)}
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	p := s3.NewListObjectsV2Paginator(l.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return &listError{where: "s3://" + l.bucket + "/" + prefix, err: err}
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if stop != "" && key >= stop {
				return nil
			}
			k := cloudtrail.ClassifyKey(key)
			if k.Kind != cloudtrail.KindLog {
				l.skipKey(key)
				continue
			}
			if !l.filter.accepts(k) {
				continue
			}
			if err := l.found(s3Object{bucket: l.bucket, key: key, size: aws.ToInt64(obj.Size)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// skipKey reports an object that is not a log file, with the short reasons
// a local scan gives.
func (l *listing) skipKey(key string) {
	switch cloudtrail.ClassifyKey(key).Kind {
	case cloudtrail.KindDigest:
		l.skip("CloudTrail digest file")
	case cloudtrail.KindInsight:
		l.skip("CloudTrail Insights file")
	default:
		l.skip("not a CloudTrail log file")
	}
}

// listError is a failed listing request.
type listError struct {
	where string
	err   error
}

func (e *listError) Error() string { return "list " + e.where + ": " + e.err.Error() }

func (e *listError) Unwrap() error { return e.err }

func isAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// isOrgID matches an AWS Organizations ID: "o-" and 10 to 32 lower-case
// letters or digits.
func isOrgID(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	return ok && len(id) >= 10 && len(id) <= 32 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}

// isRegionName asks the key classification the detector uses, the one judge
// of region names.
func isRegionName(s string) bool {
	return s != "" && cloudtrail.ClassifyKey("AWSLogs/111111111111/CloudTrail/"+s+"/2000/01/01/x").Region == s
}

package query

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Location is where a trail's log files are: s3://Bucket/[Prefix/]AWSLogs/
// [OrgID/]<account>/CloudTrail/<region>/YYYY/MM/DD/.
type Location struct {
	Bucket string
	Prefix string // "" or the trail's key prefix ending in "/"
	OrgID  string // the organization id of an organization trail, "" otherwise
}

var (
	bucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	orgIDRE   = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	dayRE     = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}$`)
)

// ParseLocation reads s3://BUCKET[/PREFIX] as the bucket and key prefix a
// trail delivers to. The URI may go on to AWSLogs/ and, for an
// organization trail, AWSLogs/o-<organization id>/.
func ParseLocation(uri string) (Location, error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("%q is not an s3://BUCKET/PREFIX location", uri)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if !bucketRE.MatchString(bucket) || strings.Contains(bucket, "..") {
		return Location{}, fmt.Errorf("%q is not an S3 bucket name", bucket)
	}
	loc := Location{Bucket: bucket}
	var segs []string
	for _, s := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		if s != "" {
			segs = append(segs, s)
		} else if key != "" && key != "/" {
			return Location{}, fmt.Errorf("%q has an empty path segment", uri)
		}
	}
	for i, s := range segs {
		if s != "AWSLogs" {
			continue
		}
		after := segs[i+1:]
		switch {
		case len(after) == 0:
		case len(after) == 1 && orgIDRE.MatchString(after[0]):
			loc.OrgID = after[0]
		default:
			return Location{}, fmt.Errorf("%q: give the location up to AWSLogs/ (or AWSLogs/o-ORGID/ for an organization trail), "+
				"the table covers every account, Region and day below it", uri)
		}
		segs = segs[:i]
		break
	}
	if len(segs) > 0 {
		loc.Prefix = strings.Join(segs, "/") + "/"
	}
	return loc, nil
}

// logsRoot is the S3 location of AWSLogs/ (and the organization id).
func (l Location) logsRoot() string {
	root := "s3://" + l.Bucket + "/" + l.Prefix + "AWSLogs/"
	if l.OrgID != "" {
		root += l.OrgID + "/"
	}
	return root
}

// String returns the location as an s3:// URI up to AWSLogs/.
func (l Location) String() string { return l.logsRoot() }

// Regions are the AWS Regions a multi-Region trail writes to, as of 2026,
// for the region partition.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
	"eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
	"me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// TableOptions shape the CREATE TABLE statement.
type TableOptions struct {
	Table string // "" means DefaultTable
	// Accounts lists the accounts whose logs the table reads. With none,
	// the account partition is injected: every query must then say
	// account = '<id>'.
	Accounts []string
	// Regions overrides the Regions of the region partition.
	Regions []string
	// Since is the first day (yyyy/MM/dd) of the day partition; "" means
	// 2013/11/01, when CloudTrail began.
	Since string
}

// TableDDL returns the CREATE EXTERNAL TABLE statement for the trail's log
// files at loc: the columns AWS documents for CloudTrail, partitioned by
// account, Region and day, with partition projection over the layout
// CloudTrail writes, so no partition is ever added by hand or by a crawler.
// The day partition is the text yyyy/MM/dd; query it with
// day >= '2026/01/01' or day BETWEEN '2026/01/01' AND '2026/01/31'.
func TableDDL(loc Location, o TableOptions) (string, error) {
	table := o.Table
	if table == "" {
		table = DefaultTable
	}
	if !tableNameRE.MatchString(table) {
		return "", fmt.Errorf("%q is not a table name (letters, digits and _, optionally database.table)", table)
	}
	var errs []error
	for _, a := range o.Accounts {
		if !accountRE.MatchString(a) {
			errs = append(errs, fmt.Errorf("%q is not an AWS account id (12 digits)", a))
		}
	}
	regions := o.Regions
	if len(regions) == 0 {
		regions = Regions
	}
	for _, r := range regions {
		if !regionRE.MatchString(r) {
			errs = append(errs, fmt.Errorf("%q is not an AWS Region name", r))
		}
	}
	since := o.Since
	if since == "" {
		since = "2013/11/01"
	}
	if !dayRE.MatchString(since) {
		errs = append(errs, fmt.Errorf("%q is not a day written yyyy/MM/dd", since))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "-- CloudTrail log files under %s, partitioned by account, Region and day.\n", loc.logsRoot())
	b.WriteString("-- Partition projection computes the partitions from the key layout: no crawler, no MSCK REPAIR TABLE.\n")
	if len(o.Accounts) == 0 {
		b.WriteString("-- The account partition is injected: every query must say account = '<12-digit id>'.\n")
	}
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s (\n", table)
	for i, c := range cloudTrailTable.Fields {
		sep := ","
		if i == len(cloudTrailTable.Fields)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", c.name(), hiveType(c), sep)
	}
	b.WriteString(")\n")
	b.WriteString("PARTITIONED BY (account STRING, region STRING, day STRING)\n")
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION '%s'\n", loc.logsRoot())
	b.WriteString("TBLPROPERTIES (\n")
	props := [][2]string{{"projection.enabled", "true"}}
	if len(o.Accounts) == 0 {
		props = append(props, [2]string{"projection.account.type", "injected"})
	} else {
		props = append(props, [2]string{"projection.account.type", "enum"},
			[2]string{"projection.account.values", strings.Join(o.Accounts, ",")})
	}
	props = append(props,
		[2]string{"projection.region.type", "enum"},
		[2]string{"projection.region.values", strings.Join(regions, ",")},
		[2]string{"projection.day.type", "date"},
		[2]string{"projection.day.format", "yyyy/MM/dd"},
		[2]string{"projection.day.range", since + ",NOW"},
		[2]string{"projection.day.interval", "1"},
		[2]string{"projection.day.interval.unit", "DAYS"},
		[2]string{"storage.location.template", loc.logsRoot() + "${account}/CloudTrail/${region}/${day}"},
	)
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  '%s' = '%s'%s\n", p[0], p[1], sep)
	}
	b.WriteString(");\n")
	return b.String(), nil
}

// hiveType renders a column's type for the DDL.
func hiveType(c *column) string {
	switch c.Kind {
	case kindStruct, kindStructArray:
		fields := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			fields[i] = f.name() + ": " + hiveType(f)
		}
		s := "STRUCT<" + strings.Join(fields, ", ") + ">"
		if c.Kind == kindStructArray {
			return "ARRAY<" + s + ">"
		}
		return s
	case kindMap:
		return "MAP<STRING, STRING>"
	}
	return "STRING"
}

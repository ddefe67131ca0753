package query

import (
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		uri     string
		want    Location
		wantErr string
	}{
		{uri: "s3://trail-logs", want: Location{Bucket: "trail-logs"}},
		{uri: "s3://trail-logs/", want: Location{Bucket: "trail-logs"}},
		{uri: "s3://trail-logs/audit", want: Location{Bucket: "trail-logs", Prefix: "audit/"}},
		{uri: "s3://trail-logs/a/b/", want: Location{Bucket: "trail-logs", Prefix: "a/b/"}},
		{uri: "s3://trail-logs/audit/AWSLogs/", want: Location{Bucket: "trail-logs", Prefix: "audit/"}},
		{uri: "s3://trail-logs/AWSLogs/o-a1b2c3d4e5", want: Location{Bucket: "trail-logs", OrgID: "o-a1b2c3d4e5"}},
		{uri: "trail-logs/audit", wantErr: "not an s3://BUCKET/PREFIX location"},
		{uri: "s3://Trail_Logs", wantErr: "not an S3 bucket name"},
		{uri: "s3://trail-logs/a//b", wantErr: "empty path segment"},
		{uri: "s3://trail-logs/AWSLogs/111122223333/CloudTrail", wantErr: "give the location up to AWSLogs/"},
	}
	for _, tt := range tests {
		got, err := ParseLocation(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLocation(%q) error = %v, want %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tt.uri, got, err, tt.want)
		}
	}
}

func TestTableDDL(t *testing.T) {
	tests := []struct {
		golden string
		uri    string
		opts   TableOptions
	}{
		{"table-injected.golden", "s3://trail-logs", TableOptions{}},
		{"table-org.golden", "s3://org-trail/audit/AWSLogs/o-a1b2c3d4e5/", TableOptions{
			Table: "security.cloudtrail", Accounts: []string{"111122223333", "444455556666"},
			Regions: []string{"us-east-1", "eu-west-1"}, Since: "2026/01/01",
		}},
	}
	for _, tt := range tests {
		loc, err := ParseLocation(tt.uri)
		if err != nil {
			t.Fatal(err)
		}
		ddl, err := TableDDL(loc, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.golden, err)
		}
		checkGolden(t, tt.golden, ddl)
	}
}

func TestTableDDL_errors(t *testing.T) {
	loc := Location{Bucket: "trail-logs"}
	_, err := TableDDL(loc, TableOptions{Table: "bad-name", Accounts: []string{"12345"}, Regions: []string{"mars-1"}, Since: "2026-01-01"})
	if err == nil {
		t.Fatal("TableDDL accepted bad options")
	}
	_, err = TableDDL(loc, TableOptions{Accounts: []string{"12345"}, Regions: []string{"mars-1"}, Since: "2026-01-01"})
	for _, want := range []string{`"12345" is not an AWS account id`, `"mars-1" is not an AWS Region`, `"2026-01-01" is not a day`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("TableDDL error %v does not say %q", err, want)
		}
	}
}

// TestTableColumnsMatchTranslation keeps the DDL and the translation on one
// schema: every column the translation may name is in the DDL.
func TestTableColumnsMatchTranslation(t *testing.T) {
	ddl, err := TableDDL(Location{Bucket: "trail-logs"}, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING,",
		"sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>",
		"webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>",
		"  requestparameters STRING,",
		"  readonly STRING,",
		"  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,",
		"  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>\n)",
		"'storage.location.template' = 's3://trail-logs/AWSLogs/${account}/CloudTrail/${region}/${day}'",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL lacks %q:\n%s", want, ddl)
		}
	}
}

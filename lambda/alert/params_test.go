package alert

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSelectParams(t *testing.T) {
	tests := []struct {
		name, raw string
		want      Params
	}{
		{"null", `null`, nil},
		{"empty", `{}`, nil},
		{"not an object", `"x"`, nil},
		{"bucket policy", `{"bucketName":"logs","Host":"logs.s3.amazonaws.com","bucketPolicy":{"Version":"2012-10-17","Statement":[]},"policy":""}`,
			Params{{"bucketName", "logs"}, {"bucketPolicy", `{"Version":"2012-10-17","Statement":[]}`}}},
		{"known keys by relevance", `{"vpcId":"vpc-1","routeTableId":"rtb-1","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-1"}`,
			Params{{"routeTableId", "rtb-1"}, {"vpcId", "vpc-1"}, {"destinationCidrBlock", "0.0.0.0/0"}, {"gatewayId", "igw-1"}}},
		{"flat security group rule", `{"groupId":"sg-1","ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0","ipPermissions":{}}`,
			Params{{"groupId", "sg-1"}, {"ipProtocol", "tcp"}, {"fromPort", "22"}, {"toPort", "22"}, {"cidrIp", "0.0.0.0/0"}}},
		{"port range and ICMP", `{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":0,"toPort":65535,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},{"ipProtocol":"icmp","fromPort":-1,"toPort":-1}]}}`,
			Params{{"ipPermissions", "tcp ports 0-65535 from 10.0.0.0/8; icmp"}}},
		{"KMS deletion", `{"keyId":"arn:aws:kms:us-east-1:123456789012:key/1234abcd","pendingWindowInDays":7}`,
			Params{{"keyId", "arn:aws:kms:us-east-1:123456789012:key/1234abcd"}, {"pendingWindowInDays", "7"}}},
		{"network ACL entry", `{"networkAclId":"acl-1","ruleNumber":100,"egress":false,"ruleAction":"allow","icmpTypeCode":{},"portRange":{"from":22,"to":22},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}`,
			Params{{"networkAclId", "acl-1"}, {"cidrBlock", "0.0.0.0/0"}, {"ruleNumber", "100"}, {"ruleAction", "allow"}, {"egress", "false"}, {"portRange", `{"from":22,"to":22}`}}},
		{"unknown keys fall back to scalars by name", `{"zeta":"z","alpha":1,"nested":{"a":1},"beta":true}`,
			Params{{"alpha", "1"}, {"beta", "true"}, {"zeta", "z"}}},
		{"capped", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
			Params{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := selectParams("AuthorizeSecurityGroupIngress", []byte(tt.raw)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("selectParams(%s) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSelectParams_egress(t *testing.T) {
	raw := `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"6","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`
	want := Params{{"groupId", "sg-1"}, {"ipPermissions", "tcp port 443 to 0.0.0.0/0"}}
	if got := selectParams("AuthorizeSecurityGroupEgress", []byte(raw)); !reflect.DeepEqual(got, want) {
		t.Errorf("selectParams(egress) = %q, want %q", got, want)
	}
}

func TestSelectParams_longValueCut(t *testing.T) {
	doc := `{"policyDocument":"` + strings.Repeat("x", 5000) + `"}`
	got := selectParams("PutUserPolicy", []byte(doc))
	if len(got) != 1 || len([]rune(got[0].Value)) > maxValue || !strings.HasSuffix(got[0].Value, ellipsis) {
		t.Errorf("selectParams(5000-byte policy) = %q, want one value of at most %d runes ending in %q", got, maxValue, ellipsis)
	}
}

func TestParams_JSON(t *testing.T) {
	ps := Params{{"zeta", "1"}, {"alpha", "a \"quoted\" <value>"}}
	data, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"zeta":"1","alpha":"a \"quoted\" \u003cvalue\u003e"}`
	if string(data) != want {
		t.Errorf("Marshal = %s, want %s (slice order kept)", data, want)
	}
	var back Params
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ps) {
		t.Errorf("Unmarshal(%s) = %q, want %q", data, back, ps)
	}
	var mixed Params
	if err := json.Unmarshal([]byte(`{"n":7,"s":"x","o":{"a":1}}`), &mixed); err != nil {
		t.Fatal(err)
	}
	if want := (Params{{"n", "7"}, {"s", "x"}, {"o", `{"a":1}`}}); !reflect.DeepEqual(mixed, want) {
		t.Errorf("Unmarshal(mixed) = %q, want %q", mixed, want)
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Error("Unmarshal([1]) succeeded, want an error")
	}
}

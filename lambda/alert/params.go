package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Param is one request parameter, its value summarised as text.
type Param struct {
	Name, Value string
}

// Params is an ordered selection of request parameters. It is written as a
// JSON object whose keys keep the slice's order.
type Params []Param

// maxParams caps how many request parameters an event shows.
const maxParams = 6

// relevantParams lists, most telling first, the request parameters that say
// what a CIS-monitored call changed: the resource it touched and the setting
// it applied.
var relevantParams = []string{
	// resources
	"bucketName", "groupId", "groupName", "trailName", "name", "keyId",
	"policyArn", "roleName", "userName", "policyName", "routeTableId",
	"networkAclId", "internetGatewayId", "customerGatewayId", "vpcId",
	"configurationRecorderName", "deliveryChannelName", "instanceId",
	// settings
	"ipPermissions", "ipProtocol", "fromPort", "toPort", "cidrIp", "cidrIpv6",
	"destinationCidrBlock", "gatewayId", "cidrBlock", "ruleNumber", "ruleAction",
	"egress", "portRange", "pendingWindowInDays", "s3BucketName",
	"isMultiRegionTrail", "enableLogFileValidation", "configurationRecorder",
	"deliveryChannel", "policyDocument", "bucketPolicy", "policy",
}

var relevantRank = func() map[string]int {
	m := make(map[string]int, len(relevantParams))
	for i, k := range relevantParams {
		if _, dup := m[k]; !dup {
			m[k] = i
		}
	}
	return m
}()

// selectParams picks the few request parameters that matter from raw, the
// requestParameters object of event eventName. Known keys come first in
// relevantParams order; when none is known, the first scalar keys in name
// order stand in.
func selectParams(eventName string, raw []byte) Params {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || len(fields) == 0 {
		return nil
	}
	var known, other []string
	for k, v := range fields {
		if isEmptyJSON(v) {
			continue
		}
		if _, ok := relevantRank[k]; ok {
			known = append(known, k)
		} else if isScalarJSON(v) {
			other = append(other, k)
		}
	}
	sort.Slice(known, func(i, j int) bool { return relevantRank[known[i]] < relevantRank[known[j]] })
	sort.Strings(other)
	keys := known
	if len(keys) == 0 {
		keys = other
	}
	if len(keys) > maxParams {
		keys = keys[:maxParams]
	}
	ps := make(Params, 0, len(keys))
	for _, k := range keys {
		v := summarise(eventName, k, fields[k])
		if v == "" {
			continue
		}
		ps = append(ps, Param{Name: cleanLine(k, maxShort), Value: v})
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func isEmptyJSON(v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case "", "null", "{}", "[]", `""`:
		return true
	}
	return false
}

func isScalarJSON(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] != '{' && v[0] != '['
}

// summarise turns one parameter value into short, clean text: strings
// unquoted, numbers and booleans as written, security group permissions as
// "tcp port 22 from 0.0.0.0/0", other structures as compact JSON.
func summarise(eventName, name string, v json.RawMessage) string {
	if name == "ipPermissions" {
		peer := "from"
		if strings.Contains(eventName, "Egress") {
			peer = "to"
		}
		if s := summariseIPPermissions(v, peer); s != "" {
			return cleanLine(s, maxValue)
		}
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return cleanLine(s, maxValue)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return ""
	}
	return cleanLine(buf.String(), maxValue)
}

// ipPermission is the shape EC2 records for security group rules, as
// "ipPermissions": {"items": [...]}.
type ipPermission struct {
	IPProtocol string           `json:"ipProtocol"`
	FromPort   *json.Number     `json:"fromPort"`
	ToPort     *json.Number     `json:"toPort"`
	IPRanges   itemList[cidr]   `json:"ipRanges"`
	IPv6Ranges itemList[cidr]   `json:"ipv6Ranges"`
	Groups     itemList[group]  `json:"groups"`
	PrefixList itemList[prefix] `json:"prefixListIds"`
}

type itemList[T any] struct {
	Items []T `json:"items"`
}

type cidr struct {
	CidrIP   string `json:"cidrIp"`
	CidrIPv6 string `json:"cidrIpv6"`
}

type group struct {
	GroupID string `json:"groupId"`
}

type prefix struct {
	PrefixListID string `json:"prefixListId"`
}

// summariseIPPermissions renders security group rules as
// "tcp port 22 from 0.0.0.0/0, ::/0; all from sg-123", with peer ("from" or
// "to") before the sources or destinations. It returns "" when v is not in
// the expected shape.
func summariseIPPermissions(v json.RawMessage, peer string) string {
	var perms itemList[ipPermission]
	if err := json.Unmarshal(v, &perms); err != nil || len(perms.Items) == 0 {
		return ""
	}
	var rules []string
	for _, p := range perms.Items {
		var b strings.Builder
		b.WriteString(protocolName(p.IPProtocol))
		if ports := portRange(p.FromPort, p.ToPort); ports != "" {
			b.WriteString(" " + ports)
		}
		var from []string
		for _, r := range p.IPRanges.Items {
			from = appendNonEmpty(from, r.CidrIP)
		}
		for _, r := range p.IPv6Ranges.Items {
			from = appendNonEmpty(from, r.CidrIPv6)
		}
		for _, g := range p.Groups.Items {
			from = appendNonEmpty(from, g.GroupID)
		}
		for _, pl := range p.PrefixList.Items {
			from = appendNonEmpty(from, pl.PrefixListID)
		}
		if len(from) > 0 {
			b.WriteString(" " + peer + " " + strings.Join(from, ", "))
		}
		rules = append(rules, b.String())
	}
	return strings.Join(rules, "; ")
}

func appendNonEmpty(list []string, s string) []string {
	if s == "" {
		return list
	}
	return append(list, s)
}

func protocolName(p string) string {
	switch p {
	case "-1", "":
		return "all"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	}
	return p
}

func portRange(from, to *json.Number) string {
	switch {
	case from == nil && to == nil:
		return ""
	case from == nil:
		return "port " + to.String()
	case to == nil || *from == *to:
		if from.String() == "-1" {
			return ""
		}
		return "port " + from.String()
	}
	if from.String() == "-1" && to.String() == "-1" {
		return ""
	}
	return "ports " + from.String() + "-" + to.String()
}

// MarshalJSON writes the parameters as one object, in slice order.
func (ps Params) MarshalJSON() ([]byte, error) {
	if ps == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(p.Name)
		if err != nil {
			return nil, fmt.Errorf("request parameter name: %w", err)
		}
		v, err := json.Marshal(p.Value)
		if err != nil {
			return nil, fmt.Errorf("request parameter %q: %w", p.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of parameters, keeping the document's order.
// Values that are not strings keep their JSON text.
func (ps *Params) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*ps = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("request parameters: expected an object")
	}
	out := Params{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("request parameters: %w", err)
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("request parameter %q: %w", name, err)
		}
		value := string(v)
		var str string
		if json.Unmarshal(v, &str) == nil {
			value = str
		}
		out = append(out, Param{Name: name, Value: value})
	}
	*ps = out
	return nil
}

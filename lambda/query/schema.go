package query

import "strings"

// kind is what a column of the CloudTrail table holds, as CloudTrail writes
// it. The translations rely on it: CloudTrail never writes a JSON null, a
// number or an object where the table has a STRING, so a NULL there means
// the key is missing.
type kind uint8

const (
	kindString      kind = iota + 1 // a JSON string
	kindBool                        // a JSON boolean, stored as the text 'true' or 'false'
	kindJSON                        // a JSON object (or null), stored as its JSON text
	kindStruct                      // a JSON object with the listed fields
	kindStructArray                 // a JSON array of objects with the listed fields
	kindMap                         // a JSON object of strings, stored as MAP<STRING,STRING>
)

// column is a column of the CloudTrail table, or a field of a struct column.
type column struct {
	Key    string // the JSON key as CloudTrail spells it (keys are case sensitive in patterns)
	Kind   kind
	Fields []*column // kindStruct, kindStructArray
}

// name is the column's name in the table: Hive lower-cases names, and the
// SerDe matches JSON keys without regard to case.
func (c *column) name() string { return strings.ToLower(c.Key) }

// field returns the struct field with JSON key key, or nil.
func (c *column) field(key string) *column {
	for _, f := range c.Fields {
		if f.Key == key {
			return f
		}
	}
	return nil
}

func strCol(key string) *column  { return &column{Key: key, Kind: kindString} }
func jsonCol(key string) *column { return &column{Key: key, Kind: kindJSON} }
func structCol(key string, fields ...*column) *column {
	return &column{Key: key, Kind: kindStruct, Fields: fields}
}

// cloudTrailTable is the table AWS documents for CloudTrail logs in Athena
// (Athena User Guide, "Create a table for CloudTrail logs"), column for
// column: STRING for strings, STRUCT for userIdentity and the other objects
// of fixed shape, and STRING holding JSON text for requestParameters,
// responseElements, additionalEventData, serviceEventDetails and
// edgeDeviceDetails.
var cloudTrailTable = &column{Kind: kindStruct, Fields: []*column{
	strCol("eventVersion"),
	structCol("userIdentity",
		strCol("type"), strCol("principalId"), strCol("arn"), strCol("accountId"), strCol("invokedBy"), strCol("accessKeyId"), strCol("userName"),
		structCol("onBehalfOf", strCol("userId"), strCol("identityStoreArn")),
		structCol("sessionContext",
			structCol("attributes", strCol("mfaAuthenticated"), strCol("creationDate")),
			structCol("sessionIssuer", strCol("type"), strCol("principalId"), strCol("arn"), strCol("accountId"), strCol("userName")),
			strCol("ec2RoleDelivery"),
			structCol("webIdFederationData", strCol("federatedProvider"), &column{Key: "attributes", Kind: kindMap}),
		),
	),
	strCol("eventTime"), strCol("eventSource"), strCol("eventName"), strCol("awsRegion"), strCol("sourceIPAddress"), strCol("userAgent"),
	strCol("errorCode"), strCol("errorMessage"),
	jsonCol("requestParameters"), jsonCol("responseElements"), jsonCol("additionalEventData"),
	strCol("requestID"), strCol("eventID"),
	{Key: "readOnly", Kind: kindBool},
	{Key: "resources", Kind: kindStructArray, Fields: []*column{strCol("ARN"), strCol("accountId"), strCol("type")}},
	strCol("eventType"), strCol("apiVersion"), strCol("recipientAccountId"),
	jsonCol("serviceEventDetails"),
	strCol("sharedEventID"), strCol("vpcEndpointId"), strCol("vpcEndpointAccountId"), strCol("eventCategory"),
	structCol("addendum", strCol("reason"), strCol("updatedFields"), strCol("originalRequestID"), strCol("originalEventID")),
	strCol("sessionCredentialFromConsole"),
	jsonCol("edgeDeviceDetails"),
	structCol("tlsDetails", strCol("tlsVersion"), strCol("cipherSuite"), strCol("clientProvidedHostHeader")),
}}

// kindAt returns what CloudTrail writes at the member path keys, or 0 when
// the schema does not say (a key it does not know, or a path inside JSON
// text).
func kindAt(keys []string) kind {
	c := cloudTrailTable
	for _, k := range keys {
		if c.Kind == kindJSON {
			return 0
		}
		if c = c.field(k); c == nil {
			return 0
		}
	}
	return c.Kind
}

// isContainer reports whether CloudTrail writes an object or an array (or
// null) at the member path keys, which Logs Insights flattens into fields of
// its own instead of discovering it as one.
func isContainer(keys []string) bool {
	switch kindAt(keys) {
	case kindJSON, kindStruct, kindStructArray, kindMap:
		return true
	}
	return false
}

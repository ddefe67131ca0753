package stack

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

func TestStateTable(t *testing.T) {
	for name, synthesize := range map[string]func(*testing.T) *synthesized{"default": synthDefault, "existing": synthExisting} {
		t.Run(name, func(t *testing.T) {
			s := synthesize(t)
			s.count(t, "AWS::DynamoDB::Table", 1)
			s.hasProps(t, "on-demand, keys pk and sk, TTL on expiresAt, AWS owned key, point-in-time recovery", "AWS::DynamoDB::Table", map[string]any{
				"BillingMode": "PAY_PER_REQUEST",
				"KeySchema": []any{
					map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
					map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
				},
				"AttributeDefinitions": []any{
					map[string]any{"AttributeName": "pk", "AttributeType": "S"},
					map[string]any{"AttributeName": "sk", "AttributeType": "S"},
				},
				"TimeToLiveSpecification":          map[string]any{"AttributeName": "expiresAt", "Enabled": true},
				"SSESpecification":                 map[string]any{"SSEEnabled": false}, // encrypted with the AWS owned key
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"ProvisionedThroughput":            absent(),
				"GlobalSecondaryIndexes":           absent(),
				"StreamSpecification":              absent(),
			})
			table := s.logicalID(t, "AWS::DynamoDB::Table", "StateTable")
			res := s.resources("AWS::DynamoDB::Table")[table]
			if res["DeletionPolicy"] != "Delete" || res["UpdateReplacePolicy"] != "Delete" {
				t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Delete: the state is disposable", res["DeletionPolicy"], res["UpdateReplacePolicy"])
			}
			expect(t, "table name output", func() {
				s.Template.HasOutput(jsii.String("StateTableName"), map[string]any{"Value": ref(table)})
			})
		})
	}
}

// TestStateTable_onlyTheDetector: nothing but the detector's policy mentions the table, and no
// statement anywhere grants DynamoDB actions beyond the four the detector uses.
func TestStateTable_onlyTheDetector(t *testing.T) {
	s := synthDefault(t)
	table := s.logicalID(t, "AWS::DynamoDB::Table", "StateTable")
	allowed := map[string]bool{}
	for _, a := range stateActions {
		allowed[a] = true
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"} {
		for id, r := range s.resources(typ) {
			props := jsonText(r["Properties"])
			if strings.Contains(props, table) && !strings.HasPrefix(id, "DetectorPolicy") {
				t.Errorf("%s %s refers to the state table", typ, id)
			}
			for _, m := range strings.Split(props, `"dynamodb:`)[1:] {
				action := "dynamodb:" + m[:strings.IndexByte(m, '"')]
				if !allowed[action] {
					t.Errorf("%s %s grants %s", typ, id, action)
				}
			}
		}
	}
	for _, st := range detectorStatements(t, s) {
		if !strings.Contains(jsonText(st["Action"]), "dynamodb:") {
			continue
		}
		if st["Sid"] != "KeepDetectionState" || jsonText(st["Resource"]) != jsonText(getAtt(table, "Arn")) {
			t.Errorf("DynamoDB statement %s: want KeepDetectionState on the table alone, no index", jsonText(st))
		}
	}
}

// detectorStatements returns the statements of the detector's managed policy.
func detectorStatements(t *testing.T, s *synthesized) []map[string]any {
	t.Helper()
	id := s.logicalID(t, "AWS::IAM::ManagedPolicy", "DetectorPolicy")
	return statements(s.resources("AWS::IAM::ManagedPolicy")[id]["Properties"].(map[string]any)["PolicyDocument"])
}

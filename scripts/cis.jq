# The 14 CIS v1.2.0 3.x metric filters as a jq program, for the `make bench`
# comparison only: prints {rule, eventID} for every record a rule matches.
def in($names): . as $n | $names | index([$n]) != null;
.Records[]
| . as $e
| [
    (if ((.errorCode // "") | test("UnauthorizedOperation$|^AccessDenied")) then "cis-3.1" else empty end),
    (if .eventName == "ConsoleLogin" and (.additionalEventData.MFAUsed | type == "string" and . != "Yes") then "cis-3.2" else empty end),
    (if .userIdentity.type == "Root" and (.userIdentity | has("invokedBy") | not) and (.eventType | type == "string" and . != "AwsServiceEvent") then "cis-3.3" else empty end),
    (if (.eventName | in(["DeleteGroupPolicy","DeleteRolePolicy","DeleteUserPolicy","PutGroupPolicy","PutRolePolicy","PutUserPolicy","CreatePolicy","DeletePolicy","CreatePolicyVersion","DeletePolicyVersion","AttachRolePolicy","DetachRolePolicy","AttachUserPolicy","DetachUserPolicy","AttachGroupPolicy","DetachGroupPolicy"])) then "cis-3.4" else empty end),
    (if (.eventName | in(["CreateTrail","UpdateTrail","DeleteTrail","StartLogging","StopLogging"])) then "cis-3.5" else empty end),
    (if .eventName == "ConsoleLogin" and .errorMessage == "Failed authentication" then "cis-3.6" else empty end),
    (if .eventSource == "kms.amazonaws.com" and (.eventName | in(["DisableKey","ScheduleKeyDeletion"])) then "cis-3.7" else empty end),
    (if .eventSource == "s3.amazonaws.com" and (.eventName | in(["PutBucketAcl","PutBucketPolicy","PutBucketCors","PutBucketLifecycle","PutBucketReplication","DeleteBucketPolicy","DeleteBucketCors","DeleteBucketLifecycle","DeleteBucketReplication"])) then "cis-3.8" else empty end),
    (if .eventSource == "config.amazonaws.com" and (.eventName | in(["StopConfigurationRecorder","DeleteDeliveryChannel","PutDeliveryChannel","PutConfigurationRecorder"])) then "cis-3.9" else empty end),
    (if (.eventName | in(["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress","RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup"])) then "cis-3.10" else empty end),
    (if (.eventName | in(["CreateNetworkAcl","CreateNetworkAclEntry","DeleteNetworkAcl","DeleteNetworkAclEntry","ReplaceNetworkAclEntry","ReplaceNetworkAclAssociation"])) then "cis-3.11" else empty end),
    (if (.eventName | in(["CreateCustomerGateway","DeleteCustomerGateway","AttachInternetGateway","CreateInternetGateway","DeleteInternetGateway","DetachInternetGateway"])) then "cis-3.12" else empty end),
    (if (.eventName | in(["CreateRoute","CreateRouteTable","ReplaceRoute","ReplaceRouteTableAssociation","DeleteRouteTable","DeleteRoute","DisassociateRouteTable"])) then "cis-3.13" else empty end),
    (if (.eventName | in(["CreateVpc","DeleteVpc","ModifyVpcAttribute","AcceptVpcPeeringConnection","CreateVpcPeeringConnection","DeleteVpcPeeringConnection","RejectVpcPeeringConnection","AttachClassicLinkVpc","DetachClassicLinkVpc","DisableVpcClassicLink","EnableVpcClassicLink"])) then "cis-3.14" else empty end)
  ][]
| {rule: ., eventID: $e.eventID}

package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	miniserver "github.com/truora/minidyn/server"
)

// DynamoDB is an in-memory DynamoDB server (minidyn) on 127.0.0.1 with fault injection. It
// adds the X-Amz-Crc32 header real DynamoDB sends, which the SDK checks.
type DynamoDB struct {
	URL    string           // endpoint for AWS_ENDPOINT_URL_DYNAMODB
	Client *dynamodb.Client // a client for the test's own calls

	mu     sync.Mutex
	faults []ddbFault
	calls  map[string]int
}

type ddbFault struct {
	op     string // "" for every operation
	status int
	code   string
	delay  time.Duration
}

// StartDynamoDB starts a DynamoDB server; it stops when the test ends.
func StartDynamoDB(t testing.TB) *DynamoDB {
	t.Helper()
	d := &DynamoDB{calls: map[string]int{}}
	srv := httptest.NewServer(d.intercept(withCRC32(miniserver.NewServer())))
	t.Cleanup(srv.Close)
	d.URL = srv.URL
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	d.Client = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return d
}

// CreateTable creates an on-demand table with string keys pk and sk, as the stack does. (TTL
// cannot be enabled on the emulator; the function only writes the attribute.)
func (d *DynamoDB) CreateTable(t testing.TB, name string) {
	t.Helper()
	_, err := d.Client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

// Items returns every item of the table whose pk starts with prefix.
func (d *DynamoDB) Items(t testing.TB, table, prefix string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: aws.String(table)}
	for {
		out, err := d.Client.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, it := range out.Items {
			if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, prefix) {
				items = append(items, it)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Fail makes every request for op (TransactWriteItems, UpdateItem, ...; "" for all) fail with
// the HTTP status and DynamoDB error code given, until Heal.
func (d *DynamoDB) Fail(op string, status int, code string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, ddbFault{op: op, status: status, code: code})
}

// Delay makes every request for op ("" for all) wait before it is served, until Heal.
func (d *DynamoDB) Delay(op string, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, ddbFault{op: op, delay: delay})
}

// Heal removes every fault.
func (d *DynamoDB) Heal() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = nil
}

// Calls returns how many requests each operation received, failed ones included.
func (d *DynamoDB) Calls() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.calls))
	for k, v := range d.calls {
		out[k] = v
	}
	return out
}

func (d *DynamoDB) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		d.mu.Lock()
		d.calls[op]++
		var apply []ddbFault
		for _, f := range d.faults {
			if f.op == "" || f.op == op {
				apply = append(apply, f)
			}
		}
		d.mu.Unlock()
		for _, f := range apply {
			if f.delay > 0 {
				select {
				case <-time.After(f.delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.status != 0 {
				body, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + f.code, "message": "injected fault"})
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
				w.WriteHeader(f.status)
				_, _ = w.Write(body)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withCRC32 adds the X-Amz-Crc32 header DynamoDB sends and minidyn does not; without it the SDK
// logs a checksum warning for every response.
func withCRC32(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		body := rec.Body.Bytes()
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(body))
	})
}

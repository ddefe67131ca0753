package localaws

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is an in-memory S3 server (gofakes3) on 127.0.0.1 with fault injection on GetObject.
type S3 struct {
	URL    string     // endpoint for AWS_ENDPOINT_URL_S3
	Client *s3.Client // a path-style client for the test's own PutObject calls

	mu     sync.Mutex
	faults []s3Fault
	gets   []string // keys of GetObject requests, in order
}

type s3Fault struct {
	keySuffix string
	delay     time.Duration
	status    int
	code      string
}

// StartS3 starts an S3 server; it stops when the test ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	s := &S3{}
	fake := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(s.intercept(fake.Server()))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s.Client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	return s
}

// CreateBucket creates a bucket.
func (s *S3) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// Put stores body under bucket/key.
func (s *S3) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	_, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// DelayGets makes every GetObject of a key ending in keySuffix wait d before it is answered.
func (s *S3) DelayGets(keySuffix string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, s3Fault{keySuffix: keySuffix, delay: d})
}

// FailGets makes every GetObject of a key ending in keySuffix fail with an S3 error.
func (s *S3) FailGets(keySuffix string, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, s3Fault{keySuffix: keySuffix, status: status, code: code})
}

// Gets returns the keys of the GetObject requests served so far (retries included).
func (s *S3) Gets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.gets...)
}

func (s *S3) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/") == 0 {
			next.ServeHTTP(w, r)
			return
		}
		_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		s.mu.Lock()
		s.gets = append(s.gets, key)
		var apply []s3Fault
		for _, f := range s.faults {
			if strings.HasSuffix(key, f.keySuffix) {
				apply = append(apply, f)
			}
		}
		s.mu.Unlock()
		for _, f := range apply {
			if f.delay > 0 {
				select {
				case <-time.After(f.delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.status != 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(f.status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected fault</Message><Key>%s</Key><RequestId>FAULT</RequestId></Error>`, f.code, key)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

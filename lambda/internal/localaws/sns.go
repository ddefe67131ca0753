package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/sirupsen/logrus"
)

const (
	accountID = "000000000000"
	queueName = "alerts-q"
	topicName = "alerts"
)

// Publish is one SNS Publish request as the function sent it.
type Publish struct {
	TopicARN         string
	Subject          string
	Message          string
	MessageStructure string
	Attributes       map[string]Attribute
}

// Attribute is an SNS message attribute.
type Attribute struct{ Type, Value string }

// Delivery is one SNS notification as the subscribed SQS queue received it (the SNS envelope).
type Delivery struct {
	Type              string
	MessageID         string `json:"MessageId"`
	TopicARN          string `json:"TopicArn"`
	Subject           string
	Message           string
	MessageAttributes map[string]Attribute
}

// SNS is an SNS server (goaws) on 127.0.0.1 with one topic subscribed by one SQS queue. It records
// every Publish it accepts and can be told to fail Publish requests.
type SNS struct {
	URL      string // endpoint for AWS_ENDPOINT_URL_SNS
	TopicARN string
	QueueURL string

	mu        sync.Mutex
	published []Publish
	failAfter int // Publish requests accepted before failing; -1 never fails
	refused   int // Publish requests answered with an error
}

// StartSNS resets goaws' global state and starts a server with the topic "alerts" delivering
// SNS envelopes (not raw) to the queue "alerts-q". It stops when the test ends.
func StartSNS(t testing.TB) *SNS {
	t.Helper()
	logrus.SetLevel(logrus.WarnLevel)
	logrus.SetOutput(io.Discard)
	app.CurrentEnvironment = app.Environment{
		Host: "127.0.0.1", Region: "us-east-1", AccountID: accountID,
		QueueAttributeDefaults: app.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144},
	}
	app.SyncQueues.Lock()
	app.SyncQueues.Queues = map[string]*app.Queue{}
	app.SyncQueues.Unlock()
	app.SyncTopics.Lock()
	app.SyncTopics.Topics = map[string]*app.Topic{}
	app.SyncTopics.Unlock()

	s := &SNS{failAfter: -1}
	srv := httptest.NewServer(s.intercept(router.New()))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	app.CurrentEnvironment.Port = u.Port()
	s.URL = srv.URL
	s.QueueURL = srv.URL + "/queue/" + queueName

	if _, err := s.query(url.Values{"Action": {"CreateQueue"}, "QueueName": {queueName}}); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	client := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx := context.Background()
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	s.TopicARN = aws.ToString(topic.TopicArn)
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn,
		Protocol: aws.String("sqs"),
		Endpoint: aws.String(fmt.Sprintf("arn:aws:sqs:us-east-1:%s:%s", accountID, queueName)),
	})
	if err != nil {
		t.Fatalf("subscribe queue: %v", err)
	}
	return s
}

// FailPublishesAfter makes the server accept n more Publish requests and answer every later one
// with HTTP 500 InternalError, as during an SNS outage.
func (s *SNS) FailPublishesAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter = len(s.published) + n
}

// HealPublishes ends an outage FailPublishesAfter started: every later Publish is accepted.
func (s *SNS) HealPublishes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter = -1
}

// Published returns the Publish requests the server accepted, in order.
func (s *SNS) Published() []Publish {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Publish(nil), s.published...)
}

// Refused returns how many Publish requests were answered with an injected error.
func (s *SNS) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Receive drains the queue: every notification delivered so far, in delivery order.
func (s *SNS) Receive(t testing.TB) []Delivery {
	t.Helper()
	var out []Delivery
	for {
		body, err := s.query(url.Values{
			"Action": {"ReceiveMessage"}, "QueueUrl": {s.QueueURL}, "MaxNumberOfMessages": {"10"},
			"MessageAttributeName.1": {"All"}, "WaitTimeSeconds": {"0"},
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		var resp struct {
			Messages []struct {
				ReceiptHandle string
				Body          string
			} `xml:"ReceiveMessageResult>Message"`
		}
		if err := xml.Unmarshal(body, &resp); err != nil {
			t.Fatalf("receive: decode %s: %v", body, err)
		}
		if len(resp.Messages) == 0 {
			return out
		}
		for _, m := range resp.Messages {
			var d Delivery
			if err := json.Unmarshal([]byte(m.Body), &d); err != nil {
				t.Fatalf("receive: SNS envelope %q: %v", m.Body, err)
			}
			out = append(out, d)
			if _, err := s.query(url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {s.QueueURL}, "ReceiptHandle": {m.ReceiptHandle}}); err != nil {
				t.Fatalf("delete message: %v", err)
			}
		}
	}
}

// query sends one SQS/SNS query-protocol request and returns the XML reply.
func (s *SNS) query(form url.Values) ([]byte, error) {
	form.Set("Version", "2012-11-05")
	resp, err := http.PostForm(s.URL, form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", form.Get("Action"), resp.StatusCode, body)
	}
	return body, nil
}

// intercept records Publish requests and injects failures in front of goaws.
func (s *SNS) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "Publish" {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		if s.failAfter >= 0 && len(s.published) >= s.failAfter {
			s.refused++
			s.mu.Unlock()
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Server</Type><Code>InternalError</Code><Message>injected outage</Message></Error><RequestId>FAULT</RequestId></ErrorResponse>`)
			return
		}
		s.mu.Unlock()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			s.mu.Lock()
			s.published = append(s.published, publishFromForm(form))
			s.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func publishFromForm(form url.Values) Publish {
	p := Publish{
		TopicARN:         form.Get("TopicArn"),
		Subject:          form.Get("Subject"),
		Message:          form.Get("Message"),
		MessageStructure: form.Get("MessageStructure"),
		Attributes:       map[string]Attribute{},
	}
	for i := 1; ; i++ {
		prefix := "MessageAttributes.entry." + strconv.Itoa(i) + "."
		name := form.Get(prefix + "Name")
		if name == "" {
			return p
		}
		p.Attributes[name] = Attribute{Type: form.Get(prefix + "Value.DataType"), Value: form.Get(prefix + "Value.StringValue")}
	}
}

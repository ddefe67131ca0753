package detector

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelInfo).With("service", "trailwatch")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})

	log.DebugContext(ctx, "not shown")
	log.InfoContext(ctx, "object processed", "key", "k")
	log.WithGroup("g").WarnContext(context.Background(), "no context", "a", 1)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["message"] != "object processed" || first["level"] != "INFO" || first["timestamp"] == nil ||
		first["requestId"] != "req-1" || first["service"] != "trailwatch" || first["key"] != "k" {
		t.Errorf("first line = %v", first)
	}
	if _, ok := second["requestId"]; ok || second["message"] != "no context" {
		t.Errorf("second line = %v, want no requestId", second)
	}
	if g, _ := second["g"].(map[string]any); g["a"] != float64(1) {
		t.Errorf("second line = %v, want the group kept", second)
	}
}

// Package emf writes CloudWatch embedded metric format (EMF) lines: JSON log lines that CloudWatch
// Logs turns into metrics, so a Lambda function publishes metrics without calling PutMetricData.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// Units used by this project.
const (
	Count        Unit = "Count"
	Bytes        Unit = "Bytes"
	Milliseconds Unit = "Milliseconds"
)

// Metric is one value to record.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Dimension is a CloudWatch dimension name and value.
type Dimension struct{ Name, Value string }

// Logger writes EMF lines for one namespace; every line carries the logger's base dimensions.
// It is safe for concurrent use.
type Logger struct {
	w         io.Writer
	namespace string
	base      []Dimension
	now       func() time.Time
	mu        sync.Mutex
}

// New returns a Logger writing to w.
func New(w io.Writer, namespace string, base ...Dimension) *Logger {
	return &Logger{w: w, namespace: namespace, base: base, now: time.Now}
}

// WithClock returns a copy of l that timestamps lines with now (for tests).
func (l *Logger) WithClock(now func() time.Time) *Logger {
	return &Logger{w: l.w, namespace: l.namespace, base: l.base, now: now}
}

type metricDirective struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []metricSpec `json:"Metrics"`
}

type metricSpec struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type metadata struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
}

// Emit writes one line recording metrics under one dimension set: the base dimensions followed
// by extra. Metric names must differ from dimension names.
func (l *Logger) Emit(extra []Dimension, metrics ...Metric) error {
	if len(metrics) == 0 {
		return nil
	}
	dims := slices.Concat(l.base, extra)
	doc := make(map[string]any, len(dims)+len(metrics)+1)
	names := make([]string, 0, len(dims))
	for _, d := range dims {
		names = append(names, d.Name)
		doc[d.Name] = d.Value
	}
	specs := make([]metricSpec, 0, len(metrics))
	for _, m := range metrics {
		if _, clash := doc[m.Name]; clash {
			return fmt.Errorf("emf: metric %q is also a dimension or repeated", m.Name)
		}
		specs = append(specs, metricSpec{Name: m.Name, Unit: m.Unit})
		doc[m.Name] = m.Value
	}
	doc["_aws"] = metadata{
		Timestamp: l.now().UnixMilli(),
		CloudWatchMetrics: []metricDirective{{
			Namespace: l.namespace, Dimensions: [][]string{names}, Metrics: specs,
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("emf: encode: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(line); err != nil {
		return fmt.Errorf("emf: write: %w", err)
	}
	return nil
}

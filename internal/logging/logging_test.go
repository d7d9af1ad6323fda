package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPrintfWritesOneJSONLine(t *testing.T) {
	tests := []struct {
		name, format string
		args         []any
		want         map[string]any
	}{
		{"plain", "connection pool: %s", []any{"exhausted"},
			map[string]any{"level": "WARN", "msg": "connection pool: exhausted", "component": "redis", KeyRole: "work"}},
		{"newline in text", "a\nb", nil,
			map[string]any{"level": "WARN", "msg": "a\nb", "component": "redis", KeyRole: "work"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			Printf{L: New(&buf, "info").With(KeyRole, "work"), Component: "redis"}.Printf(context.Background(), tt.format, tt.args...)
			if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 {
				t.Fatalf("%d lines, want 1: %s", n, buf.Bytes())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("line (-want +got):\n%s", diff)
			}
		})
	}
}

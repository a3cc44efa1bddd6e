package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLog(t *testing.T) {
	tests := []struct {
		name string
		s    Status
		want string
	}{
		{"start", Status{Total: 200, Elapsed: 30 * time.Second}, `level=INFO msg="audit progress" done=0 total=200 elapsed=30s`},
		{"running", Status{Done: 40, Total: 200, Elapsed: 16 * time.Second, Rate: 2.5, ETA: 64 * time.Second},
			`level=INFO msg="audit progress" done=40 total=200 elapsed=16s accounts_per_second=2.5 eta=1m4s`},
		{"total unknown", Status{Done: 7, Elapsed: 3*time.Second + 400*time.Millisecond, Rate: 7 / 3.4},
			`level=INFO msg="audit progress" done=7 elapsed=3s accounts_per_second=2.06`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
			Log(log)(tt.s)
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
		})
	}
}

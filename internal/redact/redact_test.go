package redact

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestErrorWebhookQuery(t *testing.T) {
	const hook = "https://hooks.example/services/T0/B0/pathS3CRET?sig=queryS3CRET&v=2"
	tests := []struct {
		name string
		err  error
	}{
		{"whole URL", fmt.Errorf("post %s: refused", hook)},
		{"url.Error", &url.Error{Op: "Post", URL: hook, Err: errors.New("refused")}},
		{"query string only", errors.New("bad request sig=queryS3CRET&v=2")},
		{"query value only", errors.New(`invalid signature "queryS3CRET"`)},
		{"path only", errors.New("404 /services/T0/B0/pathS3CRET")},
		{"escaped", fmt.Errorf("to %s", url.QueryEscape(hook))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Error(tt.err, hook).Error()
			if strings.Contains(got, "S3CRET") {
				t.Errorf("Error(%q) = %q, still holds a secret", tt.err, got)
			}
			if !strings.Contains(got, Placeholder) {
				t.Errorf("Error(%q) = %q, want %s in its place", tt.err, got, Placeholder)
			}
		})
	}
	if got := String("ExternalId 'ext id!'", "ext id!"); got != "ExternalId '"+Placeholder+"'" {
		t.Errorf("String() = %q", got)
	}
	if got := String("plain", ""); got != "plain" {
		t.Errorf("String with no secret = %q", got)
	}
}

package config

import (
	"reflect"
	"testing"
)

func TestThresholdsOf(t *testing.T) {
	tests := []struct {
		check string
		want  []CheckThreshold
	}{
		{"access-key-not-rotated", []CheckThreshold{{Flag: "rotation-days", Usage: "access-key-not-rotated fires past this many days", Default: "90", CIS: "90"}}},
		{"access-key-unused", []CheckThreshold{{Flag: "unused-days", Usage: "console-password-unused and access-key-unused fire past this many days", Default: "90", CIS: "45"}}},
		{"root-mfa-disabled", nil},
		{"no-such-check", nil},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			if got := ThresholdsOf(tt.check); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ThresholdsOf(%q) = %+v, want %+v", tt.check, got, tt.want)
			}
		})
	}
}

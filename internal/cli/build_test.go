package cli

import (
	"runtime/debug"
	"testing"
)

func TestBuildOf(t *testing.T) {
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/tool", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: modified}}}
	}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/tool", Version: "v1.3.0"}}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		wantShort       string
		wantString      string
	}{
		{"stamped release", "v1.2.0", "fedcba9876543210", vcs("false"), "v1.2.0", "v1.2.0, commit fedcba987654, go1.26.8"},
		{"go install", "", "", installed, "v1.3.0", "v1.3.0, go1.26.8"},
		{"clean checkout", "", "", vcs("false"), "devel-0123456789ab", "devel, commit 0123456789ab, go1.26.8"},
		{"modified checkout", "", "", vcs("true"), "devel-0123456789ab-dirty", "devel, commit 0123456789ab (modified), go1.26.8"},
		{"no build info", "", "", nil, "devel", "devel"},
		{"short commit kept whole", "", "abc", nil, "devel-abc", "devel, commit abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := BuildOf(tt.version, tt.commit, tt.bi)
			if got := b.Short(); got != tt.wantShort {
				t.Errorf("Short() = %q, want %q", got, tt.wantShort)
			}
			if got := b.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
		})
	}
}

package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildOf(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/reporter-dev/reporter", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	tests := []struct {
		name             string
		version, commit  string
		bi               *debug.BuildInfo
		wantShort, wantD string
	}{
		{"release stamped by goreleaser", "v1.2.0", "fedcba9876543210", vcs("false"), "v1.2.0", "v1.2.0, commit fedcba987654, go1.26.8"},
		{"go install of a tagged module", "", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0", "v1.3.0, go1.26.8"},
		{"go build in a clean checkout", "", "", vcs("false"), "devel-0123456789ab", "devel, commit 0123456789ab, go1.26.8"},
		{"go build in a modified checkout", "", "", vcs("true"), "devel-0123456789ab-dirty", "devel, commit 0123456789ab (modified), go1.26.8"},
		{"no build information at all", "", "", nil, "devel", "devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buildOf(tt.version, tt.commit, tt.bi)
			if got := b.short(); got != tt.wantShort {
				t.Errorf("short() = %q, want %q", got, tt.wantShort)
			}
			if got := describeBuild(b); got != tt.wantD {
				t.Errorf("describeBuild() = %q, want %q", got, tt.wantD)
			}
		})
	}
}

// TestVersionOfARealBuild builds the binary as a release does (version and
// commit stamped with -ldflags) and as a developer does (go build in the
// checkout), and asks each for its version.
func TestVersionOfARealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	stamped := filepath.Join(dir, "stamped")
	out, err := exec.Command("go", "build", "-o", stamped, "-ldflags", "-X main.version=v9.8.7 -X main.commit=abcdef0123456789", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got, err := exec.Command(stamped, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "reporter v9.8.7, commit abcdef012345, go") {
		t.Errorf("stamped build says %q", got)
	}

	plain := filepath.Join(dir, "plain")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", plain, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got, err = exec.Command(plain, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "reporter dev\n") {
		t.Errorf("a build from the checkout says %q; want its revision", got)
	}
	// Go embeds the revision when it can read the checkout (a clone, as in
	// CI; not every git worktree layout): then it must be printed.
	info, err := exec.Command("go", "version", "-m", plain).Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(info), "vcs.revision=") && !strings.Contains(string(got), "commit ") {
		t.Errorf("a build with vcs.revision embedded says %q; want its commit", got)
	}
}

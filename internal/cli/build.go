package cli

import (
	"runtime/debug"
	"strings"
)

// Build identifies a binary: its version and the VCS revision it was
// built from.
type Build struct {
	Version  string // a release (v1.2.0), a module version from go install, or "devel"
	Commit   string // the VCS revision, "" when unknown
	Modified bool   // built from a work tree with uncommitted changes
	Time     string // the commit's time (RFC 3339), "" when unknown
	Go       string // the Go toolchain
}

// BuildOf identifies a build from the version and commit stamped at link
// time (-ldflags -X, "" when not stamped), else from the build
// information the Go toolchain embeds (debug.ReadBuildInfo): the module
// version under go install, the VCS revision under go build in a
// checkout. bi may be nil.
func BuildOf(stampedVersion, stampedCommit string, bi *debug.BuildInfo) Build {
	b := Build{Version: stampedVersion, Commit: stampedCommit}
	if bi != nil {
		b.Go = bi.GoVersion
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		if b.Commit == "" {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					b.Commit = s.Value
				case "vcs.modified":
					b.Modified = s.Value == "true"
				case "vcs.time":
					b.Time = s.Value
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// Short is the form to record with what the binary writes: the release,
// or devel-<revision>[-dirty] for a build from a checkout.
func (b Build) Short() string {
	if b.Version != "devel" || b.Commit == "" {
		return b.Version
	}
	s := "devel-" + abbrev(b.Commit)
	if b.Modified {
		s += "-dirty"
	}
	return s
}

// String describes the build for people: the version, the commit with
// its time and whether it was modified, and the Go version.
func (b Build) String() string {
	parts := []string{b.Version}
	if b.Commit != "" {
		c := "commit " + abbrev(b.Commit)
		if b.Time != "" {
			c += " of " + b.Time
		}
		if b.Modified {
			c += " (modified)"
		}
		parts = append(parts, c)
	}
	if b.Go != "" {
		parts = append(parts, b.Go)
	}
	return strings.Join(parts, ", ")
}

// abbrev shortens a revision to 12 characters, as git does by default.
func abbrev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

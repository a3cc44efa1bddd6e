package main

import (
	"runtime/debug"
	"strings"
)

// version and commit are stamped by release builds (.goreleaser.yaml):
// -ldflags "-X main.version=v1.2.0 -X main.commit=<full SHA>".
var version, commit = "", ""

// build identifies the binary: its version and the VCS revision it was
// built from.
type build struct {
	Version  string // a release (v1.2.0), a module version from go install, or "devel"
	Commit   string // the VCS revision, "" when unknown
	Modified bool   // built from a work tree with uncommitted changes
	Go       string // the Go toolchain
}

// identifyBuild reads the stamped values, else the build information the
// Go toolchain embeds (the module version under go install, the VCS
// revision under go build in a checkout).
func identifyBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, bi)
}

// buildOf is identifyBuild with its inputs given, for tests.
func buildOf(stampedVersion, stampedCommit string, bi *debug.BuildInfo) build {
	b := build{Version: stampedVersion, Commit: stampedCommit}
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
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// reporterVersion is the short form kept in manifests and the archive
// lease: the release, or devel-<revision>[-dirty] for a build from a
// checkout.
func reporterVersion() string {
	return identifyBuild().short()
}

func (b build) short() string {
	if b.Version != "devel" || b.Commit == "" {
		return b.Version
	}
	s := "devel-" + abbrev(b.Commit)
	if b.Modified {
		s += "-dirty"
	}
	return s
}

// describeBuild is the line `reporter version` prints after "reporter".
func describeBuild(b build) string {
	parts := []string{b.Version}
	if b.Commit != "" {
		c := "commit " + abbrev(b.Commit)
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

func abbrev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	cmdcli "github.com/reporter-dev/reporter/internal/cli"
)

// version and commit are stamped by release builds (.goreleaser.yaml):
// -ldflags "-X main.version=v1.2.0 -X main.commit=<full SHA>".
var version, commit = "", ""

// build identifies the binary (cli.Build), with the names the tests use.
type build struct{ cmdcli.Build }

// identifyBuild reads the stamped values, else the build information the
// Go toolchain embeds (the module version under go install, the VCS
// revision under go build in a checkout).
func identifyBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, bi)
}

// buildOf is identifyBuild with its inputs given, for tests.
func buildOf(stampedVersion, stampedCommit string, bi *debug.BuildInfo) build {
	return build{cmdcli.BuildOf(stampedVersion, stampedCommit, bi)}
}

// reporterVersion is the short form kept in manifests and the archive
// lease: the release, or devel-<revision>[-dirty] for a build from a
// checkout.
func reporterVersion() string { return identifyBuild().short() }

func (b build) short() string { return b.Short() }

// describeBuild is the line `reporter version` prints after "reporter".
func describeBuild(b build) string { return b.String() }

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the commit it was built from",
		Long: `Print the version: the release stamped into the binary, else the module
version and VCS revision, commit time and modified flag that the Go toolchain
records (go install, or go build in a checkout), and the Go version.`,
		Args: noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "reporter", describeBuild(identifyBuild()))
		},
	}
}

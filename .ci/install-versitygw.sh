#!/usr/bin/env bash
# Installs versitygw, the S3 server the archive tests run against
# (internal/s3test), unless a versitygw is already on PATH. Idempotent.
#
# It is built with `go install pkg@version`, which ignores the project's
# go.mod: versitygw's many dependencies never enter it. The build takes
# about 3 minutes on 2 cores; the binary lands in $GOBIN, else
# $(go env GOPATH)/bin, which must be on PATH for the tests (.ci/run adds it).
set -euo pipefail

VERSION=v1.8.0

if command -v versitygw >/dev/null 2>&1; then
  echo "versitygw already installed: $(command -v versitygw)"
  exit 0
fi

gobin="${GOBIN:-$(go env GOPATH)/bin}"
mkdir -p "$gobin"
echo "installing versitygw $VERSION into $gobin (about 3 minutes)"
# Build outside the repository, so no go.mod, go.work or -mod flag applies.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && GOFLAGS= GOWORK=off GOBIN="$gobin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSION")
"$gobin/versitygw" --version >/dev/null
echo "installed $gobin/versitygw"

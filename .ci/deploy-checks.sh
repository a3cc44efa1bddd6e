#!/usr/bin/env bash
# Deploy checks (issue 17), run by .ci/run: the Helm chart lints and renders
# with its default and example values, the plain manifest is the chart's
# current output, the deploy/validate module's tests pass (CloudFormation
# typed and cross-checked, rendered objects strictly decoded into the
# Kubernetes API types), and GoReleaser builds the release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

HELM_VERSION=v3.21.4
GORELEASER_VERSION=v2.17.0 # the newest that builds with Go 1.26 (v2.18 needs Go 1.27)

# Tools are built from the Go module proxy, outside this module, so their
# dependencies never enter go.mod. Each takes a few minutes the first time.
if ! command -v helm >/dev/null; then
  echo "installing helm $HELM_VERSION"
  (cd "$(mktemp -d)" && go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
fi

chart=deploy/helm/reporter
echo "-- helm lint / template: defaults (with the one required value) and every example"
helm lint --strict "$chart" --set aws.externalId=ci-external-id
helm template reporter "$chart" --set aws.externalId=ci-external-id >/dev/null
for values in "$chart"/examples/*.yaml; do
  helm lint --strict "$chart" -f "$values"
  helm template reporter "$chart" --namespace iam-audit -f "$values" >/dev/null
done

echo "-- the plain manifest is generated from the chart"
bash deploy/kubernetes/generate.sh --check

echo "-- deploy/validate"
(cd deploy/validate && go vet ./... && go test -count=1 ./...)

echo "-- systemd units"
if command -v systemd-analyze >/dev/null; then
  units=$(mktemp -d)
  go build -o "$units/reporter" ./cmd/reporter
  sed "s#/usr/local/bin/reporter#$units/reporter#" deploy/systemd/reporter-run.service >"$units/reporter-run.service"
  cp deploy/systemd/reporter-run.timer "$units/"
  systemd-analyze verify "$units/reporter-run.service" "$units/reporter-run.timer"
  rm -rf "$units"
else
  echo "systemd-analyze not installed: units not verified"
fi

echo "-- release build"
# goreleaser is built from the Go module proxy like helm (4.6 min of CPU,
# 7.8 min on the shared development machine). CI_GORELEASER=0 skips the
# install; without goreleaser (or if the install fails) the same builds as
# .goreleaser.yaml (its four targets, flags and ldflags) are made with go
# build. Either way the stamped version is checked.
if [ "${CI_GORELEASER:-1}" = 1 ] && ! command -v goreleaser >/dev/null; then
  echo "installing goreleaser $GORELEASER_VERSION"
  (cd "$(mktemp -d)" && go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION") ||
    echo "goreleaser could not be installed: falling back to go build"
fi
if command -v goreleaser >/dev/null; then
  goreleaser check --config .goreleaser.yaml
  goreleaser build --snapshot --clean --config .goreleaser.yaml
  for target in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
    ls dist/reporter_"$target"*/reporter >/dev/null
  done
  binary=$(ls dist/reporter_linux_amd64*/reporter)
else
  echo "goreleaser not installed: building its four targets with go build"
  for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do
    CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -trimpath \
      -ldflags "-s -w -X main.version=v0.0.0-ci -X main.commit=$(git rev-parse HEAD)" \
      -o "dist/reporter_${target%/*}_${target#*/}/reporter" ./cmd/reporter
  done
  binary=dist/reporter_linux_amd64/reporter
fi
version=$("$binary" version)
echo "$version"
head=$(git rev-parse HEAD | cut -c1-12)
case "$version" in
  "reporter "*", commit $head, "*) ;;
  *) echo "the release binary does not name its version and commit $head: $version" >&2; exit 1 ;;
esac
rm -rf dist

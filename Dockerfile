# syntax=docker/dockerfile:1
# Build: docker build -t reporter \
#          --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) .
# Daemon (the default command):
#        docker run --read-only -v reporter-data:/var/lib/reporter -p 9090:9090 reporter
# One audit (no HTTP server, so no health check):
#        docker run --read-only --no-healthcheck -v reporter-data:/var/lib/reporter reporter run --source sample
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context (.dockerignore): the version and the
# commit are passed in, as the release build stamps them.
ARG VERSION=devel
ARG COMMIT=""
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/reporter ./cmd/reporter

# distroless/static ships CA certificates and tzdata (for the schedule's
# time zone) and runs as uid 65532; there is no shell.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=devel
ARG COMMIT=""
LABEL org.opencontainers.image.title="reporter" \
      org.opencontainers.image.description="Audits the IAM credentials of an AWS Organization" \
      org.opencontainers.image.source="https://github.com/reporter-dev/reporter" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/reporter /usr/local/bin/reporter
USER 65532:65532
# Run folders and the S3 spool live in a volume, so the root filesystem can be read-only.
ENV REPORTER_OUT=/var/lib/reporter/reports \
    REPORTER_S3_SPOOL_DIR=/var/lib/reporter/spool \
    REPORTER_LOG_FORMAT=json
VOLUME ["/var/lib/reporter"]
WORKDIR /var/lib/reporter
# The daemon listens on every interface of the container (the binary's own
# default is 127.0.0.1:9090, which -p could not reach).
EXPOSE 9090
# Applies to the daemon (the default command). A container running
# `reporter run` has no HTTP server: start it with --no-healthcheck (Docker)
# or without a health check (ECS, Kubernetes probes are per workload).
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/reporter", "healthcheck", "--url", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/reporter"]
CMD ["daemon", "--listen", ":9090"]

# syntax=docker/dockerfile:1
# Build: docker build -t reporter --build-arg VERSION=$(git describe --always) .
# Run:   docker run --read-only -v reporter-data:/var/lib/reporter -p 9090:9090 reporter daemon --listen 0.0.0.0:9090
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/reporter ./cmd/reporter

# distroless/static ships CA certificates and tzdata (for the schedule's
# time zone) and runs as uid 65532; there is no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reporter /usr/local/bin/reporter
USER 65532:65532
# Run folders and the S3 spool live in a volume, so the root filesystem can be read-only.
ENV REPORTER_OUT=/var/lib/reporter/reports \
    REPORTER_S3_SPOOL_DIR=/var/lib/reporter/spool \
    REPORTER_LOG_FORMAT=json
VOLUME ["/var/lib/reporter"]
WORKDIR /var/lib/reporter
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/reporter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/reporter"]
CMD ["daemon"]

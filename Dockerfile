# syntax=docker/dockerfile:1
# Build: docker build -t reporter --build-arg VERSION=$(git describe --always) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/reporter ./cmd/reporter

# distroless/static ships CA certificates and tzdata, and runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reporter /usr/local/bin/reporter
USER 65532:65532
# Run folders and the S3 spool live in a volume, so the root filesystem can be read-only.
VOLUME ["/var/lib/reporter"]
WORKDIR /var/lib/reporter
ENTRYPOINT ["/usr/local/bin/reporter"]
CMD ["run", "--out", "/var/lib/reporter/reports"]

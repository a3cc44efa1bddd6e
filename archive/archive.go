// Package archive keeps every finished run in S3 so auditors can retrieve
// and trust it months later.
//
// A run folder OUT/YYYY/MM/RUN-ID is uploaded to
// s3://BUCKET/PREFIX/YYYY/MM/RUN-ID/ with the same relative layout. Every
// object carries the SHA-256 of its manifest entry as its S3 checksum, so
// S3 itself refuses bytes that differ from the manifest; optional SSE-KMS
// and Object Lock retention apply to every object. manifest.json is
// uploaded last: a run without a manifest in S3 is visibly incomplete.
//
// Nothing is lost when S3 is down: Archive first copies the run into a
// local spool, and a spool entry is removed only once the manifest is
// confirmed in S3 (HeadObject with its checksum). Flush uploads what
// earlier runs left in the spool.
//
// The same Archiver reads the archive back: Runs, Lookup, Findings,
// Verify, Download and Links; History adapts it to history.Store.
package archive

import (
	"context"
	"errors"
	"fmt"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"io"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/reporter-dev/reporter/internal/config"
)

// Client is the part of the S3 API the archive uses. *s3.Client
// satisfies it.
type Client interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObjectLockConfiguration(ctx context.Context, params *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetBucketVersioning(ctx context.Context, params *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetObjectRetention(ctx context.Context, params *s3.GetObjectRetentionInput, optFns ...func(*s3.Options)) (*s3.GetObjectRetentionOutput, error)
	ListObjectVersions(ctx context.Context, params *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Presigner makes presigned GET links. *s3.PresignClient satisfies it.
type Presigner interface {
	PresignGetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Options are the settings of an Archiver that do not come from the
// configuration file.
type Options struct {
	// Out is the root of the local run folders; the spool defaults to
	// Out/.spool.
	Out string
	// Logger receives retries and spool events; nil discards them.
	Logger *slog.Logger
	// Clock is the time of an upload, where retention starts by default;
	// nil means time.Now.
	Clock func() time.Time
	// Retry governs failed S3 requests; the zero value means DefaultRetry.
	Retry Retry
	// AWS are extra options for config.LoadDefaultConfig, used by Open.
	AWS []func(*awsconfig.LoadOptions) error
	// Credentials are those presigned links are signed with: a link
	// stops working when they expire, so their expiry caps its lifetime.
	// Open sets them from the client; nil means they never expire.
	Credentials aws.CredentialsProvider
}

// Archiver uploads run folders to S3 and reads them back. It implements
// app.Archiver (archive does not import internal/app: both speak result).
type Archiver struct {
	client     Client
	presign    Presigner
	bucket     string
	prefix     string // no leading or trailing slash
	kmsKeyID   string
	lockMode   types.ObjectLockMode
	retainDays int
	retainAsOf bool
	spool      string // absolute; "" when none could be derived
	linkExpiry time.Duration
	creds      aws.CredentialsProvider
	region     string // of the bucket, for console links
	console    bool   // whether runs get console links
	retry      Retry
	clock      func() time.Time
	log        *slog.Logger
	reads      readState
}

// DefaultRegion is used when neither the configuration nor the SDK's
// default chain names a region (typical of S3-compatible stores).
const DefaultRegion = "us-east-1"

// Open builds an Archiver on a real S3 client: credentials and region
// come from the SDK's default chain (AWS_* variables, profiles, SSO,
// instance roles), AWS_ENDPOINT_URL_S3 is honoured, and c overrides the
// region, endpoint and addressing style.
func Open(ctx context.Context, c config.S3, o Options) (*Archiver, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	client, err := newClient(ctx, c, o.AWS)
	if err != nil {
		return nil, err
	}
	so := client.Options()
	if c.Region == "" {
		c.Region = so.Region
	}
	if o.Credentials == nil {
		o.Credentials = so.Credentials
	}
	return New(client, s3.NewPresignClient(client), c, o)
}

// newClient builds an S3 client from the SDK's default chain, with c's
// region, endpoint and addressing style.
func newClient(ctx context.Context, c config.S3, extra []func(*awsconfig.LoadOptions) error) (*s3.Client, error) {
	opts := append([]func(*awsconfig.LoadOptions) error(nil), extra...)
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if c.Endpoint != "" {
			so.BaseEndpoint = aws.String(c.Endpoint)
		}
		so.UsePathStyle = c.PathStyle
	}), nil
}

// Fetch downloads the object at uri (s3://BUCKET/KEY), for files kept in
// S3 such as the exceptions file. It uses c's region, endpoint and
// addressing style, whatever c's bucket.
func Fetch(ctx context.Context, c config.S3, uri string, extra ...func(*awsconfig.LoadOptions) error) ([]byte, error) {
	bucket, key, ok := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	if !strings.HasPrefix(uri, "s3://") || !ok || bucket == "" || key == "" {
		return nil, fmt.Errorf("%q: want s3://BUCKET/KEY", uri)
	}
	client, err := newClient(ctx, c, extra)
	if err != nil {
		return nil, err
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", uri, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", uri, err)
	}
	return data, nil
}

// New builds an Archiver on client. presign may be nil: runs then get no
// presigned link.
func New(client Client, presign Presigner, c config.S3, o Options) (*Archiver, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !c.Enabled() {
		return nil, errors.New("s3: no bucket: set --bucket or s3.bucket")
	}
	a := &Archiver{
		client: client, presign: presign,
		bucket:     c.Bucket,
		prefix:     strings.Trim(c.Prefix, "/"),
		kmsKeyID:   c.KMSKeyID,
		lockMode:   types.ObjectLockMode(c.LockMode()),
		retainDays: c.RetainDays,
		retainAsOf: c.RetainFrom == config.RetainFromAsOf,
		linkExpiry: c.PresignExpiry.Duration(),
		creds:      o.Credentials,
		region:     c.Region,
		console:    c.WantConsoleLink(),
		retry:      o.Retry,
		clock:      o.Clock,
		log:        o.Logger,
	}
	if a.retry.Attempts == 0 && a.retry.Delay == nil {
		a.retry = DefaultRetry()
	}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.region == "" {
		a.region = DefaultRegion
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	retryer := a.retry.retryer(a.log)
	a.client = retryingClient{c: client, opt: func(o *s3.Options) { o.Retryer = retryer }}
	spool := c.SpoolDir
	if spool == "" && o.Out != "" {
		spool = filepath.Join(o.Out, ".spool")
	}
	if spool != "" {
		abs, err := filepath.Abs(spool)
		if err != nil {
			return nil, fmt.Errorf("s3.spool_dir %q: %w", spool, err)
		}
		a.spool = abs
	}
	if a.spool != "" && o.Out != "" {
		// Spool entries are deleted once archived: the run folders must
		// not live inside the spool.
		if out, err := filepath.Abs(o.Out); err == nil && within(out, a.spool) {
			return nil, fmt.Errorf("s3.spool_dir %s contains the run folders of --out %s: set it apart, e.g. %s", a.spool, out, filepath.Join(out, ".spool"))
		}
	}
	return a, nil
}

// Bucket returns the bucket of the archive.
func (a *Archiver) Bucket() string { return a.bucket }

// SpoolDir returns the spool folder, or "" when none is configured.
func (a *Archiver) SpoolDir() string { return a.spool }

// runPrefix returns the key prefix of a run, ending in "/".
func (a *Archiver) runPrefix(asOf time.Time, runID string) string {
	return runfolder.Key(a.prefix, asOf, runID)
}

// uri returns the s3:// URI of a key.
func (a *Archiver) uri(key string) string { return "s3://" + a.bucket + "/" + key }

// rootPrefix is the prefix above the YYYY folders: "" or "PREFIX/".
func (a *Archiver) rootPrefix() string {
	if a.prefix == "" {
		return ""
	}
	return a.prefix + "/"
}

// contentTypes maps file extensions of a run folder to their media types.
var contentTypes = map[string]string{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".md":   "text/markdown; charset=utf-8",
	".json": "application/json",
	".csv":  "text/csv; charset=utf-8",
}

// ContentType returns the media type an archived file is stored with.
func ContentType(name string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// within reports whether path p is dir or inside it; both are absolute.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

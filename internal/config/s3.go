package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// S3 configures the S3 archive (archive). Archiving is off while Bucket
// is empty.
type S3 struct {
	// Bucket receives every run under Prefix/YYYY/MM/RUN-ID/.
	Bucket string `yaml:"bucket"`
	// Prefix is the key prefix of the archive inside the bucket, without
	// leading or trailing slash; empty means the bucket's root.
	Prefix string `yaml:"prefix"`
	// Endpoint is the base URL of an S3-compatible store (MinIO, Ceph,
	// versitygw). Empty means AWS, or AWS_ENDPOINT_URL_S3 when set.
	Endpoint string `yaml:"endpoint"`
	// PathStyle addresses buckets as ENDPOINT/BUCKET/KEY instead of
	// BUCKET.ENDPOINT/KEY; most S3-compatible stores need it.
	PathStyle bool `yaml:"path_style"`
	// Region of the bucket; empty means the SDK's (AWS_REGION, profile),
	// else us-east-1.
	Region string `yaml:"region"`
	// KMSKeyID turns on SSE-KMS (aws:kms) with this key ID, key ARN or
	// alias ARN. Empty leaves encryption to the bucket's default.
	KMSKeyID string `yaml:"kms_key_id"`
	// ObjectLockMode is GOVERNANCE or COMPLIANCE to give every object a
	// retention period; empty writes no retention. The bucket must have
	// Object Lock enabled.
	ObjectLockMode string `yaml:"object_lock_mode"`
	// RetainDays is the retention period, in days, with ObjectLockMode.
	RetainDays int `yaml:"retain_days"`
	// RetainFrom is where the retention period starts: upload (the time
	// of the upload) or as_of (the run's as-of).
	RetainFrom string `yaml:"retain_from"`
	// SpoolDir keeps a copy of each run until its manifest is confirmed
	// in S3. Empty means OUT/.spool.
	SpoolDir string `yaml:"spool_dir"`
	// PresignExpiry is the lifetime of the presigned links to audit.xlsx
	// (and each team's) given to notifications: 7d at most, 0 or off for
	// none. A link also stops working when the credentials that signed it
	// expire, which caps its lifetime. Off by default: the digest links
	// to the run in the S3 console, which does not expire.
	PresignExpiry Expiry `yaml:"presign_expiry"`
	// ConsoleLink says when the digest links to the run's folder in the
	// AWS S3 console: auto (when no endpoint is set, i.e. the bucket is
	// in AWS), always (an endpoint that is still AWS, such as a VPC or
	// FIPS endpoint), or never.
	ConsoleLink string `yaml:"console_link"`
}

// Choices of S3.ConsoleLink.
const (
	ConsoleLinkAuto   = "auto"
	ConsoleLinkAlways = "always"
	ConsoleLinkNever  = "never"
)

// WantConsoleLink reports whether runs get a link to the S3 console.
func (c *S3) WantConsoleLink() bool {
	switch c.ConsoleLink {
	case ConsoleLinkAlways:
		return true
	case ConsoleLinkNever:
		return false
	}
	return c.Endpoint == ""
}

// Retention starts of S3.RetainFrom.
const (
	RetainFromUpload = "upload"
	RetainFromAsOf   = "as_of"
)

// MaxPresignExpiry is the longest lifetime of a SigV4 presigned URL.
const MaxPresignExpiry = 7 * 24 * time.Hour

// DefaultS3 returns the S3 defaults.
func DefaultS3() S3 {
	return S3{RetainFrom: RetainFromUpload, ConsoleLink: ConsoleLinkAuto}
}

// Enabled reports whether runs are archived, i.e. a bucket is set.
func (c *S3) Enabled() bool { return c.Bucket != "" }

// RegisterFlags binds the S3 flags to the fields of c.
func (c *S3) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Bucket, "bucket", c.Bucket, "S3 bucket archiving every run (s3.bucket); empty: no archive")
	fs.StringVar(&c.Prefix, "prefix", c.Prefix, "key prefix of the archive in the bucket (s3.prefix)")
	fs.StringVar(&c.Endpoint, "s3-endpoint", c.Endpoint, "base URL of an S3-compatible store (s3.endpoint; default AWS, or AWS_ENDPOINT_URL_S3)")
	fs.BoolVar(&c.PathStyle, "s3-path-style", c.PathStyle, "path-style bucket addressing, for most S3-compatible stores (s3.path_style)")
	fs.StringVar(&c.Region, "s3-region", c.Region, "region of the bucket (s3.region; default AWS_REGION or the profile's, else us-east-1)")
	fs.StringVar(&c.KMSKeyID, "kms-key-id", c.KMSKeyID, "KMS key for SSE-KMS encryption of every object (s3.kms_key_id)")
	fs.StringVar(&c.ObjectLockMode, "object-lock-mode", c.ObjectLockMode, "GOVERNANCE or COMPLIANCE retention for every object; the bucket needs Object Lock (s3.object_lock_mode)")
	fs.IntVar(&c.RetainDays, "retain-days", c.RetainDays, "days of Object Lock retention, with --object-lock-mode (s3.retain_days)")
	fs.StringVar(&c.RetainFrom, "retain-from", c.RetainFrom, "retention counts from the upload or the run's as_of (s3.retain_from)")
	fs.StringVar(&c.SpoolDir, "spool-dir", c.SpoolDir, "folder keeping runs until S3 confirms them (s3.spool_dir; default OUT/.spool)")
	fs.Var(&c.PresignExpiry, "presign-expiry", "lifetime of presigned audit.xlsx links in the digest, at most 7d, capped by the credentials' expiry; off: none (s3.presign_expiry)")
	fs.StringVar(&c.ConsoleLink, "s3-console-link", c.ConsoleLink, "link the digest to the run in the AWS S3 console: auto (no endpoint set), always or never (s3.console_link)")
}

// LockMode returns ObjectLockMode in upper case.
func (c *S3) LockMode() string { return strings.ToUpper(strings.TrimSpace(c.ObjectLockMode)) }

// Validate reports the first invalid S3 setting. Settings other than the
// bucket are checked only when a bucket is set.
func (c *S3) Validate() error {
	if !c.Enabled() {
		return nil
	}
	if strings.ContainsAny(c.Bucket, "/:") {
		return fmt.Errorf("s3.bucket %q: want a bucket name only; put the key prefix in s3.prefix", c.Bucket)
	}
	if strings.Contains(strings.Trim(c.Prefix, "/"), "//") {
		return fmt.Errorf("s3.prefix %q: empty path segment", c.Prefix)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3.endpoint %q: want an http:// or https:// URL", c.Endpoint)
		}
	}
	switch mode := c.LockMode(); {
	case mode == "" && c.RetainDays != 0:
		return fmt.Errorf("s3.retain_days %d needs s3.object_lock_mode GOVERNANCE or COMPLIANCE", c.RetainDays)
	case mode == "":
	case mode != "GOVERNANCE" && mode != "COMPLIANCE":
		return fmt.Errorf("s3.object_lock_mode %q: want GOVERNANCE or COMPLIANCE", c.ObjectLockMode)
	case c.RetainDays <= 0 || c.RetainDays > 36500:
		return fmt.Errorf("s3.retain_days %d: object_lock_mode %s needs 1 to 36500 days", c.RetainDays, mode)
	}
	switch c.RetainFrom {
	case "", RetainFromUpload, RetainFromAsOf:
	default:
		return fmt.Errorf("s3.retain_from %q: want %s or %s", c.RetainFrom, RetainFromUpload, RetainFromAsOf)
	}
	if d := c.PresignExpiry.Duration(); d < 0 || d > MaxPresignExpiry {
		return fmt.Errorf("s3.presign_expiry %s: want 0 (no link) to 7d", c.PresignExpiry)
	}
	switch c.ConsoleLink {
	case "", ConsoleLinkAuto, ConsoleLinkAlways, ConsoleLinkNever:
	default:
		return fmt.Errorf("s3.console_link %q: want auto, always or never", c.ConsoleLink)
	}
	return nil
}

// Expiry is a lifetime written as a Go duration (36h, 90m) or whole days
// (7d, 1d12h); 0 and off mean none.
type Expiry time.Duration

// Duration returns e as a time.Duration.
func (e Expiry) Duration() time.Duration { return time.Duration(e) }

// String formats e as ParseExpiry reads it.
func (e Expiry) String() string {
	d := time.Duration(e)
	switch {
	case d == 0:
		return "off"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// Type names the flag's value in the help.
func (e *Expiry) Type() string { return "duration" }

// Set parses s into e; it makes *Expiry a pflag.Value.
func (e *Expiry) Set(s string) error {
	d, err := ParseExpiry(s)
	if err != nil {
		return err
	}
	*e = Expiry(d)
	return nil
}

// UnmarshalYAML reads e from a scalar such as 7d or 12h.
func (e *Expiry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 7d or 12h", n.Line)
	}
	if err := e.Set(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalYAML writes e as String does.
func (e Expiry) MarshalYAML() (any, error) { return e.String(), nil }

// ParseExpiry parses a Go duration, optionally preceded by whole days
// (7d, 1d12h); "", 0 and off give 0.
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "0", "off", "none":
		return 0, nil
	}
	var d time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 3650 {
			return 0, fmt.Errorf("duration %q: want days such as 7d, or a Go duration such as 12h", s)
		}
		d, rest = time.Duration(days)*24*time.Hour, s[i+1:]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want days such as 7d, or a Go duration such as 12h", s)
		}
		d += r
	}
	if d < 0 {
		return 0, errors.New("duration " + strconv.Quote(s) + ": negative")
	}
	return d, nil
}

package config

import "flag"

// S3 configures the S3 archive (archive).
type S3 struct{}

// DefaultS3 returns the S3 defaults.
func DefaultS3() S3 { return S3{} }

// RegisterFlags binds the S3 flags to the fields of c.
func (c *S3) RegisterFlags(fs *flag.FlagSet) {}

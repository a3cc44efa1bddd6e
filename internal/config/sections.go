package config

import "flag"

// AWS configures collection from a live AWS Organization (collect/aws).
type AWS struct{}

// DefaultAWS returns the AWS defaults.
func DefaultAWS() AWS { return AWS{} }

// RegisterFlags binds the AWS flags to a's fields.
func (a *AWS) RegisterFlags(fs *flag.FlagSet) {}

// S3 configures the S3 archive (archive).
type S3 struct{}

// DefaultS3 returns the S3 defaults.
func DefaultS3() S3 { return S3{} }

// RegisterFlags binds the S3 flags to a's fields.
func (a *S3) RegisterFlags(fs *flag.FlagSet) {}

// Slack configures the Slack digest (notify/slack).
type Slack struct{}

// DefaultSlack returns the Slack defaults.
func DefaultSlack() Slack { return Slack{} }

// RegisterFlags binds the Slack flags to a's fields.
func (a *Slack) RegisterFlags(fs *flag.FlagSet) {}

package config

import "flag"

// AWS configures collection from a live AWS Organization (collect/aws).
type AWS struct{}

// DefaultAWS returns the AWS defaults.
func DefaultAWS() AWS { return AWS{} }

// RegisterFlags binds the AWS flags to the fields of c.
func (c *AWS) RegisterFlags(fs *flag.FlagSet) {}

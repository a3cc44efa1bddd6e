package config

import "flag"

// Slack configures the Slack digest (notify/slack).
type Slack struct{}

// DefaultSlack returns the Slack defaults.
func DefaultSlack() Slack { return Slack{} }

// RegisterFlags binds the Slack flags to the fields of c.
func (c *Slack) RegisterFlags(fs *flag.FlagSet) {}

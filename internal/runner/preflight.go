package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/report/markdown"
)

// ConfigError is a setting that cannot be used: the command line, the
// configuration file or the environment is at fault, not the run.
type ConfigError struct{ Err error }

// Error returns the wrapped error's text.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Check is the one validation `run`, `daemon` and `config check` share,
// so that config check accepts exactly what an audit accepts: every
// setting (config.Problems, which the other subcommands run too), then
// what the settings name: the source opens (the dir: folder exists; AWS
// credentials are configured and the org source accepts its options), the
// exceptions file is read and every entry is valid as of asOf (zero: the
// source's own date, else now), and the templates folder loads. It
// returns every problem found; none means an audit can start.
func Check(ctx context.Context, cfg *config.Config, asOf time.Time) []error {
	if problems := cfg.Problems(); len(problems) > 0 {
		return problems
	}
	var problems []error
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, defaultAsOf, err := OpenSource(ctx, cfg, quiet)
	if err != nil {
		problems = append(problems, err)
	}
	if asOf.IsZero() {
		asOf = defaultAsOf
	}
	if _, err := LoadExceptions(ctx, cfg, asOf); err != nil {
		problems = append(problems, err)
	}
	if err := checkTemplates(cfg.Templates); err != nil {
		problems = append(problems, err)
	}
	return problems
}

// checkTemplates loads a templates folder the way a run and a digest do:
// it must exist and define audit.md (slack.tmpl is optional).
func checkTemplates(dir string) error {
	if dir == "" {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("templates (--templates): %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("templates (--templates) %s: not a folder", dir)
	}
	t, err := markdown.Templates(dir)
	if err != nil {
		return fmt.Errorf("%w (in %s)", err, dir)
	}
	if t.Lookup(markdown.TemplateName) == nil {
		return fmt.Errorf("templates (--templates) %s: %s is not defined; copy it from the built-in templates/ to change it", dir, markdown.TemplateName)
	}
	if _, err := slack.Template(dir); err != nil {
		return fmt.Errorf("%w (in %s)", err, dir)
	}
	return nil
}

// LoadExceptions reads and validates the accepted-risks file, if any.
// The run's as-of bounds the expiry dates; when it is not known yet (the
// run starts now), today is used. The file may also be an S3 object,
// s3://BUCKET/KEY, read with the archive's S3 settings (endpoint, region,
// addressing style).
func LoadExceptions(ctx context.Context, cfg *config.Config, asOf time.Time) ([]audit.Exception, error) {
	if cfg.Exceptions == "" {
		return nil, nil
	}
	var data []byte
	var err error
	if strings.HasPrefix(cfg.Exceptions, "s3://") {
		data, err = archive.Fetch(ctx, cfg.S3, cfg.Exceptions)
	} else {
		data, err = os.ReadFile(cfg.Exceptions)
	}
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	return exceptions.Parse(data, cfg.Exceptions, asOf, cfg.ExceptionsMaxDays)
}

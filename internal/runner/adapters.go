package runner

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/result"
)

// Notifiers returns the notifiers configured in cfg: today the Slack
// digest, which prints itself to stdout when Slack is not configured or
// --slack-dry-run is set. opts tune the Slack notifier (tests inject a
// fast retrier).
func Notifiers(cfg *config.Config, stdout io.Writer, log *slog.Logger, opts ...slack.Option) ([]app.Notifier, error) {
	tmpl, err := slack.Template(cfg.Templates)
	if err != nil {
		return nil, err
	}
	creds, err := slack.LoadCredentials(&cfg.Slack, os.Getenv)
	if err != nil {
		return nil, err
	}
	n, err := slack.New(&cfg.Slack, creds, tmpl, log, append([]slack.Option{slack.WithOutput(stdout)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return []app.Notifier{n}, nil
}

// runNotifiers is Notifiers for an audit: a notifier that cannot be built
// must not cost the audit, so its error is logged and returned by a
// stand-in notifier; the run folder is written and the delivery fails.
func runNotifiers(cfg *config.Config, stdout io.Writer, log *slog.Logger) []app.Notifier {
	ns, err := Notifiers(cfg, stdout, log)
	if err != nil {
		log.Error("notifier configuration is invalid; the audit runs, the notification will fail", "notifier", "slack", "err", err)
		return []app.Notifier{failedNotifier{name: "slack", err: err}}
	}
	return ns
}

// slackConfigured reports whether a Slack token, webhook or dry run is set.
func slackConfigured(cfg *config.Config) bool {
	if cfg.Slack.DryRun != config.DryRunOff || cfg.Slack.TokenFile != "" || cfg.Slack.WebhookURLFile != "" {
		return true
	}
	for _, env := range []string{config.SlackTokenEnv, config.SlackWebhookURLEnv} {
		if os.Getenv(env) != "" {
			return true
		}
	}
	return false
}

// failedNotifier stands in for a notifier whose configuration is invalid.
type failedNotifier struct {
	name string
	err  error
}

func (f failedNotifier) Name() string { return f.name }

func (f failedNotifier) Notify(context.Context, *result.Run, result.Location) error { return f.err }

// runHistory is where a run finds its predecessors: the S3 archive when
// one is configured, then the local run folders (which also hold runs
// still waiting in the spool, and serve when S3 is unreachable).
func runHistory(cfg *config.Config, a *archive.Archiver) history.Store {
	local := history.Local{Root: cfg.Out}
	if a == nil {
		return local
	}
	return &history.Union{Stores: []history.Store{archive.History{Archiver: a}, local}}
}

// Package slack posts the digest of an audit run to Slack: a Block Kit
// message rendered from templates/slack.tmpl, sent with a bot token
// (chat.postMessage, preferred) or an incoming webhook, optionally with
// audit.md or audit.xlsx uploaded in its thread. Routes send each team a
// digest scoped to its accounts; the default channel gets the
// organization-wide one.
//
// Secrets come from the environment or a file and never appear in errors
// or logs. Failures are retried where that can help (rate limits honour
// Retry-After, server and network errors back off), and are returned; the
// run's artifacts are only ever read.
package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify"
	"github.com/reporter-dev/reporter/result"
)

// Credentials are the Slack secrets. They are never logged.
type Credentials struct {
	// Token is a bot token (xoxb-…) with the chat:write scope (and
	// files:write to upload).
	Token string
	// WebhookURL is an incoming-webhook URL; used when there is no token.
	WebhookURL string
}

// LoadCredentials reads the token from $SLACK_BOT_TOKEN, else from
// c.TokenFile, and the webhook URL from $SLACK_WEBHOOK_URL, else from
// c.WebhookURLFile. getenv is os.Getenv outside tests. Errors name the
// variable or file, never its content.
func LoadCredentials(c *config.Slack, getenv func(string) string) (Credentials, error) {
	var creds Credentials
	var err error
	if creds.Token, err = secret(getenv, config.SlackTokenEnv, c.TokenFile, "slack.token_file"); err != nil {
		return creds, err
	}
	if creds.WebhookURL, err = secret(getenv, config.SlackWebhookURLEnv, c.WebhookURLFile, "slack.webhook_url_file"); err != nil {
		return creds, err
	}
	return creds, nil
}

func secret(getenv func(string) string, env, file, key string) (string, error) {
	if v := strings.TrimSpace(getenv(env)); v != "" {
		return v, nil
	}
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s %s is empty", key, file)
	}
	return v, nil
}

// Notifier posts run digests to Slack. Build it with New.
type Notifier struct {
	cfg     config.Slack
	creds   Credentials
	tmpl    *template.Template
	log     *slog.Logger
	api     *slackgo.Client // nil without a token
	http    *http.Client
	retrier notify.Retrier
	out     io.Writer
	dryRun  config.DryRun
	why     string // why the digest is printed, not posted
	changes ChangesFunc
}

// Option changes a Notifier built by New.
type Option func(*Notifier)

// WithHTTPClient sets the HTTP client of every Slack call.
func WithHTTPClient(c *http.Client) Option { return func(n *Notifier) { n.http = c } }

// WithRetrier sets the retry policy; tests inject its Sleep.
func WithRetrier(r notify.Retrier) Option { return func(n *Notifier) { n.retrier = r } }

// WithOutput sets where a dry run prints the digest (default os.Stdout).
func WithOutput(w io.Writer) Option { return func(n *Notifier) { n.out = w } }

// WithChanges sets the source of new/resolved counts since the last run.
func WithChanges(f ChangesFunc) Option { return func(n *Notifier) { n.changes = f } }

// New returns a notifier for cfg. With a token it posts with
// chat.postMessage, else with a webhook; with neither, or with
// cfg.DryRun set, it prints the digest instead. tmpl must define
// slack.message (see Template). log may be nil.
func New(cfg *config.Slack, creds Credentials, tmpl *template.Template, log *slog.Logger, opts ...Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if tmpl == nil || tmpl.Lookup(TemplateName) == nil {
		return nil, fmt.Errorf("slack: template %s is not defined", TemplateName)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		cfg: *cfg, creds: creds, tmpl: tmpl, log: log.With("notifier", "slack"),
		http: &http.Client{Timeout: 30 * time.Second}, out: os.Stdout, dryRun: cfg.DryRun,
		changes: RunChanges,
	}
	for _, o := range opts {
		o(n)
	}
	if n.cfg.MaxFindings == 0 {
		n.cfg.MaxFindings = config.DefaultSlackMaxFindings
	}
	if n.cfg.Upload == "" {
		n.cfg.Upload = config.UploadNone
	}
	apiURL := or(n.cfg.APIURL, config.DefaultSlackAPIURL)
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	switch {
	case n.dryRun != config.DryRunOff:
		n.why = "dry run (--slack-dry-run or slack.dry_run)"
	case creds.Token == "" && creds.WebhookURL == "":
		n.dryRun, n.why = config.DryRunText, "Slack is not configured: set "+config.SlackTokenEnv+" or "+config.SlackWebhookURLEnv
	case creds.Token != "":
		if n.cfg.Channel == "" {
			return nil, errors.New("slack: a channel is required with a bot token (slack.channel or --slack-channel): it gets the organization-wide digest")
		}
		if creds.WebhookURL != "" {
			n.log.Info("both a Slack bot token and a webhook URL are set; using the token")
		}
	default:
		u, err := url.Parse(creds.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("slack: the webhook URL (" + config.SlackWebhookURLEnv + " or slack.webhook_url_file) is not an http(s) URL")
		}
		if len(n.cfg.Routes) > 0 {
			return nil, errors.New("slack: slack.routes need a bot token (" + config.SlackTokenEnv + "): an incoming webhook posts to one fixed channel")
		}
		if n.cfg.Upload != config.UploadNone {
			return nil, fmt.Errorf("slack: slack.upload %s needs a bot token (%s) with files:write; a webhook cannot upload", n.cfg.Upload, config.SlackTokenEnv)
		}
	}
	if !n.cfg.Mentions {
		for _, r := range n.cfg.Routes {
			if len(r.Mention) > 0 {
				n.log.Warn("a Slack route lists people to mention but slack.mentions is off: nobody is mentioned", "channel", r.Channel)
				break
			}
		}
		if len(n.cfg.MentionTagDomains) > 0 {
			n.log.Warn("slack.mention_tag_domains is set but slack.mentions is off: no owner is mentioned")
		}
	}
	if creds.Token != "" {
		n.api = slackgo.New(creds.Token, slackgo.OptionAPIURL(apiURL), slackgo.OptionHTTPClient(n.http))
	}
	return n, nil
}

// Name identifies the notifier in logs and errors.
func (n *Notifier) Name() string {
	if n.dryRun != config.DryRunOff {
		return "slack (dry run)"
	}
	return "slack"
}

// Notify delivers the digests of run: the organization-wide one to the
// default channel, then one per routed channel. A failure on one channel
// does not stop the others; the errors are joined, each naming its
// channel. Notify only reads the run folder (to upload a file).
func (n *Notifier) Notify(ctx context.Context, run *result.Run, loc result.Location) error {
	targets, notes := plan(run, &n.cfg)
	for _, note := range notes {
		n.log.Warn(note)
	}
	if loc.LinkWarning != "" {
		n.log.Warn("the digest's download links expire early", "why", loc.LinkWarning)
	}
	people, _ := n.people(ctx)
	var errs []error
	for i := range targets {
		t := &targets[i]
		if err := n.deliver(ctx, run, t, loc, people); err != nil {
			if t.channel != "" {
				err = fmt.Errorf("%s: %w", t.channel, err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func channelName(ch string) string { return or(ch, "the webhook's channel") }

func (n *Notifier) deliver(ctx context.Context, run *result.Run, t *target, loc result.Location, people People) error {
	msg, d, err := compose(n.tmpl, run, t, loc, n.cfg.Channel, n.cfg.MaxFindings, n.changes, people)
	if err != nil {
		return err
	}
	log := n.log.With("channel", channelName(t.channel), "scope_accounts", d.Scope.Accounts, "findings", d.Findings, "listed", d.Listed)
	if n.dryRun != config.DryRunOff {
		return n.print(t, msg)
	}
	if n.api == nil {
		if err := n.postWebhook(ctx, log, msg); err != nil {
			return err
		}
		log.Info("Slack digest posted", "via", "webhook", "blocks", len(msg.Blocks.BlockSet))
		return nil
	}
	channelID, ts, err := n.postMessage(ctx, log, t.channel, msg)
	if err != nil {
		return err
	}
	log.Info("Slack digest posted", "via", "chat.postMessage", "channel_id", channelID, "ts", ts, "blocks", len(msg.Blocks.BlockSet))
	if t.orgWide && n.cfg.Upload != config.UploadNone {
		if err := n.upload(ctx, log, run, channelID, ts, loc); err != nil {
			return err
		}
	}
	return nil
}

// print writes the digest for a dry run.
func (n *Notifier) print(t *target, msg *Message) error {
	ch := channelName(t.channel)
	if t.channel == "" && n.creds.Token == "" && n.creds.WebhookURL == "" {
		ch = "the default channel"
	}
	if n.dryRun == config.DryRunJSON {
		doc := struct {
			Channel string `json:"channel,omitempty"`
			*Message
		}{t.channel, msg}
		b, err := marshalIndent(doc)
		if err != nil {
			return err
		}
		_, err = n.out.Write(b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n── Slack digest for %s (not posted: %s) ──\n", ch, n.why)
	b.WriteString(PlainText(msg))
	if t.orgWide && n.cfg.Upload != config.UploadNone {
		fmt.Fprintf(&b, "(would upload %s in the digest's thread)\n", uploadName(n.cfg.Upload))
	}
	b.WriteString("── end of Slack digest ──\n")
	_, err := io.WriteString(n.out, b.String())
	return err
}

// postMessage posts msg with chat.postMessage and returns the channel ID
// and timestamp of the message.
func (n *Notifier) postMessage(ctx context.Context, log *slog.Logger, channel string, msg *Message) (channelID, ts string, err error) {
	err = n.retry(ctx, log, "chat.postMessage", func(ctx context.Context) (bool, error) {
		c, t, err := n.api.PostMessageContext(ctx, channel,
			slackgo.MsgOptionText(msg.Text, false),
			slackgo.MsgOptionBlocks(msg.Blocks.BlockSet...),
			slackgo.MsgOptionDisableLinkUnfurl(),
		)
		if err != nil {
			return classify(err)
		}
		channelID, ts = c, t
		return false, nil
	})
	return channelID, ts, err
}

func (n *Notifier) postWebhook(ctx context.Context, log *slog.Logger, msg *Message) error {
	blocks := msg.Blocks
	wm := &slackgo.WebhookMessage{Text: msg.Text, Blocks: &blocks}
	return n.retry(ctx, log, "webhook", func(ctx context.Context) (bool, error) {
		if err := slackgo.PostWebhookCustomHTTPContext(ctx, n.creds.WebhookURL, n.http, wm); err != nil {
			return classify(err)
		}
		return false, nil
	})
}

// upload attaches audit.md or audit.xlsx to the digest's thread with the
// files upload v2 flow (getUploadURLExternal, upload, completeUploadExternal).
// Only the organization-wide digest gets it: the files cover every account.
func (n *Notifier) upload(ctx context.Context, log *slog.Logger, run *result.Run, channelID, ts string, loc result.Location) error {
	name := uploadName(n.cfg.Upload)
	path := filepath.Join(loc.Dir, name)
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("upload %s: the file is empty", path)
	}
	var id string
	err = n.retry(ctx, log, "files upload", func(ctx context.Context) (bool, error) {
		f, err := os.Open(path)
		if err != nil {
			return false, err
		}
		defer f.Close()
		sum, err := n.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
			Reader: f, FileSize: int(fi.Size()), Filename: name,
			Title:   fmt.Sprintf("IAM credential audit %s — %s", run.Run.ID, name),
			Channel: channelID, ThreadTimestamp: ts,
		})
		if err != nil {
			return classify(err)
		}
		id = sum.ID
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	log.Info("Slack file uploaded", "file", name, "file_id", id, "bytes", fi.Size())
	return nil
}

func uploadName(u config.SlackUpload) string {
	if u == config.UploadWorkbook {
		return "audit.xlsx"
	}
	return "audit.md"
}

// retry runs op with the notifier's retry policy, logging each retry.
// Every error is redacted as soon as op returns it, before it is logged or
// wrapped, so no message built from it can hold a secret.
func (n *Notifier) retry(ctx context.Context, log *slog.Logger, what string, op notify.Op) error {
	r := n.retrier
	r.OnRetry = func(attempt int, wait time.Duration, err error) {
		log.Warn("Slack call failed; retrying", "call", what, "attempt", attempt, "wait", wait, "err", err)
	}
	err := r.Do(ctx, func(ctx context.Context) (bool, error) {
		retry, err := op(ctx)
		if err == nil {
			return false, nil
		}
		err = n.redact(err)
		if ctx.Err() != nil {
			return false, err // canceled or out of time: not Slack's fault, no retry
		}
		return retry, err
	})
	if err == nil {
		return nil
	}
	return n.redact(fmt.Errorf("%s: %w", what, err))
}

func (n *Notifier) redact(err error) error {
	return notify.Redact(err, n.creds.Token, n.creds.WebhookURL)
}

// hints explain Slack's error codes.
var hints = map[string]string{
	"invalid_auth":      "the bot token is invalid; check " + config.SlackTokenEnv + " or slack.token_file",
	"not_authed":        "no bot token was sent",
	"token_revoked":     "the bot token was revoked",
	"token_expired":     "the bot token expired",
	"account_inactive":  "the bot or workspace was deactivated",
	"channel_not_found": "the channel does not exist or the bot cannot see it: invite the bot or use the channel ID",
	"not_in_channel":    "invite the bot to the channel (/invite @your-bot)",
	"is_archived":       "the channel is archived",
	"missing_scope":     "the bot token lacks a scope: it needs chat:write, files:write to upload, users:read.email for slack.mentions",
	"invalid_blocks":    "Slack rejected the blocks; check templates/slack.tmpl",
	"msg_too_long":      "the message is too long",
}

// retryableCodes are Slack error codes worth another attempt.
var retryableCodes = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// classify says whether a Slack failure is worth retrying, and adds
// Retry-After and hints to it.
func classify(err error) (retry bool, _ error) {
	if rl, ok := errors.AsType[*slackgo.RateLimitedError](err); ok {
		return true, notify.RetryAfter(err, rl.RetryAfter)
	}
	if se, ok := errors.AsType[slackgo.SlackErrorResponse](err); ok {
		if h := hints[se.Err]; h != "" {
			if se.Needed != "" {
				h += " (needed: " + se.Needed + ")"
			}
			err = fmt.Errorf("%w: %s", err, h)
		}
		return retryableCodes[se.Err], err
	}
	if sc, ok := errors.AsType[slackgo.StatusCodeError](err); ok {
		switch sc.Code {
		case http.StatusNotFound, http.StatusForbidden, http.StatusGone:
			err = fmt.Errorf("%w: the webhook URL or API URL is wrong, revoked, or its channel is archived", err)
		}
		return sc.Retryable(), err
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return true, err
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true, err
	}
	return false, err
}

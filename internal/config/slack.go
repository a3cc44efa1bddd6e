package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

// The environment variables holding the Slack secrets. Secrets are read
// from the environment or from a file, never from the command line or the
// configuration file itself.
const (
	SlackTokenEnv      = "SLACK_BOT_TOKEN"
	SlackWebhookURLEnv = "SLACK_WEBHOOK_URL"
)

// DefaultSlackAPIURL is Slack's Web API. GovSlack workspaces use
// https://slack-gov.com/api/.
const DefaultSlackAPIURL = "https://slack.com/api/"

// DefaultSlackMaxFindings is how many findings a digest lists by default.
const DefaultSlackMaxFindings = 10

// Slack configures the Slack digest (notify/slack).
type Slack struct {
	// APIURL is the Slack Web API base URL.
	APIURL string `yaml:"api_url"`
	// Channel is the default channel (name like #security, or ID). It gets
	// the organization-wide digest, which also covers every account that no
	// route matches. Required with a bot token.
	Channel string `yaml:"channel"`
	// TokenFile is a file holding the bot token, read when SLACK_BOT_TOKEN
	// is not set.
	TokenFile string `yaml:"token_file"`
	// WebhookURLFile is a file holding an incoming-webhook URL, read when
	// SLACK_WEBHOOK_URL is not set. The bot token is preferred when both
	// are available.
	WebhookURLFile string `yaml:"webhook_url_file"`
	// Upload attaches a file to the organization-wide digest: none,
	// markdown (audit.md) or workbook (audit.xlsx). Needs a bot token.
	Upload SlackUpload `yaml:"upload"`
	// DryRun prints the digest to stdout instead of posting it.
	DryRun DryRun `yaml:"dry_run"`
	// Routes send each team a digest scoped to its accounts.
	Routes []SlackRoute `yaml:"routes"`
	// MaxFindings caps how many findings a digest lists; the rest are
	// counted and left to the workbook. 0 means the default.
	MaxFindings int `yaml:"max_findings"`
	// Mentions lets digests mention people: each route's mention list,
	// and the owners from exceptions and routes of listed findings whose
	// owner is an email address of a Slack user (users.lookupByEmail,
	// scope users:read.email). Off by default; owners from tags only with
	// mention_tag_domains.
	Mentions bool `yaml:"mentions"`
	// MentionTagDomains are the email domains (example.com) whose owners
	// from IAM user or account tags are looked up and mentioned too, with
	// mentions on; exact domains, no subdomains. Empty (the default): an
	// owner from a tag is never a mention, as anyone able to tag a user
	// could name any colleague.
	MentionTagDomains []string `yaml:"mention_tag_domains"`
}

// SlackRoute sends a channel the digest of the accounts it matches. An
// account matches when its ID is listed, when one of its OUs (at any
// depth) is listed, or when it carries one of the tags (key and value).
//
// Routes naming the same channel form one team. Each team gets its own
// audit.xlsx and audit.md, of its accounts only, in the run folder's
// teams/<folder>/, where folder is the team's name (or, without one, its
// channel) made safe (runfolder.TeamFolder).
type SlackRoute struct {
	// Name names the team; its folder is teams/<name made safe>/.
	// Routes of one channel share it. Empty means the channel's name.
	Name     string            `yaml:"name"`
	Channel  string            `yaml:"channel"`
	Accounts []string          `yaml:"accounts"`
	OUs      []string          `yaml:"ous"`
	Tags     map[string]string `yaml:"tags"`
	// Mention lists the Slack user groups (IDs S…) and users (IDs U… or
	// W…) the team's digest mentions, with slack.mentions on.
	Mention []string `yaml:"mention"`
	// Owner, when set, owns the findings of the accounts the route
	// matches that neither an owner tag nor an exception gives an owner
	// (optional; e.g. "team-payments").
	Owner string `yaml:"owner"`
}

// TeamName returns the name of the team of the routes to channel: the
// first name one of them gives, else the channel.
func (c *Slack) TeamName(channel string) string {
	for _, r := range c.Routes {
		if r.Channel == channel && r.Name != "" {
			return r.Name
		}
	}
	return channel
}

// IsSlackUserGroupID reports whether id has the form of a Slack user
// group ID (S followed by upper-case letters and digits).
func IsSlackUserGroupID(id string) bool { return slackID(id, "S") }

// IsSlackUserID reports whether id has the form of a Slack user ID (U or
// W followed by upper-case letters and digits).
func IsSlackUserID(id string) bool { return slackID(id, "UW") }

// slackID reports whether id is one of the letters of first followed by
// 2 to 20 upper-case ASCII letters and digits.
func slackID(id, first string) bool {
	if len(id) < 3 || len(id) > 21 || !strings.ContainsRune(first, rune(id[0])) {
		return false
	}
	for _, r := range id[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Matches reports whether the route covers an account: its ID is
// listed, one of its OUs (at any depth) is listed, or it carries one of
// the tags (key and value).
func (r *SlackRoute) Matches(id string, ous []string, tags map[string]string) bool {
	if slices.Contains(r.Accounts, id) {
		return true
	}
	for _, ou := range ous {
		if slices.Contains(r.OUs, ou) {
			return true
		}
	}
	for k, v := range r.Tags {
		if got, ok := tags[k]; ok && got == v {
			return true
		}
	}
	return false
}

// SlackUpload selects the file uploaded beside the digest.
type SlackUpload string

// The upload choices.
const (
	UploadNone     SlackUpload = "none"
	UploadMarkdown SlackUpload = "markdown"
	UploadWorkbook SlackUpload = "workbook"
)

// DryRun says whether, and how, the digest is printed instead of posted.
type DryRun string

// The dry-run modes.
const (
	DryRunOff  DryRun = ""
	DryRunText DryRun = "text" // a readable rendering
	DryRunJSON DryRun = "json" // the message as Slack would receive it
)

// Set implements pflag.Value: "true" or "text" print a readable
// rendering, "json" the message JSON, "false" or "" post for real.
func (d *DryRun) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "off", "no":
		*d = DryRunOff
	case "true", "text", "on", "yes":
		*d = DryRunText
	case "json":
		*d = DryRunJSON
	default:
		return fmt.Errorf("dry run %q: want true, false, text or json", s)
	}
	return nil
}

// Type names the flag's value in the help.
func (d *DryRun) Type() string { return "text|json" }

// String implements pflag.Value.
func (d *DryRun) String() string {
	if d == nil || *d == DryRunOff {
		return "false"
	}
	return string(*d)
}

// UnmarshalYAML accepts a boolean or text, json.
func (d *DryRun) UnmarshalYAML(n *yaml.Node) error {
	if err := d.Set(n.Value); err != nil {
		return fmt.Errorf("line %d: slack.dry_run: %w", n.Line, err)
	}
	return nil
}

// DefaultSlack returns the Slack defaults.
func DefaultSlack() Slack {
	return Slack{APIURL: DefaultSlackAPIURL, Upload: UploadNone, MaxFindings: DefaultSlackMaxFindings}
}

// RegisterFlags binds the Slack flags to the fields of c. There is
// deliberately no flag for the token or the webhook URL: command lines are
// visible to every user of the machine.
func (c *Slack) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Channel, "slack-channel", c.Channel, "default Slack channel: gets the organization-wide digest (token from $"+SlackTokenEnv+" or slack.token_file)")
	fs.StringVar(&c.APIURL, "slack-api-url", c.APIURL, "Slack Web API base URL (GovSlack: https://slack-gov.com/api/)")
	fs.Var(&c.DryRun, "slack-dry-run", "print the Slack digest to stdout instead of posting it; --slack-dry-run=json prints the message JSON")
	// --slack-dry-run alone means text; a value needs the = form.
	fs.Lookup("slack-dry-run").NoOptDefVal = string(DryRunText)
	fs.Var((*uploadFlag)(&c.Upload), "slack-upload", "file attached to the organization-wide digest: none, markdown or workbook")
}

// uploadFlag is the --slack-upload flag: one of the SlackUpload choices.
type uploadFlag SlackUpload

// String implements pflag.Value.
func (u *uploadFlag) String() string { return string(*u) }

// Type names the flag's value in the help.
func (u *uploadFlag) Type() string { return "none|markdown|workbook" }

// Set implements pflag.Value; it refuses an unknown choice at once.
func (u *uploadFlag) Set(s string) error {
	c := Slack{Upload: SlackUpload(s)}
	if err := c.validateUpload(); err != nil {
		return err
	}
	*u = uploadFlag(s)
	return nil
}

// Validate reports the first invalid Slack setting.
func (c *Slack) Validate() error {
	var errs []error
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("slack.api_url %q: want an http(s) URL such as %s", c.APIURL, DefaultSlackAPIURL))
		}
	}
	if err := c.validateUpload(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateMentionTagDomains(c.MentionTagDomains)...)
	if c.MaxFindings < 0 {
		errs = append(errs, fmt.Errorf("slack.max_findings %d: want 0 (default %d) or more", c.MaxFindings, DefaultSlackMaxFindings))
	}
	for i, r := range c.Routes {
		where := fmt.Sprintf("slack.routes[%d]", i)
		if r.Channel != "" {
			where += " (" + r.Channel + ")"
		}
		if r.Channel == "" {
			errs = append(errs, fmt.Errorf("%s: channel is required", where))
		}
		if len(r.Accounts) == 0 && len(r.OUs) == 0 && len(r.Tags) == 0 {
			errs = append(errs, fmt.Errorf("%s: matches nothing: set accounts, ous or tags", where))
		}
		for _, id := range r.Accounts {
			if !isAccountID(id) {
				errs = append(errs, fmt.Errorf("%s: account %q is not a 12-digit account ID (quote IDs in YAML)", where, id))
			}
		}
		for k := range r.Tags {
			if k == "" {
				errs = append(errs, fmt.Errorf("%s: empty tag key", where))
			}
		}
		for _, id := range r.Mention {
			if !IsSlackUserGroupID(id) && !IsSlackUserID(id) {
				errs = append(errs, fmt.Errorf("%s: mention %q is not a Slack user group ID (S…) or user ID (U… or W…); "+
					"find it in Slack under the group's or the member's profile, \"Copy ID\"", where, id))
			}
		}
	}
	errs = append(errs, c.validateTeams()...)
	return errors.Join(errs...)
}

// validateTeams checks that the routes of one channel give their team one
// name and that no two teams write to the same folder.
func (c *Slack) validateTeams() []error {
	var errs []error
	names := map[string]string{}   // channel → its team's name
	folders := map[string]string{} // folder → the channel whose team writes it
	for i, r := range c.Routes {
		if r.Channel == "" {
			continue // reported above
		}
		where := fmt.Sprintf("slack.routes[%d] (%s)", i, r.Channel)
		if name, ok := names[r.Channel]; ok {
			if r.Name != "" && r.Name != name {
				errs = append(errs, fmt.Errorf("%s: name %q: the routes to %s form one team, already named %q: give them one name", where, r.Name, r.Channel, name))
			}
			continue
		}
		name := c.TeamName(r.Channel)
		names[r.Channel] = name
		folder := runfolder.TeamFolder(name)
		if folder == "" {
			errs = append(errs, fmt.Errorf("%s: team name %q has no ASCII letter or digit to name its folder %s/<name>/: set name (in ASCII)", where, name, runfolder.TeamsDir))
			continue
		}
		if ch, ok := folders[folder]; ok {
			errs = append(errs, fmt.Errorf("%s: team %q writes to %s, as the team of %s does: give one of them another name",
				where, name, runfolder.TeamPath(folder, ""), ch))
			continue
		}
		folders[folder] = r.Channel
	}
	return errs
}

// validateMentionTagDomains reports each entry of slack.mention_tag_domains
// that is not a domain name (labels of ASCII letters, digits and inner
// hyphens, at least two).
func validateMentionTagDomains(domains []string) []error {
	var errs []error
	for i, d := range domains {
		where := fmt.Sprintf("slack.mention_tag_domains[%d] %q (%sSLACK_MENTION_TAG_DOMAINS)", i, d, EnvPrefix)
		switch {
		case strings.Contains(d, "@"):
			errs = append(errs, fmt.Errorf("%s: want the domain alone, without the @ (example.com)", where))
		case strings.Contains(d, "*"):
			errs = append(errs, fmt.Errorf("%s: want a domain, no wildcard: subdomains are not matched, list each", where))
		case !isDomain(d):
			errs = append(errs, fmt.Errorf("%s: want an email domain such as example.com", where))
		}
	}
	return errs
}

// isDomain reports whether s is a domain name of at least two labels,
// each 1 to 63 ASCII letters, digits and hyphens, not starting or
// ending with one; 253 characters at most.
func isDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(s) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (c *Slack) validateUpload() error {
	switch c.Upload {
	case "", UploadNone, UploadMarkdown, UploadWorkbook:
		return nil
	}
	return fmt.Errorf("slack.upload %q: want none, markdown or workbook", c.Upload)
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

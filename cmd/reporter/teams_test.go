package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
)

// TestRunTeamFilesEndToEnd runs the sample audit as an operator would,
// with a Slack route, the archive on versitygw and Slack on slacktest:
// the team's own files are written, listed in the manifest, archived and
// verified, and the team's digest mentions its group and links its own
// folder in the S3 console and its own audit.xlsx.
func TestRunTeamFilesEndToEnd(t *testing.T) {
	srv := archiveEnv(t)
	slk := slackfake.New(t)
	t.Setenv(config.SlackTokenEnv, "xoxb-0000-e2e")
	t.Setenv(config.SlackWebhookURLEnv, "")
	out := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "reporter.yaml")
	yaml := `
s3:
  bucket: plain
  prefix: audits
  endpoint: ` + srv.URL + `
  path_style: true
  console_link: always
  presign_expiry: 1d
slack:
  api_url: ` + slk.APIURL() + `
  channel: "#security"
  mentions: true
  routes:
    - name: Payments Team
      channel: "#payments"
      accounts: ["222222222222", "333333333333"]
      mention: ["S012AB3CD"]
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli(t, "run", "--source", "sample", "--out", out, "--config", cfg); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	local := filepath.Join(out, "2026", "11", "20261101T060000Z")
	m, err := runfolder.ReadManifest(local)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
	}
	for _, p := range []string{"teams/payments-team/audit.xlsx", "teams/payments-team/audit.md"} {
		if !listed[p] {
			t.Errorf("manifest lacks %s", p)
		}
		key := "audits/2026/11/20261101T060000Z/" + p
		if _, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String(key)}); err != nil {
			t.Errorf("%s not archived: %v", key, err)
		}
	}
	code, stdout, stderr := cli(t, "archive", "verify", "latest", "--json", "--bucket", "plain", "--prefix", "audits", "--s3-endpoint", srv.URL, "--s3-path-style")
	if code != exitOK || !strings.Contains(stdout, `"teams/payments-team/audit.xlsx"`) {
		t.Errorf("archive verify = %d, want the team files verified\n%s\n%s", code, stdout, stderr)
	}

	blocks := map[string]string{}
	for _, p := range slk.Posts() {
		var raw any
		if err := json.Unmarshal(p.Blocks, &raw); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(raw)
		blocks[p.Channel] = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	}
	team, org := blocks["#payments"], blocks["#security"]
	for _, want := range []string{
		"*For:* <!subteam^S012AB3CD>",
		"*Your team's report:* <https://us-east-1.console.aws.amazon.com/s3/buckets/plain?prefix=audits/2026/11/20261101T060000Z/teams/payments-team/&amp;region=us-east-1|open teams/payments-team/ of the run in the S3 console>",
		"/audits/2026/11/20261101T060000Z/teams/payments-team/audit.xlsx?",
		"|download your audit.xlsx> (link valid 1 day, until ",
		"archived at `s3://plain/audits/2026/11/20261101T060000Z/teams/payments-team/audit.xlsx`",
	} {
		if !strings.Contains(team, want) {
			t.Errorf("#payments digest lacks %q:\n%s", want, team)
		}
	}
	for _, want := range []string{
		"*Full report:* <https://us-east-1.console.aws.amazon.com/s3/buckets/plain?prefix=audits/2026/11/20261101T060000Z/&amp;region=us-east-1|open the run in the S3 console>",
		"archived at `s3://plain/audits/2026/11/20261101T060000Z/audit.xlsx`",
	} {
		if !strings.Contains(org, want) {
			t.Errorf("#security digest lacks %q:\n%s", want, org)
		}
	}
	if strings.Contains(org, "teams/") || strings.Contains(org, "subteam") {
		t.Errorf("the organization-wide digest points at a team:\n%s", org)
	}
}

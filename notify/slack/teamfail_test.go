package slack

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/result"
)

// TestDigestTeamFilesFailed: a team whose own files could not be written
// is told so, and pointed to the whole run's report through the console
// (where IAM decides), never through the run's presigned link, which
// downloads the whole organization's workbook for whoever holds it; the
// organization's digest and the other teams' are not changed.
func TestDigestTeamFilesFailed(t *testing.T) {
	const (
		orgLink      = "https://acme-iam-audit.s3.eu-west-1.amazonaws.com/reports/2026/11/20261101T060000Z/audit.xlsx?X-Amz-Signature=ORGWIDE"
		platformLink = "https://acme-iam-audit.s3.eu-west-1.amazonaws.com/reports/2026/11/20261101T060000Z/teams/platform/audit.xlsx?X-Amz-Signature=PLATFORM"
	)
	run, _ := sampleRun(t)
	failedRun := *run
	failedRun.Run.TeamFailures = []result.TeamFailure{{Team: "Payments", Folder: "payments", Error: "mkdir teams/payments: no space left on device"}}
	loc := result.Location{
		ArchiveURI:  "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/",
		ConsoleURL:  "https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-iam-audit?prefix=reports/2026/11/20261101T060000Z/&region=eu-west-1",
		WorkbookURL: orgLink,
		LinkWarning: "download links work for 2 hours only",
		Teams: map[string]result.TeamLocation{"platform": {
			ArchiveURI:  "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/teams/platform/",
			WorkbookURL: platformLink,
		}},
	}
	in := map[string]bool{"222222222222": true}
	const warning = "Your team's own workbook could not be written (see the reporter's log); the report above is the whole organization's."
	tests := []struct {
		name        string
		target      target
		wantWarning bool
		want        string
		// wantLink is the one presigned link the digest may carry, "" for none.
		wantLink string
	}{
		{"failed team", target{channel: "#payments", in: in, folder: "payments"}, true, "*Full report:* open the run in the S3 console", ""},
		{"other team", target{channel: "#platform", in: in, folder: "platform"}, false, "*Your team's report:*", platformLink},
		{"organization", target{channel: "#security", orgWide: true}, false, "*Full report:*", orgLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := compose(builtinTemplate(t), &failedRun, &tt.target, loc, "#security", config.DefaultSlackMaxFindings, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			text := MrkdwnText(m)
			if got := strings.Contains(text, warning); got != tt.wantWarning {
				t.Errorf("digest says %q: %v, want %v:\n%s", warning, got, tt.wantWarning, text)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("digest lacks %q:\n%s", tt.want, text)
			}
			for _, link := range []string{orgLink, platformLink} {
				if got, want := strings.Contains(text, link), link == tt.wantLink; got != want {
					t.Errorf("digest carries the presigned link %s: %t, want %t:\n%s", link, got, want, text)
				}
			}
			if got, want := strings.Contains(text, loc.LinkWarning), tt.wantLink != ""; got != want {
				t.Errorf("digest carries the link warning %q: %t, want %t (only beside a link):\n%s", loc.LinkWarning, got, want, text)
			}
		})
	}
}

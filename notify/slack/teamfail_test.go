package slack

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/result"
)

// TestDigestTeamFilesFailed: a team whose own files could not be written
// is told so, and pointed to the whole run's report; the organization's
// digest and the other teams' are not.
func TestDigestTeamFilesFailed(t *testing.T) {
	run, _ := sampleRun(t)
	failedRun := *run
	failedRun.Run.TeamFailures = []result.TeamFailure{{Team: "Payments", Folder: "payments", Error: "mkdir teams/payments: no space left on device"}}
	loc := result.Location{
		ArchiveURI: "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/",
		ConsoleURL: "https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-iam-audit?prefix=reports/2026/11/20261101T060000Z/&region=eu-west-1",
		Teams: map[string]result.TeamLocation{"platform": {
			ArchiveURI: "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/teams/platform/",
		}},
	}
	in := map[string]bool{"222222222222": true}
	const warning = "Your team's own workbook could not be written (see the reporter's log); the report above is the whole organization's."
	tests := []struct {
		name        string
		target      target
		wantWarning bool
		want        string
	}{
		{"failed team", target{channel: "#payments", in: in, folder: "payments"}, true, "*Full report:* open the run in the S3 console"},
		{"other team", target{channel: "#platform", in: in, folder: "platform"}, false, "*Your team's report:*"},
		{"organization", target{channel: "#security", orgWide: true}, false, "*Full report:*"},
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
		})
	}
}

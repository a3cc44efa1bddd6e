package archive_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// TestWriteRuns: a run with a manifest shows its coverage and counts; an
// upload without one and a manifest without a summary show dashes, never
// zeros that would read as "nothing found".
func TestWriteRuns(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		run  archive.Run
		want string
	}{
		{"complete", archive.Run{ID: "20261101T060000Z", Manifest: &runfolder.Manifest{AsOf: asOf, Summary: &result.Summary{
			AccountsTotal: 4, AccountsAudited: 3, AccountsFailed: 1, Findings: 7, Open: 5, Excepted: 2,
			BySeverity: map[string]int{"critical": 1, "high": 4}}}},
			"20261101T060000Z 2026-11-01T06:00:00Z 3/4 (75%) 5 1 4 0 0 partial"},
		{"no manifest", archive.Run{ID: "20261101T060000Z"}, "20261101T060000Z 2026-11-01T06:00:00Z - - - - - - INCOMPLETE: no manifest"},
		{"no summary", archive.Run{ID: "20261101T060000Z", Manifest: &runfolder.Manifest{AsOf: asOf}}, "20261101T060000Z 2026-11-01T06:00:00Z - - - - - - complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := archive.WriteRuns(&buf, []archive.Run{tt.run}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "RUN ID") || strings.Join(strings.Fields(lines[1]), " ") != tt.want {
				t.Errorf("WriteRuns =\n%s\nwant a header and the columns\n%s", buf.String(), tt.want)
			}
		})
	}
}

// TestFolderCheckText: a failed check lists every problem and never says
// "Verified"; a good one says what it does not show.
func TestFolderCheckText(t *testing.T) {
	bad := &archive.FolderCheck{Dir: "r", Problems: []string{"audit.md: missing", "x.csv: not in the manifest"}, Matched: 3}
	var buf bytes.Buffer
	bad.WriteText(&buf)
	if got := buf.String(); !strings.Contains(got, "VERIFICATION FAILED: 2 problems (3 files match)\n  audit.md: missing\n  x.csv: not in the manifest\n") || strings.Contains(got, "Verified") {
		t.Errorf("failed check:\n%s", got)
	}
	buf.Reset()
	(&archive.FolderCheck{Dir: "r", Matched: 5, ManifestSHA256: "ab12"}).WriteText(&buf)
	if got := buf.String(); !strings.Contains(got, "manifest.json sha256 ab12\nVerified: 5 files match manifest.json") || !strings.Contains(got, "compare its sha256") {
		t.Errorf("good check:\n%s", got)
	}
}

package archive_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
)

func TestConsoleURL(t *testing.T) {
	tests := []struct{ region, bucket, prefix, want string }{
		{"eu-west-1", "acme-audit", "reports/2026/11/20261101T060000Z/",
			"https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-audit?prefix=reports/2026/11/20261101T060000Z/&region=eu-west-1"},
		{"us-east-1", "b", "2026/11/R/teams/payments/",
			"https://us-east-1.console.aws.amazon.com/s3/buckets/b?prefix=2026/11/R/teams/payments/&region=us-east-1"},
		{"cn-north-1", "b", "p/", "https://cn-north-1.console.amazonaws.cn/s3/buckets/b?prefix=p/&region=cn-north-1"},
		{"us-gov-west-1", "b", "p/", "https://us-gov-west-1.console.amazonaws-us-gov.com/s3/buckets/b?prefix=p/&region=us-gov-west-1"},
		{"eu-west-1", "b", "a prefix&x=1/R/", "https://eu-west-1.console.aws.amazon.com/s3/buckets/b?prefix=a%20prefix%26x%3D1/R/&region=eu-west-1"},
		// A plus stays a plus, a space a space, for every decoder.
		{"eu-west-1", "b", "c++ audits/R/", "https://eu-west-1.console.aws.amazon.com/s3/buckets/b?prefix=c%2B%2B%20audits/R/&region=eu-west-1"},
		{"eu-west-1", "b", "#ops?|<x>/Prüfung/", "https://eu-west-1.console.aws.amazon.com/s3/buckets/b?prefix=%23ops%3F%7C%3Cx%3E/Pr%C3%BCfung/&region=eu-west-1"},
		{"us-iso-east-1", "b", "p/", ""},
		{"us-isob-east-1", "b", "p/", ""},
		{"eusc-de-east-1", "b", "p/", ""},
		{"", "b", "p/", ""},
	}
	for _, tt := range tests {
		got := archive.ConsoleURL(tt.region, tt.bucket, tt.prefix)
		if got != tt.want {
			t.Errorf("ConsoleURL(%q, %q, %q) = %q, want %q", tt.region, tt.bucket, tt.prefix, got, tt.want)
		}
		if got == "" {
			continue
		}
		// A form decoder reads the prefix back as it was.
		if u, err := url.Parse(got); err != nil || u.Query().Get("prefix") != tt.prefix || u.Query().Get("region") != tt.region {
			t.Errorf("ConsoleURL(%q, %q, %q) = %q: reads back as prefix %q (%v)", tt.region, tt.bucket, tt.prefix, got, u.Query().Get("prefix"), err)
		}
	}
}

// expiringCredentials are versitygw's keys as a role session would hand
// them out: they expire after left.
func expiringCredentials(left time.Duration) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, // versitygw takes no session token
			CanExpire: true, Expires: time.Now().Add(left), Source: "test role session"}, nil
	})
}

// writeTeamRun is writeRun with a team folder teams/payments/ holding its
// own audit.xlsx and audit.md, listed in the manifest.
func writeTeamRun(t *testing.T, out, id string) (runFolder, map[string][]byte) {
	t.Helper()
	run := writeRun(t, out, id)
	team := map[string][]byte{
		runfolder.TeamPath("payments", "audit.xlsx"): []byte("the payments team's workbook"),
		runfolder.TeamPath("payments", "audit.md"):   []byte("# payments\n"),
	}
	for p, data := range team {
		path := filepath.Join(run.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		run.Files[p] = data
	}
	m, err := runfolder.ReadManifest(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Files, err = runfolder.BuildManifest(run.Dir); err != nil {
		t.Fatal(err)
	}
	if err := runfolder.WriteManifest(run.Dir, m); err != nil {
		t.Fatal(err)
	}
	return run, team
}

// get downloads url and returns the status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestArchiveTeamFilesAndLinks archives a run with a team folder to
// versitygw: the team files are archived and verified like every other
// file, and the location links the run and the team folder in the S3
// console, and each audit.xlsx with a presigned link whose lifetime the
// credentials cap.
func TestArchiveTeamFilesAndLinks(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		edit     func(*config.S3)
		creds    aws.CredentialsProvider // nil: static keys that never expire
		wantLife time.Duration           // 0: no presigned links
		minLife  time.Duration
		wantWarn string
		console  bool
	}{
		{name: "console only (default)", edit: func(c *config.S3) { c.PresignExpiry = 0; c.ConsoleLink = config.ConsoleLinkAlways }, console: true},
		{name: "presigned 1 day", edit: func(c *config.S3) {
			c.PresignExpiry = config.Expiry(24 * time.Hour)
			c.ConsoleLink = config.ConsoleLinkAlways
		},
			wantLife: 24 * time.Hour, minLife: 24 * time.Hour, console: true},
		{name: "endpoint set: no console link", edit: func(c *config.S3) { c.PresignExpiry = config.Expiry(time.Hour) },
			wantLife: time.Hour, minLife: time.Hour},
		{name: "credentials expire first", edit: func(c *config.S3) { c.ConsoleLink = config.ConsoleLinkAlways },
			creds: expiringCredentials(2 * time.Hour), wantLife: 2 * time.Hour, minLife: 2*time.Hour - 10*time.Minute, console: true,
			wantWarn: "not the 7 days of s3.presign_expiry: the credentials that signed them (a role session) expire at "},
		{name: "credentials about to expire", edit: func(c *config.S3) { c.ConsoleLink = config.ConsoleLinkNever },
			creds: expiringCredentials(time.Minute), wantWarn: "no download links: the credentials that would sign them expire at "},
		{name: "credentials outlive the links", edit: func(c *config.S3) { c.PresignExpiry = config.Expiry(time.Hour) },
			creds: expiringCredentials(12 * time.Hour), wantLife: time.Hour, minLife: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			c := s3Config(srv, plainBucket, testPrefix(t))
			tt.edit(&c)
			var logs bytes.Buffer
			opts := []func(*awsconfig.LoadOptions) error{
				awsconfig.WithRetryMaxAttempts(1),
				awsconfig.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
				awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
			}
			creds := tt.creds
			if creds == nil {
				creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey}, nil
				})
			}
			opts = append(opts, awsconfig.WithCredentialsProvider(creds))
			a, err := archive.Open(ctx, c, archive.Options{Out: out, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				Retry: archive.Retry{Attempts: 2}, AWS: opts})
			if err != nil {
				t.Fatal(err)
			}
			id := time.Now().UTC().Add(-time.Hour).Format("20060102T150405Z")
			run, team := writeTeamRun(t, out, id)
			loc, err := a.Archive(ctx, run.Dir, nil)
			if err != nil {
				t.Fatalf("Archive = %v", err)
			}

			// Archived and verified like every other file.
			v, err := a.Verify(ctx, id)
			if err != nil || !v.OK() {
				t.Fatalf("Verify = %v, %v", v.Problems(), err)
			}
			verified := map[string]bool{}
			for _, o := range v.Objects {
				verified[o.Path] = true
			}
			for p := range team {
				if !verified[p] {
					t.Errorf("Verify did not check %s", p)
				}
			}

			prefix := strings.Trim(c.Prefix, "/")
			tl, ok := loc.Teams["payments"]
			if !ok || tl.ArchiveURI != "s3://"+plainBucket+"/"+runKey(prefix, run, "teams/payments/") {
				t.Errorf("Teams = %+v, want payments at %s", loc.Teams, runKey(prefix, run, "teams/payments/"))
			}
			if len(loc.Teams) != 1 {
				t.Errorf("Teams = %+v, want payments only", loc.Teams)
			}
			wantConsole, wantTeamConsole := "", ""
			if tt.console {
				wantConsole = archive.ConsoleURL(s3test.Region, plainBucket, runKey(prefix, run, ""))
				wantTeamConsole = archive.ConsoleURL(s3test.Region, plainBucket, runKey(prefix, run, "teams/payments/"))
			}
			if loc.ConsoleURL != wantConsole || tl.ConsoleURL != wantTeamConsole {
				t.Errorf("console links = %q, %q; want %q, %q", loc.ConsoleURL, tl.ConsoleURL, wantConsole, wantTeamConsole)
			}
			if tt.console && !strings.Contains(loc.ConsoleURL, "console.aws.amazon.com/s3/buckets/"+plainBucket+"?prefix="+runKey(prefix, run, "")) {
				t.Errorf("ConsoleURL = %q, want the run folder", loc.ConsoleURL)
			}

			if tt.wantLife == 0 {
				if loc.WorkbookURL != "" || tl.WorkbookURL != "" || !loc.LinksExpire.IsZero() {
					t.Errorf("presigned links %q, %q until %s; want none", loc.WorkbookURL, tl.WorkbookURL, loc.LinksExpire)
				}
			} else {
				if loc.LinkLifetime > tt.wantLife || loc.LinkLifetime < tt.minLife {
					t.Errorf("LinkLifetime = %s, want %s to %s", loc.LinkLifetime, tt.minLife, tt.wantLife)
				}
				if d := time.Until(loc.LinksExpire) - loc.LinkLifetime; d > time.Minute || d < -time.Minute {
					t.Errorf("LinksExpire = %s, %s from now; want in %s", loc.LinksExpire, time.Until(loc.LinksExpire), loc.LinkLifetime)
				}
				for url, want := range map[string][]byte{loc.WorkbookURL: run.Files["audit.xlsx"], tl.WorkbookURL: team["teams/payments/audit.xlsx"]} {
					if !strings.Contains(url, "X-Amz-Expires="+strconv.Itoa(int(loc.LinkLifetime.Seconds()))) {
						t.Errorf("link %s: want X-Amz-Expires=%d", url, int(loc.LinkLifetime.Seconds()))
					}
					if code, body := get(t, url); code != http.StatusOK || !bytes.Equal(body, want) {
						t.Errorf("GET %s = %d, %d bytes; want 200 and %d bytes", url, code, len(body), len(want))
					}
				}
			}
			if !strings.Contains(loc.LinkWarning, tt.wantWarn) || (tt.wantWarn == "") != (loc.LinkWarning == "") {
				t.Errorf("LinkWarning = %q, want %q", loc.LinkWarning, tt.wantWarn)
			}
			if tt.wantWarn != "" && !strings.Contains(logs.String(), "presigned links expire sooner than s3.presign_expiry") {
				t.Errorf("log does not warn:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), s3test.SecretKey) {
				t.Errorf("log holds the secret key")
			}
		})
	}
}

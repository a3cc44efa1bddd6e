package collect

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/collect/posture"
)

// lastAccessedJSON is `aws iam get-service-last-accessed-details` output
// for user rootbeer of 111122223333 (detailsJSON), keyed by its ARN.
const lastAccessedJSON = `{
  "arn:aws:iam::111122223333:user/rootbeer": {
    "JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",
    "JobCreationDate": "2026-11-01T05:00:00+00:00", "JobCompletionDate": "2026-11-01T05:00:02+00:00",
    "ServicesLastAccessed": [
      {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": "2026-10-01T00:00:00+00:00",
       "LastAuthenticatedEntity": "arn:aws:iam::111122223333:user/rootbeer", "LastAuthenticatedRegion": "eu-west-1", "TotalAuthenticatedEntities": 1},
      {"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2", "TotalAuthenticatedEntities": 0}
    ],
    "IsTruncated": false
  }
}`

func TestDirSourceLastAccessed(t *testing.T) {
	const id = "111122223333"
	const user = "arn:aws:iam::111122223333:user/rootbeer"
	tests := []struct {
		name string
		// file is the content of the service-last-accessed file; "" for none.
		file  string
		huge  bool // a sparse file larger than the limit instead
		scope posture.PathScope
		// want is "ok", or "missing: …" / "failed: …" (substrings) for the input.
		want string
		// check judges the data read, when want is "ok".
		check func(t *testing.T, la *posture.LastAccessed)
	}{
		{name: "read", file: lastAccessedJSON, want: "ok", check: func(t *testing.T, la *posture.LastAccessed) {
			d := la.Principals[user]
			if d == nil || len(d.ServicesLastAccessed) != 2 || d.ServicesLastAccessed[1].LastAuthenticated != nil {
				t.Fatalf("principals %+v", la.Principals)
			}
		}},
		{name: "no file", want: "missing: no file 111122223333.service-last-accessed.json"},
		{name: "malformed JSON, located", file: lastAccessedJSON[:150], want: "failed: 111122223333.service-last-accessed.json: line 4, column"},
		{name: "a list, not an object", file: `[{"JobStatus": "COMPLETED"}]`, want: "failed: 111122223333.service-last-accessed.json: line 1, column"},
		{name: "null", file: `null`, want: "failed: 111122223333.service-last-accessed.json: line 1, column 1: null"},
		{name: "another account's ARN is refused, the rest kept",
			file: strings.Replace(lastAccessedJSON, `{
  "arn`, `{
  "arn:aws:iam::999999999999:role/elsewhere": {"JobStatus": "COMPLETED", "ServicesLastAccessed": []},
  "not-an-arn": {"JobStatus": "COMPLETED"},
  "arn`, 1),
			want: "ok", check: func(t *testing.T, la *posture.LastAccessed) {
				if la.Principals[user] == nil || len(la.Principals) != 1 {
					t.Errorf("principals %v, want rootbeer only", posture.SortedARNs(la.Principals))
				}
				if err := la.Failed["arn:aws:iam::999999999999:role/elsewhere"]; err == nil || !strings.Contains(err.Error(), "belongs to account 999999999999, not 111122223333") {
					t.Errorf("foreign ARN: %v", err)
				}
				if err := la.Failed["not-an-arn"]; err == nil || !strings.Contains(err.Error(), "is not an IAM ARN") {
					t.Errorf("not an ARN: %v", err)
				}
			}},
		{name: "FAILED, IN_PROGRESS and truncated entries fail their principal",
			file: `{"arn:aws:iam::111122223333:user/rootbeer": {"JobStatus": "FAILED", "Error": {"Code": "ServiceFailure", "Message": "no"}},
			        "arn:aws:iam::111122223333:role/a": {"JobStatus": "IN_PROGRESS"},
			        "arn:aws:iam::111122223333:role/b": {"JobStatus": "COMPLETED", "ServicesLastAccessed": [], "IsTruncated": true, "Marker": "x"},
			        "arn:aws:iam::111122223333:role/c": {"ServicesLastAccessed": []},
			        "arn:aws:iam::111122223333:role/d": "COMPLETED"}`,
			want: "ok", check: func(t *testing.T, la *posture.LastAccessed) {
				for arn, want := range map[string]string{
					user: "job FAILED: ServiceFailure: no", "arn:aws:iam::111122223333:role/a": "job IN_PROGRESS, not COMPLETED",
					"arn:aws:iam::111122223333:role/b": "truncated", "arn:aws:iam::111122223333:role/c": "no JobStatus",
					"arn:aws:iam::111122223333:role/d": "not get-service-last-accessed-details output",
				} {
					if err := la.Failed[arn]; err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s: %v, want %q", arn, err, want)
					}
				}
				if len(la.Principals) != 0 {
					t.Errorf("principals %v, want none", posture.SortedARNs(la.Principals))
				}
			}},
		{name: "larger than the limit: not read", huge: true,
			want: "failed: 111122223333.service-last-accessed.json: 268435457 bytes, more than the 268435456 read at most"},
		{name: "out of the path scope: not asked", file: lastAccessedJSON, scope: posture.PathScope{Include: []string{"/team-*/"}},
			want: "ok", check: func(t *testing.T, la *posture.LastAccessed) {
				if len(la.Principals) != 0 || la.NotAsked[user] != "path / matches no include pattern" {
					t.Errorf("principals %v, not asked %v", posture.SortedARNs(la.Principals), la.NotAsked)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// rootbeer holds a policy through a group, so it is a principal of the check.
			details := strings.Replace(detailsJSON, `"GroupDetailList": []`, `"GroupDetailList": [{"Path": "/", "GroupName": "admins", "GroupId": "AGPA1",
				"Arn": "arn:aws:iam::111122223333:group/admins", "CreateDate": "2024-01-01T00:00:00+00:00", "GroupPolicyList": [],
				"AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}]`, 1)
			write := func(name, data string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(id+".csv", "user,arn,user_creation_time\n<root_account>,arn:aws:iam::"+id+":root,2020-01-01T00:00:00+00:00\n")
			write(id+".authorization-details.json", details)
			name := filepath.Join(dir, id+LastAccessedSuffix)
			switch {
			case tt.huge:
				f, err := os.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Truncate(posture.MaxLastAccessedFile + 1); err != nil { // sparse: no disk used
					t.Fatal(err)
				}
				f.Close()
			case tt.file != "":
				write(id+LastAccessedSuffix, tt.file)
			}
			src, err := NewDirSource(dir)
			if err != nil {
				t.Fatal(err)
			}
			src.ReadLastAccessed(tt.scope)
			var res AccountResult
			if err := src.Collect(context.Background(), func(r AccountResult) error { res = r; return nil }); err != nil {
				t.Fatal(err)
			}
			if res.Status != Collected {
				t.Fatalf("status %s %v: a bad last-accessed file must not fail the account", res.Status, res.Err)
			}
			d := &res.Posture
			got := "ok"
			if p, ok := d.Problem(posture.LastAccessedInput); ok {
				got = map[bool]string{true: "failed: ", false: "missing: "}[p.Failed] + p.Err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Fatalf("last accessed: %s, want %s", got, tt.want)
			}
			if got == "ok" && tt.check != nil {
				tt.check(t, d.LastAccessed)
			}
			if !d.Has(posture.AuthorizationDetailsInput) {
				t.Errorf("the authorization details were lost: %v", d.Problems)
			}
		})
	}
}

// TestDirSourceLastAccessedOptIn: the check is opt-in. Without
// ReadLastAccessed a service last-accessed file is not read, kept as
// evidence nor given to the check, and it is listed among the unused
// files with the reason, as every file not used is.
func TestDirSourceLastAccessedOptIn(t *testing.T) {
	report := "user,arn,user_creation_time\n<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00\n"
	tests := []struct {
		name       string
		on         bool
		files      map[string]string
		wantRead   bool
		wantUnused map[string]string // file name → reason
	}{
		{"check off: listed, not read", false,
			map[string]string{"111122223333.csv": report, "111122223333.service-last-accessed.json": lastAccessedJSON},
			false, map[string]string{"111122223333.service-last-accessed.json": LastAccessedOff}},
		{"check on: read, not listed", true,
			map[string]string{"111122223333.csv": report, "111122223333.service-last-accessed.json": lastAccessedJSON},
			true, map[string]string{}},
		{"check off, and another account's file without a report", false,
			map[string]string{"111122223333.csv": report, "999999999999.service-last-accessed.json": lastAccessedJSON},
			false, map[string]string{"999999999999.service-last-accessed.json": LastAccessedOff}},
		{"check on, a file without a report", true,
			map[string]string{"111122223333.csv": report, "999999999999.service-last-accessed.json": lastAccessedJSON},
			false, map[string]string{"999999999999.service-last-accessed.json": "no credential report for account 999999999999"}},
		{"check off, a malformed file: still not read", false,
			map[string]string{"111122223333.csv": report, "111122223333.service-last-accessed.json": "{not json"},
			false, map[string]string{"111122223333.service-last-accessed.json": LastAccessedOff}},
		{"check off, a misnamed file", false,
			map[string]string{"111122223333.csv": report, "prod.service-last-accessed.json": lastAccessedJSON},
			false, map[string]string{"prod.service-last-accessed.json": "not named after a 12-digit account ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			src, err := NewDirSource(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tt.on {
				src.ReadLastAccessed(posture.PathScope{})
			}
			var res AccountResult
			if err := src.Collect(context.Background(), func(r AccountResult) error { res = r; return nil }); err != nil {
				t.Fatal(err)
			}
			if read := res.Posture.LastAccessed != nil; read != tt.wantRead {
				t.Errorf("last accessed read = %v, want %v", read, tt.wantRead)
			}
			got := map[string]string{}
			for _, f := range src.UnusedFiles() {
				got[f.Name] = f.Reason
			}
			if !maps.Equal(got, tt.wantUnused) {
				t.Errorf("unused files = %v, want %v", got, tt.wantUnused)
			}
			if !tt.wantRead {
				for _, f := range res.Posture.Evidence {
					if strings.HasSuffix(f.Name, LastAccessedSuffix) {
						t.Errorf("evidence %s kept although not read", f.Name)
					}
				}
			}
		})
	}
}

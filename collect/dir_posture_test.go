package collect

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/collect/posture"
)

// The three posture files as the AWS CLI prints them (documents decoded
// to objects, dates with an offset).
const (
	detailsJSON = `{
    "UserDetailList": [{"Path": "/", "UserName": "rootbeer", "UserId": "AIDA1", "Arn": "arn:aws:iam::111122223333:user/rootbeer",
        "CreateDate": "2024-01-01T00:00:00+00:00", "GroupList": ["admins"], "AttachedManagedPolicies": []}],
    "GroupDetailList": [],
    "RoleDetailList": [],
    "Policies": []
}`
	summaryJSON = `{"SummaryMap": {"AccountMFAEnabled": 1, "Users": 1}}`
	devicesJSON = `{"VirtualMFADevices": [{"SerialNumber": "arn:aws:iam::111122223333:mfa/rootbeer",
        "User": {"UserName": "rootbeer", "Arn": "arn:aws:iam::111122223333:user/rootbeer"}}]}`
)

func TestDirSourcePostureFiles(t *testing.T) {
	const id = "111122223333"
	tests := []struct {
		name  string
		files map[string]string
		// want maps each input to "ok", "missing: …" or "failed: …" (substrings).
		want map[posture.Input]string
	}{
		{"all three", map[string]string{
			id + ".authorization-details.json": detailsJSON, id + ".account-summary.json": summaryJSON, id + ".virtual-mfa-devices.json": devicesJSON,
		}, map[posture.Input]string{posture.AuthorizationDetailsInput: "ok", posture.AccountSummaryInput: "ok", posture.VirtualMFADevicesInput: "ok"}},
		{"none", nil, map[posture.Input]string{
			posture.AuthorizationDetailsInput: "missing: no file 111122223333.authorization-details.json",
			posture.AccountSummaryInput:       "missing: no file 111122223333.account-summary.json",
			posture.VirtualMFADevicesInput:    "missing: no file 111122223333.virtual-mfa-devices.json",
		}},
		{"malformed details fail alone, located", map[string]string{
			id + ".authorization-details.json": detailsJSON[:200], id + ".account-summary.json": summaryJSON, id + ".virtual-mfa-devices.json": devicesJSON,
		}, map[posture.Input]string{
			posture.AuthorizationDetailsInput: "failed: 111122223333.authorization-details.json: line 3, column",
			posture.AccountSummaryInput:       "ok", posture.VirtualMFADevicesInput: "ok",
		}},
		{"a credential report saved under the summary's name", map[string]string{
			id + ".account-summary.json": `{"Content": "dXNlcg==", "ReportFormat": "text/csv"}`,
		}, map[posture.Input]string{
			posture.AuthorizationDetailsInput: "missing", posture.VirtualMFADevicesInput: "missing",
			posture.AccountSummaryInput: "failed: 111122223333.account-summary.json: line 1, column 1: no SummaryMap",
		}},
		{"a folder under a posture name", map[string]string{
			id + ".virtual-mfa-devices.json/x": "{}",
		}, map[posture.Input]string{
			posture.AuthorizationDetailsInput: "missing", posture.AccountSummaryInput: "missing",
			posture.VirtualMFADevicesInput: "failed: read 111122223333.virtual-mfa-devices.json: a folder, not a regular file",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, id+".csv", report)
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			got, unused, err := collectDir(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			res := got[id]
			if res.Status != Collected {
				t.Fatalf("status %s (%v): a posture file never fails the account", res.Status, res.Err)
			}
			for _, u := range unused {
				if strings.Contains(u.Name, id) && u.Reason != "a folder: subfolders are not read" {
					t.Errorf("%s listed as unused: %s", u.Name, u.Reason)
				}
			}
			d := &res.Posture
			for in, want := range tt.want {
				p, hasProblem := d.Problem(in)
				var state string
				switch {
				case d.Has(in) && !hasProblem:
					state = "ok"
				case hasProblem && p.Failed && !d.Has(in):
					state = "failed: " + p.Err.Error()
				case hasProblem && !d.Has(in):
					state = "missing: " + p.Err.Error()
				default:
					state = "inconsistent"
				}
				if !strings.HasPrefix(state, want) {
					t.Errorf("%s: %s, want %s", in, state, want)
				}
			}
			// Every file read is evidence, byte for byte, parsed or not.
			for _, f := range d.Evidence {
				if want, ok := tt.files[f.Name]; !ok || string(f.Data) != want {
					t.Errorf("evidence %s = %q, want the file's bytes", f.Name, f.Data)
				}
			}
			if tt.name == "all three" && (len(d.Evidence) != 3 || d.VirtualMFA.VirtualMFADevices[0].User.UserName != "rootbeer") {
				t.Errorf("evidence %d files, devices %+v", len(d.Evidence), d.VirtualMFA)
			}
		})
	}
}

func TestDirSourcePostureFilesWithoutReport(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "111122223333.csv", report)
	write(t, dir, "999999999999.account-summary.json", summaryJSON)
	write(t, dir, "prod.authorization-details.json", detailsJSON)
	_, unused, err := collectDir(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"999999999999.account-summary.json": "no credential report for account 999999999999",
		"prod.authorization-details.json":   "not named after a 12-digit account ID",
	}
	for _, u := range unused {
		if want[u.Name] != u.Reason {
			t.Errorf("unused %s: %q, want %q", u.Name, u.Reason, want[u.Name])
		}
		delete(want, u.Name)
	}
	if len(want) > 0 {
		t.Errorf("not listed as unused: %v", want)
	}
}

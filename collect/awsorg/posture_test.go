package awsorg_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// postureOrg is smallOrg(6) with richer posture inputs in the first
// member: an unassigned device beside the assigned ones, a role without
// RoleLastUsed, a document with a literal %3A and a plus.
func postureOrg() awsfake.Org {
	org := smallOrg(6)
	a := &org.Accounts[1]
	a.Details, a.Summary, a.VirtualMFA = awsfake.SyntheticPosture(a.ID, generatedTime, 12, 5)
	a.Details.RoleDetailList[2].RoleLastUsed = nil
	a.Details.RoleDetailList[3].RolePolicyList = []posture.InlinePolicy{{PolicyName: "odd",
		PolicyDocument: `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a%3Ab+c/*"}}`}}
	a.VirtualMFA.VirtualMFADevices = append(a.VirtualMFA.VirtualMFADevices, posture.VirtualMFADevice{SerialNumber: "arn:aws:iam::" + a.ID + ":mfa/spare"})
	return org
}

func TestPostureCollected(t *testing.T) {
	org := postureOrg()
	srv, url := fake(t, org, awsfake.Options{IAMPageSize: 4})
	got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
	if got.err != nil {
		t.Fatal(got.err)
	}
	for _, want := range org.Accounts {
		res := got.results[want.ID]
		d := &res.Posture
		if res.Status != collect.Collected || len(d.Problems) > 0 {
			t.Fatalf("account %s: %s %v, problems %v", want.ID, res.Status, res.Err, d.Problems)
		}
		// Every page read, every entity kept, documents decoded once.
		if g, w := len(d.Details.RoleDetailList), len(want.Details.RoleDetailList); g != w {
			t.Errorf("account %s: %d roles, want %d", want.ID, g, w)
		}
		if g, w := len(d.Details.Policies), len(want.Details.Policies); g != w {
			t.Errorf("account %s: %d policies, want %d", want.ID, g, w)
		}
		for i, r := range want.Details.RoleDetailList {
			g := d.Details.RoleDetailList[i]
			if len(r.RolePolicyList) > 0 && g.RolePolicyList[0].PolicyDocument != r.RolePolicyList[0].PolicyDocument {
				t.Errorf("role %s document = %q, want %q", r.RoleName, g.RolePolicyList[0].PolicyDocument, r.RolePolicyList[0].PolicyDocument)
			}
			switch {
			case r.RoleLastUsed == nil && g.RoleLastUsed != nil:
				t.Errorf("role %s: RoleLastUsed %+v, want absent", r.RoleName, g.RoleLastUsed)
			case r.RoleLastUsed != nil && (g.RoleLastUsed == nil || (r.RoleLastUsed.LastUsedDate == nil) != (g.RoleLastUsed.LastUsedDate == nil)):
				t.Errorf("role %s: RoleLastUsed %+v, want %+v", r.RoleName, g.RoleLastUsed, r.RoleLastUsed)
			}
		}
		// The default version's document decoded; the other, not judged, not kept.
		for i, p := range want.Details.Policies {
			g := d.Details.Policies[i]
			for j, v := range p.PolicyVersionList {
				w := posture.Document("")
				if v.IsDefaultVersion {
					w = v.Document
				}
				if gv := g.PolicyVersionList[j]; gv.VersionID != v.VersionID || gv.IsDefaultVersion != v.IsDefaultVersion || gv.Document != w {
					t.Errorf("policy %s version %d = %s default %v %.80q, want %s %v %.80q", p.PolicyName, j, gv.VersionID, gv.IsDefaultVersion, gv.Document, v.VersionID, v.IsDefaultVersion, w)
				}
			}
		}
		if d.Summary.SummaryMap["AccountMFAEnabled"] != 1 || d.Summary.SummaryMap["Roles"] != len(want.Details.RoleDetailList) {
			t.Errorf("summary %v", d.Summary.SummaryMap)
		}
		for _, dev := range d.VirtualMFA.VirtualMFADevices {
			if dev.User == nil {
				t.Errorf("account %s: unassigned device %s listed (AssignmentStatus Assigned)", want.ID, dev.SerialNumber)
			}
		}
		// The evidence is the pages as received: IAM's encoding, no Marker on the last.
		var pages [][]byte
		for _, f := range d.Evidence {
			if strings.Contains(f.Name, ".authorization-details.page-") {
				pages = append(pages, f.Data)
			}
		}
		entities := len(want.Details.UserDetailList) + len(want.Details.GroupDetailList) + len(want.Details.RoleDetailList) + len(want.Details.Policies)
		if wantPages := (entities + 3) / 4; len(pages) != wantPages {
			t.Errorf("account %s: %d evidence pages, want %d", want.ID, len(pages), wantPages)
		}
		for i, p := range pages {
			last := i == len(pages)-1
			if !bytes.HasPrefix(p, []byte("<?xml")) || bytes.Contains(p, []byte("<Marker>")) != !last {
				t.Errorf("account %s page %d of %d: Marker present %v: %.200s", want.ID, i+1, len(pages), !last, p)
			}
		}
		if !bytes.Contains(bytes.Join(pages, nil), []byte("%22Statement%22%3A")) {
			t.Errorf("account %s: evidence does not hold the URL-encoded documents", want.ID)
		}
	}
	if odd := got.results[org.Accounts[1].ID].Posture.Details.RoleDetailList[3].RolePolicyList[0].PolicyDocument; !strings.Contains(string(odd), "a%3Ab+c") {
		t.Errorf("a literal %%3A and + must survive one decoding: %s", odd)
	}
	// Read in the account's own session, the one of its credential report.
	sessions := map[string]map[string]string{}
	for _, c := range srv.Calls() {
		if c.Service != "iam" || c.Error != "" {
			continue
		}
		if sessions[c.Caller] == nil {
			sessions[c.Caller] = map[string]string{}
		}
		sessions[c.Caller][c.Action] = c.AccessKeyID
	}
	for acct, keys := range sessions {
		for _, action := range []string{"GetAccountAuthorizationDetails", "GetAccountSummary", "ListVirtualMFADevices"} {
			if keys[action] == "" || keys[action] != keys["GetCredentialReport"] {
				t.Errorf("account %s: %s signed by %q, the credential report by %q", acct, action, keys[action], keys["GetCredentialReport"])
			}
		}
	}
}

func TestPostureFailuresAreTheirChecksOnly(t *testing.T) {
	org := postureOrg()
	ids := make([]string, len(org.Accounts))
	for i, a := range org.Accounts {
		ids[i] = a.ID
	}
	org.Accounts[1].Fault = awsfake.Fault{Actions: map[string]awsfake.ActionFault{"GetAccountAuthorizationDetails": {Error: "AccessDenied"}}}
	org.Accounts[2].Fault = awsfake.Fault{Throttle: map[string]int{"GetAccountAuthorizationDetails": 2, "ListVirtualMFADevices": 1}}
	org.Accounts[3].Fault = awsfake.Fault{Actions: map[string]awsfake.ActionFault{"GetAccountSummary": {Error: "ServiceFailure"}}}
	org.Accounts[4].Fault = awsfake.Fault{Actions: map[string]awsfake.ActionFault{"GetAccountAuthorizationDetails": {Error: "Throttling", AfterPages: 1}}}
	org.Accounts[5].Fault = awsfake.Fault{Actions: map[string]awsfake.ActionFault{"GenerateCredentialReport": {Error: "AccessDenied"}}}
	_, url := fake(t, org, awsfake.Options{IAMPageSize: 3})
	opts := fastOptions(awsorg.ModeOrg)
	opts.MaxAttempts = 3
	got := run(t, url, mgmtCreds, opts)
	if got.err != nil {
		t.Fatal(got.err)
	}
	tests := []struct {
		account string
		status  collect.Status
		failed  map[posture.Input]string // input → error substring
	}{
		{ids[0], collect.Collected, nil},
		{ids[1], collect.Collected, map[posture.Input]string{posture.AuthorizationDetailsInput: "iam:GetAccountAuthorizationDetails: AccessDenied: User: "}},
		{ids[2], collect.Collected, nil}, // throttled, then retried
		{ids[3], collect.Collected, map[posture.Input]string{posture.AccountSummaryInput: "iam:GetAccountSummary: ServiceFailure: The request processing has failed because of an unknown error, exception or failure. (after 3 attempts"}},
		{ids[4], collect.Collected, map[posture.Input]string{posture.AuthorizationDetailsInput: "Throttling: Rate exceeded (after 3 attempts"}},
		{ids[5], collect.Failed, nil},
	}
	for _, tt := range tests {
		res := got.results[tt.account]
		if res.Status != tt.status {
			t.Errorf("account %s: %s (%v), want %s", tt.account, res.Status, res.Err, tt.status)
			continue
		}
		if tt.status == collect.Failed {
			if len(res.Posture.Problems) > 0 || res.Posture.Details != nil {
				t.Errorf("failed account %s keeps posture inputs: %+v", tt.account, res.Posture.Problems)
			}
			continue
		}
		if res.Report == nil {
			t.Errorf("account %s: the credential report is gone", tt.account)
		}
		for _, in := range posture.Inputs {
			p, bad := res.Posture.Problem(in)
			want, wantBad := tt.failed[in]
			switch {
			case bad != wantBad:
				t.Errorf("account %s %s: problem %v, want %q", tt.account, in, p, want)
			case bad && (!p.Failed || !strings.Contains(p.Err.Error(), want) || res.Posture.Has(in)):
				t.Errorf("account %s %s: %v (failed %v), want a failure containing %q", tt.account, in, p.Err, p.Failed, want)
			case !bad && !res.Posture.Has(in):
				t.Errorf("account %s %s: not collected and no problem", tt.account, in)
			}
		}
	}
	// The page read before a failure part way is still evidence.
	n := 0
	for _, f := range got.results[ids[4]].Posture.Evidence {
		if strings.Contains(f.Name, "authorization-details.page-") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("account %s: %d GAAD pages kept as evidence, want the 1 received before the failure", ids[4], n)
	}
}

// TestPostureListingsThatDoNotEnd checks that a listing answered with
// IsTruncated for ever fails only its input, with the reason, and keeps
// the pages read as evidence.
func TestPostureListingsThatDoNotEnd(t *testing.T) {
	tests := []struct {
		action  string
		endless awsfake.Endless
		input   posture.Input
		pages   string // evidence name of the pages kept
		want    string
	}{
		{"GetAccountAuthorizationDetails", awsfake.EndlessSameMarker, posture.AuthorizationDetailsInput, "authorization-details.page-",
			"iam:GetAccountAuthorizationDetails: the listing does not end: page 2 repeats an earlier Marker"},
		{"ListVirtualMFADevices", awsfake.EndlessSameMarker, posture.VirtualMFADevicesInput, "virtual-mfa-devices.page-",
			"iam:ListVirtualMFADevices: the listing does not end: page 2 repeats an earlier Marker"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			org := postureOrg()
			member := org.Accounts[1].ID
			org.Accounts[1].Fault.Endless = map[string]awsfake.Endless{tt.action: tt.endless}
			_, url := fake(t, org, awsfake.Options{IAMPageSize: 4})
			got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
			if got.err != nil {
				t.Fatal(got.err)
			}
			res := got.results[member]
			if res.Status != collect.Collected || res.Report == nil {
				t.Fatalf("account %s: %s (%v): an endless listing fails its input only", member, res.Status, res.Err)
			}
			for _, in := range posture.Inputs {
				p, bad := res.Posture.Problem(in)
				switch {
				case in == tt.input && (!bad || !p.Failed || !strings.Contains(p.Err.Error(), tt.want)):
					t.Errorf("%s: problem %+v, want a failure containing %q", in, p, tt.want)
				case in != tt.input && bad:
					t.Errorf("%s: %v, want it collected", in, p.Err)
				}
			}
			n := 0
			for _, f := range res.Posture.Evidence {
				if strings.Contains(f.Name, tt.pages) {
					n++
				}
			}
			if n != 2 {
				t.Errorf("%d pages of %s kept as evidence, want the 2 read", n, tt.action)
			}
		})
	}
}

package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// TestRunSourceOrgOwners audits the sample organization through the real
// SDK against awsfake: owners come from the authorization details' user
// tags where IAM serves them, else from iam:ListUserTags for the users
// with findings, in the account's own session; a ListUserTags refusal is
// reported for its account and leaves its findings standing.
func TestRunSourceOrgOwners(t *testing.T) {
	tests := []struct {
		name       string
		fault      awsfake.Fault // of acme-dev (333333333333), which has no authorization details
		newHire    string        // owner (source) of new.hire's findings
		wantOut    string
		lookupsOK  bool
		wantStatus int
	}{
		{"ListUserTags answers", awsfake.Fault{}, "it-onboarding@example.com (user-tag:owner)", "Audited 5 of 5 accounts", true, exitOK},
		{"ListUserTags refused", awsfake.Fault{Actions: map[string]awsfake.ActionFault{"ListUserTags": {Error: "AccessDenied"}}},
			"platform (account-tag:team)", "Audited 5 of 5 accounts", false, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, err := awsfake.LoadFS(sample.FS(), "sample")
			if err != nil {
				t.Fatal(err)
			}
			for i := range org.Accounts {
				if org.Accounts[i].ID == "333333333333" {
					org.Accounts[i].Fault = tt.fault
				}
			}
			srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			t.Cleanup(ts.Close)
			awsEndpointEnv(t, ts.URL)
			code, out, run := runFindings(t, "run", "--source", "org")
			if run == nil || code != tt.wantStatus {
				t.Fatalf("reporter run --source org = %d, want %d:\n%s", code, tt.wantStatus, out)
			}
			byUser := map[string]string{}
			if err := run.EachFinding(func(f *audit.Finding) error {
				byUser[f.AccountID+"/"+f.Principal] = f.Owner + " (" + f.OwnerSource + ")"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{
				"333333333333/new.hire":   tt.newHire,
				"222222222222/alice.chen": "alice.chen@example.com (user-tag:owner)", // from the authorization details
				"222222222222/bob.martin": "payments (account-tag:team)",
				"444444444444/dev.sam":    "platform (account-tag:team)",
			} {
				if byUser[k] != want {
					t.Errorf("%s: owner %s, want %s", k, byUser[k], want)
				}
			}
			for _, a := range run.Accounts {
				if a.ID != "333333333333" {
					continue
				}
				var reasons []string
				for _, n := range a.ChecksNotRun {
					reasons = append(reasons, n.String())
				}
				if got := strings.Join(reasons, "\n"); tt.lookupsOK == strings.Contains(got, "owners from user tags") {
					t.Errorf("account 333333333333 checks not run:\n%s", got)
				}
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
			// Only accounts without authorization details are looked up,
			// user by user, in their own audit session.
			session := map[string]string{}
			for _, c := range srv.Calls() {
				if c.Action == "GetCredentialReport" {
					session[c.Caller] = c.AccessKeyID
				}
			}
			looked := map[string]bool{}
			for _, c := range srv.Calls() {
				if c.Action != "ListUserTags" {
					continue
				}
				looked[c.Caller] = true
				if c.AccessKeyID != session[c.Caller] {
					t.Errorf("ListUserTags in %s signed by %s, not the account's session %s", c.Caller, c.AccessKeyID, session[c.Caller])
				}
			}
			if !looked["333333333333"] || !looked["444444444444"] || looked["222222222222"] || looked["111111111111"] {
				t.Errorf("ListUserTags called in %v, want the accounts without authorization details only (333333333333, 444444444444)", looked)
			}
		})
	}
}

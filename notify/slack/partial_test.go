package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestPartialAccountsNamed: an audited account whose posture input could
// not be read is named with the checks that did not run and why; an input
// that was simply not collected (no file) is not a warning.
func TestPartialAccountsNamed(t *testing.T) {
	run, dir := sampleRun(t)
	for i := range run.Accounts {
		if run.Accounts[i].ID == "111111111111" {
			run.Accounts[i].ChecksNotRun = []audit.NotRun{{
				Checks: []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused}, Failed: true,
				Reason: "authorization details: iam:GetAccountAuthorizationDetails: AccessDenied: not authorized",
			}}
		}
	}
	m, d, err := compose(builtinTemplate(t), run, &target{channel: "#security", orgWide: true}, result.Location{Dir: dir}, "#security", 10, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Partial != 1 || len(d.PartialAccounts) != 1 {
		t.Fatalf("partial accounts = %d %+v, want only 111111111111 (the others' inputs were not collected, not failed)", d.Partial, d.PartialAccounts)
	}
	out, _ := json.Marshal(m)
	for _, want := range []string{"1 account audited in part", "111111111111", "user-policy-attached, policy-full-admin, role-unused: authorization details: iam:GetAccountAuthorizationDetails: AccessDenied"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("digest lacks %q", want)
		}
	}
}

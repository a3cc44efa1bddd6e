package awsorg_test

import (
	"maps"
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/internal/awsfake"
	"github.com/reporter-dev/reporter/internal/iampolicy"
)

// readPolicy parses a policy of deploy/iam.
func readPolicy(t *testing.T, name string) iampolicy.Policy {
	t.Helper()
	doc, err := os.ReadFile("../../deploy/iam/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// unusedGrants lists what the reporter's own policy grants although no
// collection calls it, and why. Empty: every grant is used.
var unusedGrants = map[string]string{}

// TestShippedPoliciesAreLeastPrivilege runs the org source end to end
// against awsfake with every feature that makes calls on: OU filters with
// the OU tree walked (no Paths), account tags (Slack routing by tag), the
// dedicated audit role with its external ID, owners from user tags read
// with ListUserTags (IAM failing the authorization details, which would
// otherwise carry them) and, in a second collection, the unused-services
// jobs. It holds the shipped policies
// to what awsfake recorded, both ways: every call is allowed (action and
// resource), and every grant is used by some call, the member role's
// exactly.
func TestShippedPoliciesAreLeastPrivilege(t *testing.T) {
	const role, externalID = "IAMCredentialAuditRole", "5f1c0a7e-iam-audit"
	// Two collections: one where IAM fails the authorization details
	// (owners then come from ListUserTags), one where it answers them
	// (the unused-services jobs need them to name the principals).
	var calls []awsfake.Call
	for _, failDetails := range []bool{true, false} {
		org := awsfake.Synthetic(6, generatedTime)
		if failDetails {
			for i := range org.Accounts {
				org.Accounts[i].Fault.Actions = map[string]awsfake.ActionFault{"GetAccountAuthorizationDetails": {Error: "ServiceFailure"}}
			}
		}
		srv, url := fake(t, org, awsfake.Options{OmitPaths: true, RoleName: role, ExternalID: externalID})
		opts := fastOptions(awsorg.ModeOrg)
		opts.ExcludeOUs = []string{"ou-synt-dev00000"}
		opts.AccountTags = true
		opts.LastAccessed = &awsorg.LastAccessedOptions{} // the opt-in unused-services check
		opts.RoleName, opts.ExternalID = role, externalID
		opts.OwnerTagKeys, opts.MaxAttempts = []string{"owner"}, 2
		got := run(t, url, mgmtCreds, opts, func(*collect.AccountResult) []string { return []string{"user0"} })
		if got.err != nil {
			t.Fatal(got.err)
		}
		calls = append(calls, srv.Calls()...)
	}

	// Calls signed by the base key are the reporter's role; the others,
	// the member audit roles' sessions.
	reporter, member := map[string]iampolicy.Request{}, map[string]iampolicy.Request{}
	for _, c := range calls {
		if !c.NeedsPermission() {
			continue
		}
		if c.Error == "AccessDenied" || c.Error == "InvalidClientTokenId" {
			t.Errorf("%s answered %s: the collection should run clean", c.IAMAction(), c.Error)
		}
		r := iampolicy.Request{Action: c.IAMAction(), Resource: c.Resource()}
		if c.AccessKeyID == awsfake.DefaultAccessKeyID {
			reporter[r.String()] = r
		} else {
			member[r.String()] = r
		}
	}
	for _, want := range []string{"organizations:ListAccounts", "organizations:ListParents", "organizations:ListChildren", "organizations:ListTagsForResource", "sts:AssumeRole", "iam:GetCredentialReport", "iam:ListUserTags",
		"iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"} {
		if !slices.ContainsFunc(slices.Collect(maps.Values(reporter)), func(r iampolicy.Request) bool { return r.Action == want }) {
			t.Fatalf("the collection never called %s with the reporter's credentials; the test would prove nothing about it", want)
		}
	}
	if len(member) == 0 {
		t.Fatal("no member session made a call")
	}

	for _, c := range []struct {
		policy string
		calls  map[string]iampolicy.Request
		unused map[string]string
	}{
		{"reporter-management-policy.json", reporter, unusedGrants},
		{"member-audit-role-policy.json", member, nil},
	} {
		p := readPolicy(t, c.policy)
		for _, r := range c.calls {
			if !p.Allows(r) {
				t.Errorf("%s does not allow %s, which the collection makes", c.policy, r)
			}
		}
		for _, g := range p.Grants() {
			used := false
			for _, r := range c.calls {
				used = used || g.Covers(r)
			}
			if _, excused := c.unused[g.Action]; !used && !excused {
				t.Errorf("%s grants %s on %s (statement %s), which no call uses", c.policy, g.Action, g.Resource, g.Sid)
			}
		}
	}

	// The member role's template carries the same policy and requires the external ID.
	tmpl, err := os.ReadFile("../../deploy/cloudformation/member-audit-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfn struct {
		Resources map[string]struct {
			Properties struct {
				AssumeRolePolicyDocument struct {
					Statement []struct {
						Condition map[string]map[string]string `yaml:"Condition"`
					} `yaml:"Statement"`
				} `yaml:"AssumeRolePolicyDocument"`
				Policies []struct {
					PolicyDocument struct {
						Statement []struct {
							Action []string `yaml:"Action"`
						} `yaml:"Statement"`
					} `yaml:"PolicyDocument"`
				} `yaml:"Policies"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(tmpl, &cfn); err != nil {
		t.Fatal(err)
	}
	auditRole := cfn.Resources["AuditRole"].Properties
	if len(auditRole.Policies) != 1 || len(auditRole.AssumeRolePolicyDocument.Statement) != 1 {
		t.Fatalf("AuditRole: %d policies, %d trust statements; want 1 and 1", len(auditRole.Policies), len(auditRole.AssumeRolePolicyDocument.Statement))
	}
	if _, ok := auditRole.AssumeRolePolicyDocument.Statement[0].Condition["StringEquals"]["sts:ExternalId"]; !ok {
		t.Error("the audit role's trust policy does not require an sts:ExternalId")
	}
	var inline, memberCalled []string
	for _, st := range auditRole.Policies[0].PolicyDocument.Statement {
		inline = append(inline, st.Action...)
	}
	for _, r := range member {
		memberCalled = append(memberCalled, r.Action)
	}
	slices.Sort(inline)
	slices.Sort(memberCalled)
	if !slices.Equal(inline, slices.Compact(memberCalled)) {
		t.Errorf("the template's inline policy allows %v; member sessions call %v", inline, memberCalled)
	}
}

package awssource_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	awssource "github.com/reporter-dev/reporter/collect/aws"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// policyActions reads the Allow actions of an IAM policy document.
func policyActions(t *testing.T, doc []byte) []string {
	t.Helper()
	var p struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range p.Statement {
		switch a := st.Action.(type) {
		case string:
			out = append(out, a)
		case []any:
			for _, x := range a {
				out = append(out, x.(string))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestDeployPoliciesMatchCalls runs an OU-filtered collection (the widest
// set of calls) and checks the deploy/ policies grant every action made,
// and the member role nothing more.
func TestDeployPoliciesMatchCalls(t *testing.T) {
	srv, url := fake(t, awsfake.Synthetic(6, generatedTime), awsfake.Options{OmitPaths: true})
	opts := fastOptions(awssource.ModeOrg)
	opts.ExcludeOUs = []string{"ou-synt-dev00000"}
	if got := run(t, url, mgmtCreds, opts); got.err != nil {
		t.Fatal(got.err)
	}
	called := map[bool]map[string]bool{true: {}, false: {}} // by "signed by the base key"
	for _, c := range srv.Calls() {
		if c.Action == "GetCallerIdentity" {
			continue // needs no permission
		}
		called[c.AccessKeyID == awsfake.DefaultAccessKeyID][c.Service+":"+c.Action] = true
	}

	for _, want := range []string{"organizations:ListAccounts", "organizations:ListParents", "organizations:ListChildren", "sts:AssumeRole", "iam:GetCredentialReport"} {
		if !called[true][want] {
			t.Fatalf("the collection never called %s with the base credentials; the test would check nothing", want)
		}
	}
	mgmtDoc, err := os.ReadFile("../../deploy/iam/reporter-management-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	memberDoc, err := os.ReadFile("../../deploy/iam/member-audit-role-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	mgmtAllowed, memberAllowed := policyActions(t, mgmtDoc), policyActions(t, memberDoc)
	for action := range called[true] {
		if !slices.Contains(mgmtAllowed, action) {
			t.Errorf("the reporter's own credentials call %s, which reporter-management-policy.json does not allow", action)
		}
	}
	var memberCalled []string
	for action := range called[false] {
		memberCalled = append(memberCalled, action)
	}
	slices.Sort(memberCalled)
	if !slices.Equal(memberCalled, memberAllowed) {
		t.Errorf("member sessions call %v; member-audit-role-policy.json allows %v; want the same", memberCalled, memberAllowed)
	}

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
	role := cfn.Resources["AuditRole"].Properties
	if len(role.Policies) != 1 || len(role.AssumeRolePolicyDocument.Statement) != 1 {
		t.Fatalf("AuditRole: %d policies, %d trust statements; want 1 and 1", len(role.Policies), len(role.AssumeRolePolicyDocument.Statement))
	}
	if _, ok := role.AssumeRolePolicyDocument.Statement[0].Condition["StringEquals"]["sts:ExternalId"]; !ok {
		t.Error("the audit role's trust policy does not require an sts:ExternalId")
	}
	var inline []string
	for _, st := range role.Policies[0].PolicyDocument.Statement {
		inline = append(inline, st.Action...)
	}
	slices.Sort(inline)
	if !slices.Equal(inline, memberAllowed) {
		t.Errorf("the template's inline policy allows %v, want %v as member-audit-role-policy.json", inline, memberAllowed)
	}
}

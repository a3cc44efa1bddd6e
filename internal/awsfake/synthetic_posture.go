package awsfake

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/reporter-dev/reporter/collect/posture"
)

// SyntheticPosture returns deterministic authorization details, account
// summary and virtual MFA devices of account id as of asOf, with the
// given numbers of roles and customer-managed policies, and a few users
// and groups. Their mix fires every posture check somewhere in an
// organization: users with direct policies, an attached full-admin
// policy whose default version is not the first, unused roles beside a
// service-linked one, root on a virtual MFA device.
func SyntheticPosture(id string, asOf time.Time, roles, policies int) (*posture.AuthorizationDetails, *posture.AccountSummary, *posture.VirtualMFADevices) {
	seed, _ := strconv.ParseUint(id, 10, 64)
	rng := rand.New(rand.NewPCG(seed, 7))
	day := func(n int) time.Time { return asOf.AddDate(0, 0, -n).Truncate(time.Second) }
	arn := func(kind, name string) string { return "arn:aws:iam::" + id + ":" + kind + "/" + name }
	d := &posture.AuthorizationDetails{}

	for u := range 3 {
		name := fmt.Sprintf("user%d", u)
		user := posture.UserDetail{Path: "/", UserName: name, UserID: fmt.Sprintf("AIDA%s%04d", id, u), Arn: arn("user", name),
			CreateDate: day(500 + u), GroupList: []string{"developers"}}
		if u == 0 && rng.IntN(2) == 0 {
			user.AttachedManagedPolicies = []posture.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		}
		d.UserDetailList = append(d.UserDetailList, user)
	}
	d.GroupDetailList = []posture.GroupDetail{{Path: "/", GroupName: "developers", GroupID: "AGPA" + id, Arn: arn("group", "developers"),
		CreateDate: day(900), GroupPolicyList: []posture.InlinePolicy{{PolicyName: "deploy", PolicyDocument: syntheticDocument(rng, 4)}},
		AttachedManagedPolicies: []posture.AttachedPolicy{{PolicyName: "policy-0", PolicyArn: arn("policy", "policy-0")}}}}

	for r := range roles {
		name := fmt.Sprintf("role-%03d", r)
		path := "/"
		if r == 0 {
			name, path = "AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/"
		}
		role := posture.RoleDetail{Path: path, RoleName: name, RoleID: fmt.Sprintf("AROA%s%04d", id, r), Arn: "arn:aws:iam::" + id + ":role" + path + name,
			CreateDate: day(100 + rng.IntN(900)), AssumeRolePolicyDocument: trustDocument(id),
			RolePolicyList:          []posture.InlinePolicy{{PolicyName: "inline", PolicyDocument: syntheticDocument(rng, 3)}},
			AttachedManagedPolicies: []posture.AttachedPolicy{{PolicyName: fmt.Sprintf("policy-%d", r%max(policies, 1)), PolicyArn: arn("policy", fmt.Sprintf("policy-%d", r%max(policies, 1)))}},
			RoleLastUsed:            &posture.RoleLastUsed{}}
		if rng.IntN(4) != 0 {
			used := day(rng.IntN(200))
			role.RoleLastUsed = &posture.RoleLastUsed{LastUsedDate: &used, Region: "eu-west-1"}
		}
		d.RoleDetailList = append(d.RoleDetailList, role)
	}
	for p := range policies {
		name := fmt.Sprintf("policy-%d", p)
		v1 := posture.PolicyVersion{VersionID: "v1", Document: syntheticDocument(rng, 5), CreateDate: day(800)}
		v2 := posture.PolicyVersion{VersionID: "v2", Document: syntheticDocument(rng, 5), CreateDate: day(300), IsDefaultVersion: true}
		if p == 1 && rng.IntN(3) == 0 {
			v2.Document = `{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":"*","Resource":"*"}]}`
		}
		d.Policies = append(d.Policies, posture.ManagedPolicy{PolicyName: name, PolicyID: fmt.Sprintf("ANPA%s%04d", id, p), Arn: arn("policy", name), Path: "/",
			DefaultVersionID: "v2", AttachmentCount: 1 + rng.IntN(3), IsAttachable: true, CreateDate: day(800), UpdateDate: day(300),
			PolicyVersionList: []posture.PolicyVersion{v1, v2}})
	}

	mfa := 1
	devices := &posture.VirtualMFADevices{VirtualMFADevices: []posture.VirtualMFADevice{}}
	enabled := day(400)
	if rng.IntN(3) == 0 {
		devices.VirtualMFADevices = append(devices.VirtualMFADevices, posture.VirtualMFADevice{SerialNumber: arn("mfa", "root-account-mfa-device"),
			EnableDate: &enabled, User: &posture.MFAUser{UserID: id, Arn: "arn:aws:iam::" + id + ":root"}})
	}
	devices.VirtualMFADevices = append(devices.VirtualMFADevices, posture.VirtualMFADevice{SerialNumber: arn("mfa", "user1"),
		EnableDate: &enabled, User: &posture.MFAUser{Path: "/", UserName: "user1", UserID: fmt.Sprintf("AIDA%s%04d", id, 1), Arn: arn("user", "user1")}})
	summary := &posture.AccountSummary{SummaryMap: map[string]int{
		"AccountMFAEnabled": mfa, "AccountAccessKeysPresent": 0, "Users": len(d.UserDetailList), "Groups": len(d.GroupDetailList),
		"Roles": len(d.RoleDetailList), "Policies": len(d.Policies), "MFADevices": len(devices.VirtualMFADevices), "MFADevicesInUse": len(devices.VirtualMFADevices),
	}}
	return d, summary, devices
}

// services are the services synthetic policies grant.
var services = []string{"s3", "ec2", "dynamodb", "lambda", "sqs", "sns", "logs", "cloudwatch", "kms", "ssm"}

// syntheticDocument is a policy of n statements of a few actions each,
// some 150 bytes per statement as policies written by hand are.
func syntheticDocument(rng *rand.Rand, n int) posture.Document {
	type stmt struct {
		Sid      string
		Effect   string
		Action   []string
		Resource []string
	}
	doc := struct {
		Version   string
		Statement []stmt
	}{Version: "2012-10-17"}
	for i := range n {
		svc := services[rng.IntN(len(services))]
		doc.Statement = append(doc.Statement, stmt{Sid: fmt.Sprintf("Allow%s%d", svc, i), Effect: "Allow",
			Action:   []string{svc + ":Get*", svc + ":List*", svc + ":Describe*"},
			Resource: []string{fmt.Sprintf("arn:aws:%s:eu-west-1:*:resource-%d/*", svc, rng.IntN(1000))}})
	}
	out, _ := json.MarshalIndent(doc, "", "    ")
	return posture.Document(out)
}

// trustDocument lets the account's root assume a role.
func trustDocument(id string) posture.Document {
	return posture.Document(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sts:AssumeRole"}]}`)
}

// writePosture writes the account's posture inputs as the AWS CLI prints
// them; none for a nil input.
func writePosture(dir string, a *Account) error {
	for _, f := range []struct {
		suffix string
		v      any
		set    bool
	}{
		{".authorization-details.json", a.Details, a.Details != nil},
		{".account-summary.json", a.Summary, a.Summary != nil},
		{".virtual-mfa-devices.json", a.VirtualMFA, a.VirtualMFA != nil},
		{".service-last-accessed.json", a.LastAccessed, a.LastAccessed != nil},
	} {
		if !f.set {
			continue
		}
		data, err := json.MarshalIndent(f.v, "", "    ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, a.ID+f.suffix), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// SyntheticLastAccessed returns deterministic service last-accessed data
// for every user and role of d that holds a policy, as of asOf: each is
// granted the ten services of synthetic policies, of which most were used
// within the last weeks, some long ago and some never, so that
// unused-services fires for some principals and not others.
func SyntheticLastAccessed(id string, d *posture.AuthorizationDetails, asOf time.Time) map[string]*posture.ServiceLastAccessedDetails {
	seed, _ := strconv.ParseUint(id, 10, 64)
	rng := rand.New(rand.NewPCG(seed, 19))
	out := map[string]*posture.ServiceLastAccessedDetails{}
	created := asOf.Add(-time.Hour).Truncate(time.Second)
	for _, p := range d.PolicyHolders() {
		job := &posture.ServiceLastAccessedDetails{JobStatus: posture.JobCompleted, JobType: "SERVICE_LEVEL",
			JobCreationDate: &created, JobCompletionDate: &created, ServicesLastAccessed: []posture.ServiceLastAccessed{}}
		for _, svc := range services {
			s := posture.ServiceLastAccessed{ServiceName: "Amazon " + svc, ServiceNamespace: svc}
			switch n := rng.IntN(10); {
			case n < 7:
				t := asOf.AddDate(0, 0, -rng.IntN(30)).Truncate(time.Second)
				one := 1
				s.LastAuthenticated, s.LastAuthenticatedEntity, s.LastAuthenticatedRegion, s.TotalAuthenticatedEntities = &t, p.ARN, "eu-west-1", &one
			case n < 9:
				t := asOf.AddDate(0, 0, -(120 + rng.IntN(200))).Truncate(time.Second)
				one := 1
				s.LastAuthenticated, s.LastAuthenticatedEntity, s.LastAuthenticatedRegion, s.TotalAuthenticatedEntities = &t, p.ARN, "eu-west-1", &one
			}
			job.ServicesLastAccessed = append(job.ServicesLastAccessed, s)
		}
		out[p.ARN] = job
	}
	return out
}

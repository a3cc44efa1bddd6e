package audit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/posture"
)

func TestUnusedServices(t *testing.T) {
	arn := func(kind, name string) string { return "arn:aws:iam::" + acctID + ":" + kind + "/" + name }
	attached := []posture.AttachedPolicy{{PolicyName: "p", PolicyArn: arn("policy", "p")}}
	details := func() *posture.AuthorizationDetails {
		return &posture.AuthorizationDetails{
			UserDetailList: []posture.UserDetail{
				{Path: "/", UserName: "alice", Arn: arn("user", "alice"), CreateDate: daysAgo(400), AttachedManagedPolicies: attached},
				{Path: "/", UserName: "grouped", Arn: arn("user", "grouped"), CreateDate: daysAgo(400), GroupList: []string{"devs"}},
				{Path: "/", UserName: "bare", Arn: arn("user", "bare"), CreateDate: daysAgo(400)},
				{Path: "/", UserName: "young", Arn: arn("user", "young"), CreateDate: daysAgo(90), AttachedManagedPolicies: attached},
			},
			GroupDetailList: []posture.GroupDetail{{GroupName: "devs", AttachedManagedPolicies: attached}},
			RoleDetailList: []posture.RoleDetail{
				{Path: "/", RoleName: "app", Arn: arn("role", "app"), CreateDate: daysAgo(200), RolePolicyList: []posture.InlinePolicy{{PolicyName: "i"}}},
				{Path: "/aws-service-role/x.amazonaws.com/", RoleName: "AWSServiceRoleForX", Arn: arn("role", "aws-service-role/x.amazonaws.com/AWSServiceRoleForX"),
					CreateDate: daysAgo(900), AttachedManagedPolicies: attached},
			},
		}
	}
	svc := func(ns string, days int) posture.ServiceLastAccessed {
		s := posture.ServiceLastAccessed{ServiceName: "Service " + ns, ServiceNamespace: ns}
		if days >= 0 {
			s.LastAuthenticated = ptr(daysAgo(days, time.Hour))
		}
		return s
	}
	job := func(services ...posture.ServiceLastAccessed) *posture.ServiceLastAccessedDetails {
		return &posture.ServiceLastAccessedDetails{JobStatus: posture.JobCompleted, ServicesLastAccessed: services}
	}
	every := func(d *posture.AuthorizationDetails, j *posture.ServiceLastAccessedDetails) *posture.LastAccessed {
		la := posture.NewLastAccessed()
		for _, p := range d.PolicyHolders() {
			la.Principals[p.ARN] = j
		}
		return la
	}
	many := make([]posture.ServiceLastAccessed, 0, 14)
	for i := range 14 {
		many = append(many, svc(fmt.Sprintf("svc%02d", i), -1))
	}
	tests := []struct {
		name    string
		limit   int
		data    func(d *posture.Data)
		want    []string // "principal: detail"
		notRun  []string // substrings of the reasons, in order
		noRows  bool
		rowsFor string // a principal whose sheet rows are checked
		rows    int
	}{
		{name: "off: nothing, not even a note", limit: 0, data: func(d *posture.Data) { d.LastAccessed = every(d.Details, job(svc("s3", -1))) }},
		{name: "not asked for: nothing", limit: 90, data: func(d *posture.Data) {}},
		{name: "never used and used long ago fire; recent and exactly the limit do not", limit: 90,
			data: func(d *posture.Data) {
				d.LastAccessed = every(d.Details, job(svc("s3", 3), svc("ec2", -1), svc("kms", 91), svc("sqs", 90)))
			},
			want: []string{
				"user/alice: 2 of 4 granted services unused: ec2, kms",
				"user/grouped: 2 of 4 granted services unused: ec2, kms",
				"role/app: 2 of 4 granted services unused: ec2, kms",
			}, rowsFor: "user/alice", rows: 2},
		{name: "everything used: no finding", limit: 90,
			data: func(d *posture.Data) { d.LastAccessed = every(d.Details, job(svc("s3", 1))) }},
		{name: "the first ten namespaces, then an ellipsis", limit: 90,
			data: func(d *posture.Data) {
				d.LastAccessed = posture.NewLastAccessed()
				d.LastAccessed.Principals[arn("role", "app")] = job(many...)
			},
			want:   []string{"role/app: 14 of 14 granted services unused: svc00, svc01, svc02, svc03, svc04, svc05, svc06, svc07, svc08, svc09, …"},
			notRun: []string{"no last-accessed data for 2 principals: user/alice, user/grouped"}, rowsFor: "role/app", rows: 14},
		{name: "failed, not asked and missing principals are named", limit: 90,
			data: func(d *posture.Data) {
				la := posture.NewLastAccessed()
				la.Failed[arn("user", "alice")] = errors.New("job FAILED: ServiceFailure: x")
				la.Failed[arn("role", "ghost")] = errors.New("arn:aws:iam::999999999999:role/ghost belongs to account 999999999999, not 111122223333: ignored")
				la.NotAsked[arn("role", "app")] = "over the cap of 1 principals per account"
				d.LastAccessed = la
			},
			notRun: []string{
				"last-accessed data missing for 1 principal: user/alice (job FAILED: ServiceFailure: x)",
				"1 principal not asked about: over the cap of 1 principals per account",
				"no last-accessed data for 1 principal: user/grouped",
				"1 last-accessed entry refused: arn:aws:iam::999999999999:role/ghost belongs to account 999999999999",
			}, noRows: true},
		{name: "input failed: the whole check, with the reason", limit: 90,
			data: func(d *posture.Data) {
				d.Fail(posture.LastAccessedInput, errors.New("111122223333.service-last-accessed.json: line 3, column 9: bad"))
			},
			notRun: []string{"service last accessed: 111122223333.service-last-accessed.json: line 3, column 9: bad"}, noRows: true},
		{name: "no authorization details: not run", limit: 90,
			data: func(d *posture.Data) {
				d.LastAccessed = every(d.Details, job(svc("s3", -1)))
				d.Details = nil
				d.Missing(posture.AuthorizationDetailsInput, errors.New("no file x"))
			},
			notRun: []string{"needs the authorization details; authorization details: no file x"}, noRows: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &posture.Data{Details: details()}
			tt.data(d)
			e := Evaluator{Thresholds: Thresholds{UnusedPermissionsDays: tt.limit}, AsOf: asOf}
			fs, notRun, rows := e.AppendUnusedServices(nil, Account{ID: acctID}, d)
			var got []string
			for _, f := range fs {
				if f.Check != UnusedServices || f.Severity != Low || f.Credential != "services" || f.ARN == "" {
					t.Errorf("finding %+v", f)
				}
				got = append(got, f.Principal+": "+f.Detail)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(notRun) != len(tt.notRun) {
				t.Fatalf("not run %v, want %d notes", notRun, len(tt.notRun))
			}
			for i, n := range notRun {
				if !strings.Contains(n.Reason, tt.notRun[i]) || n.Checks[0] != UnusedServices {
					t.Errorf("not run %d: %v, want %q", i, n, tt.notRun[i])
				}
			}
			if tt.noRows && len(rows) > 0 {
				t.Errorf("rows %v, want none", rows)
			}
			if tt.rowsFor != "" {
				for _, r := range rows {
					if r.Principal == tt.rowsFor && len(r.Services) != tt.rows {
						t.Errorf("%s: %d rows, want %d", r.Principal, len(r.Services), tt.rows)
					}
				}
			}
		})
	}
}

// TestUnusedServicesDays checks a row's days and date: a service last
// used 100 days and an hour before the as-of is 100 days unused.
func TestUnusedServicesDays(t *testing.T) {
	d := &posture.Data{Details: &posture.AuthorizationDetails{RoleDetailList: []posture.RoleDetail{
		{Path: "/", RoleName: "r", Arn: "arn:aws:iam::" + acctID + ":role/r", CreateDate: daysAgo(500), RolePolicyList: []posture.InlinePolicy{{PolicyName: "i"}}},
	}}}
	last := daysAgo(100, time.Hour)
	d.LastAccessed = posture.NewLastAccessed()
	d.LastAccessed.Principals["arn:aws:iam::"+acctID+":role/r"] = &posture.ServiceLastAccessedDetails{JobStatus: posture.JobCompleted,
		ServicesLastAccessed: []posture.ServiceLastAccessed{{ServiceNamespace: "s3", ServiceName: "Amazon S3", LastAuthenticated: &last}}}
	e := Evaluator{Thresholds: Thresholds{UnusedPermissionsDays: 90}, AsOf: asOf}
	_, _, rows := e.AppendUnusedServices(nil, Account{ID: acctID}, d)
	if len(rows) != 1 || len(rows[0].Services) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	if s := rows[0].Services[0]; s.Days != DaysOf(100) || !s.LastAccessed.Equal(last) || s.Name != "Amazon S3" {
		t.Errorf("row %+v, want 100 days since %s", s, last)
	}
}

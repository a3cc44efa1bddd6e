package awsfake_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// bigOrg has n accounts with minimal reports.
func bigOrg(n int) awsfake.Org {
	var org awsfake.Org
	for i := range n {
		id := strconv.Itoa(500000000000 + i)
		org.Accounts = append(org.Accounts, awsfake.Account{ID: id, Name: "acct-" + id, Report: []byte("user,arn\n")})
	}
	return org
}

func TestListAccountsPages(t *testing.T) {
	tests := []struct {
		name       string
		accounts   int
		opts       awsfake.Options
		maxResults int32
		wantPages  int
	}{
		{"one page", 7, awsfake.Options{}, 20, 1},
		{"full pages", 60, awsfake.Options{}, 20, 3},
		{"small pages", 45, awsfake.Options{PageSize: 10}, 20, 5},
		// 45 accounts in pages of 20: 3 pages with items, every 3rd page
		// empty (pages 3 and 6), and an empty page after the last items.
		{"empty pages", 45, awsfake.Options{EmptyPageEvery: 3}, 20, 5},
		{"empty pages, small MaxResults", 10, awsfake.Options{EmptyPageEvery: 2}, 3, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := start(t, bigOrg(tt.accounts), tt.opts)
			p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg(url, mgmtCreds)),
				&organizations.ListAccountsInput{MaxResults: aws.Int32(tt.maxResults)})
			var ids []string
			pages, empty := 0, 0
			for p.HasMorePages() {
				page, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Accounts) == 0 {
					empty++
				}
				for _, a := range page.Accounts {
					ids = append(ids, *a.Id)
					if a.State != orgtypes.AccountStateActive || a.Status != orgtypes.AccountStatusActive || len(a.Paths) != 1 {
						t.Errorf("account %s: State %q, Status %q, Paths %v; want ACTIVE, ACTIVE, one path", *a.Id, a.State, a.Status, a.Paths)
					}
				}
			}
			if len(ids) != tt.accounts || pages != tt.wantPages {
				t.Errorf("got %d accounts in %d pages (%d empty), want %d in %d", len(ids), pages, empty, tt.accounts, tt.wantPages)
			}
			for i, id := range ids {
				if want := strconv.Itoa(500000000000 + i); id != want {
					t.Fatalf("account %d = %s, want %s (order or duplicates)", i, id, want)
				}
			}
		})
	}
}

func TestOrganizationsErrors(t *testing.T) {
	srv, url := start(t, testOrg(), awsfake.Options{})
	if err := srv.SetFault(mgmtID, awsfake.Fault{Throttle: map[string]int{"ListAccounts": 1}}); err != nil {
		t.Fatal(err)
	}
	client := organizations.NewFromConfig(cfg(url, mgmtCreds))
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"throttled once", func() error { _, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{}); return err }, "TooManyRequestsException"},
		{"then served", func() error { _, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{}); return err }, ""},
		{"bad token", func() error {
			_, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("???")})
			return err
		}, "InvalidInputException"},
		{"MaxResults too big", func() error {
			_, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
			return err
		}, "InvalidInputException"},
		{"unknown parent", func() error {
			_, err := client.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("ou-none-00000000"), ChildType: orgtypes.ChildTypeAccount})
			return err
		}, "ParentNotFoundException"},
		{"unknown child", func() error {
			_, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("999999999999")})
			return err
		}, "ChildNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(t, tt.call()); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
		})
	}
}

func TestOUTree(t *testing.T) {
	org := awsfake.Synthetic(10, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	_, url := start(t, org, awsfake.Options{})
	client := organizations.NewFromConfig(cfg(url, mgmtCreds))
	ctx := context.Background()

	desc, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || *desc.Organization.MasterAccountId != org.ManagementAccount {
		t.Fatalf("DescribeOrganization() = %v, %v; want management account %s", desc, err, org.ManagementAccount)
	}
	tests := []struct {
		name   string
		parent string
		typ    orgtypes.ChildType
		want   string
	}{
		{"OUs under the root", "r-synt", orgtypes.ChildTypeOrganizationalUnit, "[ou-synt-prod0000 ou-synt-dev00000 ou-synt-sandbox0]"},
		{"OUs under prod", "ou-synt-prod0000", orgtypes.ChildTypeOrganizationalUnit, "[ou-synt-prodweb0]"},
		{"accounts under the root", "r-synt", orgtypes.ChildTypeAccount, "[100000000000 100000000005]"},
		{"accounts under web", "ou-synt-prodweb0", orgtypes.ChildTypeAccount, "[100000000002 100000000007]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(tt.parent), ChildType: tt.typ})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range out.Children {
				ids = append(ids, *c.Id)
			}
			if got := fmt.Sprint(ids); got != tt.want {
				t.Errorf("ListChildren(%s, %s) = %s, want %s", tt.parent, tt.typ, got, tt.want)
			}
		})
	}
	parents, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("ou-synt-prodweb0")})
	if err != nil || *parents.Parents[0].Id != "ou-synt-prod0000" || parents.Parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Errorf("ListParents(ou-synt-prodweb0) = %+v, %v; want ou-synt-prod0000", parents, err)
	}
	list, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil || list.Accounts[2].Paths[0] != "o-synthetic01/r-synt/ou-synt-prod0000/ou-synt-prodweb0/" {
		t.Errorf("ListAccounts() third account path = %v, %v; want o-synthetic01/r-synt/ou-synt-prod0000/ou-synt-prodweb0/", list.Accounts[2].Paths, err)
	}
}

func TestLoadSample(t *testing.T) {
	org, err := awsfake.LoadFS(sample.FS(), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if len(org.Accounts) != 5 || org.ManagementAccount != "111111111111" {
		t.Fatalf("LoadFS(sample) = %d accounts, management %s; want 5, 111111111111", len(org.Accounts), org.ManagementAccount)
	}
	for _, a := range org.Accounts {
		wantPolicy := passwordpolicy.Present
		switch a.ID {
		case "333333333333":
			wantPolicy = passwordpolicy.Absent // {"PasswordPolicy": null}
		case "444444444444":
			wantPolicy = passwordpolicy.NotCollected // no policy file
		}
		if a.Policy.State != wantPolicy {
			t.Errorf("account %s policy %v, want %v", a.ID, a.Policy.State, wantPolicy)
		}
		if len(a.Report) == 0 || a.Name == "" {
			t.Errorf("account %s: name %q, %d report bytes; want both", a.ID, a.Name, len(a.Report))
		}
	}
}

func TestWriteDirRoundTrip(t *testing.T) {
	org := awsfake.Synthetic(12, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	if err := awsfake.WriteDir(org, dir); err != nil {
		t.Fatal(err)
	}
	got, err := awsfake.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != org.ID || got.RootID != org.RootID || got.ManagementAccount != org.ManagementAccount || len(got.OUs) != len(org.OUs) {
		t.Errorf("LoadDir() = org %s root %s mgmt %s with %d OUs, want %s %s %s with %d",
			got.ID, got.RootID, got.ManagementAccount, len(got.OUs), org.ID, org.RootID, org.ManagementAccount, len(org.OUs))
	}
	for i, a := range got.Accounts {
		w := org.Accounts[i]
		if a.ID != w.ID || a.Name != w.Name || a.Parent != w.Parent || !bytes.Equal(a.Report, w.Report) || a.Policy.State != w.Policy.State {
			t.Errorf("account %d = %s %q parent %q policy %v, want %s %q parent %q policy %v (or the report differs)",
				i, a.ID, a.Name, a.Parent, a.Policy.State, w.ID, w.Name, w.Parent, w.Policy.State)
		}
	}
}

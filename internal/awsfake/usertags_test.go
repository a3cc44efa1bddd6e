package awsfake_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// TestListUserTags drives ListUserTags with the real SDK: its paginator
// follows Marker and stops on the page without one, NoSuchEntity is the
// SDK's typed error, a fault file denies it, and GAAD's user entries
// carry the same tags.
func TestListUserTags(t *testing.T) {
	org := testOrg()
	a := &org.Accounts[1]
	a.Report = append(a.Report, []byte("bob,arn:aws:iam::"+memberA+":user/bob\n")...)
	a.UserTags = map[string][]posture.Tag{"alice": {{Key: "owner", Value: "alice@example.com"}, {Key: "team", Value: "web"}, {Key: "x", Value: "1"}}}
	b := &org.Accounts[2]
	b.Details = &posture.AuthorizationDetails{UserDetailList: []posture.UserDetail{{UserName: "carol", Arn: "arn:aws:iam::" + memberB + ":user/carol",
		Tags: []posture.Tag{{Key: "owner", Value: "carol@example.com"}}}}}
	ff, err := awsfake.ParseFaultFile("f.yaml", []byte("accounts:\n  \""+memberB+"\":\n    ListUserTags: {error: AccessDenied, times: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ff.Apply(&org); err != nil {
		t.Fatal(err)
	}
	_, url := start(t, org, awsfake.Options{IAMPageSize: 2})
	ctx := context.Background()
	tags := func(client *iam.Client, user string) ([]string, int, error) {
		var got []string
		pages := 0
		p := iam.NewListUserTagsPaginator(client, &iam.ListUserTagsInput{UserName: aws.String(user)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, pages, err
			}
			pages++
			for _, t := range out.Tags {
				got = append(got, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
		}
		return got, pages, nil
	}

	ca := iam.NewFromConfig(cfg(url, assume(t, url, memberA)))
	got, pages, err := tags(ca, "alice")
	if err != nil || pages != 2 || !slices.Equal(got, []string{"owner=alice@example.com", "team=web", "x=1"}) {
		t.Errorf("alice: %q over %d pages, %v; want 3 tags over 2 pages", got, pages, err)
	}
	if got, _, err := tags(ca, "bob"); err != nil || len(got) != 0 {
		t.Errorf("bob (in the report, untagged): %q, %v; want no tags", got, err)
	}
	_, _, err = tags(ca, "ghost")
	var gone *types.NoSuchEntityException
	if !errors.As(err, &gone) {
		t.Errorf("ghost: %v, want a *types.NoSuchEntityException", err)
	}
	if _, err := ca.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice"), MaxItems: aws.Int32(0)}); code(t, err) != "ValidationError" {
		t.Errorf("MaxItems 0: %v, want ValidationError", err)
	}

	cb := iam.NewFromConfig(cfg(url, assume(t, url, memberB)))
	if _, _, err := tags(cb, "carol"); code(t, err) != "AccessDenied" {
		t.Errorf("carol, first call: %v, want the fault file's AccessDenied", err)
	}
	if got, _, err := tags(cb, "carol"); err != nil || !slices.Equal(got, []string{"owner=carol@example.com"}) {
		t.Errorf("carol: %q, %v; want the tags of her authorization details entry", got, err)
	}
	gaad, err := cb.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if u := gaad.UserDetailList; len(u) != 1 || len(u[0].Tags) != 1 || aws.ToString(u[0].Tags[0].Value) != "carol@example.com" {
		t.Errorf("GAAD users %+v, want carol with her owner tag", u)
	}
}

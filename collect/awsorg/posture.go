package awsorg

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/reporter-dev/reporter/collect/posture"
)

// gaadPageSize is the MaxItems of each GetAccountAuthorizationDetails
// page: the largest IAM accepts, to keep the round trips few. IAM may
// still return fewer items with a Marker.
const gaadPageSize = 1000

// readPosture reads the account's authorization details (every page),
// account summary and assigned virtual MFA devices, one call after the
// other. A failure of one is recorded in the result and leaves the others.
func (s *Source) readPosture(ctx context.Context, client iamAPI, account string) posture.Data {
	var d posture.Data
	record := func(in posture.Input, ev []posture.File, err error) {
		d.Evidence = append(d.Evidence, ev...)
		if err != nil {
			d.Fail(in, err)
			s.log.Warn("checks not run: input not collected", "account", account, "input", string(in), "err", err)
		}
	}
	var ev []posture.File
	var err error
	d.Details, ev, err = s.authorizationDetails(ctx, client, account)
	record(posture.AuthorizationDetailsInput, ev, err)
	d.Summary, ev, err = s.accountSummary(ctx, client, account)
	record(posture.AccountSummaryInput, ev, err)
	d.VirtualMFA, ev, err = s.virtualMFADevices(ctx, client, account)
	record(posture.VirtualMFADevicesInput, ev, err)
	return d
}

// authorizationDetails reads every page of GetAccountAuthorizationDetails
// for all entity types (no Filter) and merges them. A listing that does
// not end (pageGuard) is an error.
func (s *Source) authorizationDetails(ctx context.Context, client iamAPI, account string) (*posture.AuthorizationDetails, []posture.File, error) {
	var raw rawPages
	var ev []posture.File
	d := &posture.AuthorizationDetails{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(gaadPageSize)})
	guard := newPageGuard(maxDetailsPages, fmt.Sprintf("for at most %d items each", gaadPageSize))
	for n := 1; p.HasMorePages(); n++ {
		page, err := p.NextPage(ctx, raw.option)
		if err != nil {
			return nil, ev, postureError(ctx, "iam:GetAccountAuthorizationDetails", err)
		}
		ev = append(ev, posture.File{Name: fmt.Sprintf("%s.authorization-details.page-%d.xml", account, n), Data: raw.take()})
		addDetails(d, page, s.opts.OwnerTagKeys)
		more, err := guard.next(page.IsTruncated, page.Marker)
		if err != nil {
			return nil, ev, postureError(ctx, "iam:GetAccountAuthorizationDetails", err)
		}
		if !more {
			break
		}
	}
	return d, ev, nil
}

// accountSummary reads GetAccountSummary.
func (s *Source) accountSummary(ctx context.Context, client iamAPI, account string) (*posture.AccountSummary, []posture.File, error) {
	var raw rawPages
	out, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}, raw.option)
	if err != nil {
		return nil, nil, postureError(ctx, "iam:GetAccountSummary", err)
	}
	sum := &posture.AccountSummary{SummaryMap: make(map[string]int, len(out.SummaryMap))}
	for k, v := range out.SummaryMap {
		sum.SummaryMap[k] = int(v)
	}
	return sum, []posture.File{{Name: account + ".account-summary.xml", Data: raw.take()}}, nil
}

// virtualMFADevices reads every page of ListVirtualMFADevices for the
// assigned devices. A listing that does not end (pageGuard) is an error.
func (s *Source) virtualMFADevices(ctx context.Context, client iamAPI, account string) (*posture.VirtualMFADevices, []posture.File, error) {
	var raw rawPages
	var ev []posture.File
	v := &posture.VirtualMFADevices{VirtualMFADevices: []posture.VirtualMFADevice{}}
	p := iam.NewListVirtualMFADevicesPaginator(client, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	guard := newPageGuard(maxVirtualMFAPages, "for at most 100 devices each")
	for n := 1; p.HasMorePages(); n++ {
		page, err := p.NextPage(ctx, raw.option)
		if err != nil {
			return nil, ev, postureError(ctx, "iam:ListVirtualMFADevices", err)
		}
		ev = append(ev, posture.File{Name: fmt.Sprintf("%s.virtual-mfa-devices.page-%d.xml", account, n), Data: raw.take()})
		for _, dev := range page.VirtualMFADevices {
			out := posture.VirtualMFADevice{SerialNumber: aws.ToString(dev.SerialNumber), EnableDate: dev.EnableDate}
			if u := dev.User; u != nil {
				out.User = &posture.MFAUser{Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName),
					UserID: aws.ToString(u.UserId), Arn: aws.ToString(u.Arn), CreateDate: u.CreateDate}
			}
			v.VirtualMFADevices = append(v.VirtualMFADevices, out)
		}
		more, err := guard.next(page.IsTruncated, page.Marker)
		if err != nil {
			return nil, ev, postureError(ctx, "iam:ListVirtualMFADevices", err)
		}
		if !more {
			break
		}
	}
	return v, ev, nil
}

// postureError describes a failed posture call without the account (the
// report names it beside the error).
func postureError(ctx context.Context, op string, err error) error {
	e := opError(ctx, "", op, "", err)
	return e
}

// addDetails appends one page of GetAccountAuthorizationDetails to d,
// decoding the URL-encoded documents (the SDK passes them on as IAM sent
// them). Users keep only the tags of tagKeys.
func addDetails(d *posture.AuthorizationDetails, page *iam.GetAccountAuthorizationDetailsOutput, tagKeys []string) {
	for _, u := range page.UserDetailList {
		d.UserDetailList = append(d.UserDetailList, posture.UserDetail{
			Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId), Arn: aws.ToString(u.Arn),
			CreateDate: aws.ToTime(u.CreateDate), UserPolicyList: inlinePolicies(u.UserPolicyList), GroupList: u.GroupList,
			AttachedManagedPolicies: attached(u.AttachedManagedPolicies), Tags: ownerTags(u.Tags, tagKeys),
		})
	}
	for _, g := range page.GroupDetailList {
		d.GroupDetailList = append(d.GroupDetailList, posture.GroupDetail{
			Path: aws.ToString(g.Path), GroupName: aws.ToString(g.GroupName), GroupID: aws.ToString(g.GroupId), Arn: aws.ToString(g.Arn),
			CreateDate: aws.ToTime(g.CreateDate), GroupPolicyList: inlinePolicies(g.GroupPolicyList),
			AttachedManagedPolicies: attached(g.AttachedManagedPolicies),
		})
	}
	for _, r := range page.RoleDetailList {
		role := posture.RoleDetail{
			Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId), Arn: aws.ToString(r.Arn),
			CreateDate: aws.ToTime(r.CreateDate), RolePolicyList: inlinePolicies(r.RolePolicyList),
			AttachedManagedPolicies: attached(r.AttachedManagedPolicies),
		}
		// The trust policy is not judged by any check: not kept.
		if r.RoleLastUsed != nil {
			role.RoleLastUsed = &posture.RoleLastUsed{LastUsedDate: r.RoleLastUsed.LastUsedDate, Region: aws.ToString(r.RoleLastUsed.Region)}
		}
		d.RoleDetailList = append(d.RoleDetailList, role)
	}
	for _, p := range page.Policies {
		mp := posture.ManagedPolicy{
			PolicyName: aws.ToString(p.PolicyName), PolicyID: aws.ToString(p.PolicyId), Arn: aws.ToString(p.Arn), Path: aws.ToString(p.Path),
			DefaultVersionID: aws.ToString(p.DefaultVersionId), AttachmentCount: int(aws.ToInt32(p.AttachmentCount)),
			PermissionsBoundaryUsageCount: int(aws.ToInt32(p.PermissionsBoundaryUsageCount)), IsAttachable: p.IsAttachable,
			CreateDate: aws.ToTime(p.CreateDate), UpdateDate: aws.ToTime(p.UpdateDate),
		}
		for _, v := range p.PolicyVersionList {
			mp.PolicyVersionList = append(mp.PolicyVersionList, posture.PolicyVersion{
				VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion, CreateDate: aws.ToTime(v.CreateDate),
			})
		}
		// Only the default version is judged: the other versions'
		// documents are neither decoded nor kept (the evidence pages
		// hold them), as roles' trust policies.
		if def, ok := mp.DefaultVersion(); ok {
			for i := range mp.PolicyVersionList {
				if &mp.PolicyVersionList[i] == def {
					def.Document = document(p.PolicyVersionList[i].Document)
				}
			}
		}
		d.Policies = append(d.Policies, mp)
	}
}

func inlinePolicies(list []types.PolicyDetail) []posture.InlinePolicy {
	out := make([]posture.InlinePolicy, 0, len(list))
	for _, p := range list {
		out = append(out, posture.InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: document(p.PolicyDocument)})
	}
	return out
}

func attached(list []types.AttachedPolicy) []posture.AttachedPolicy {
	out := make([]posture.AttachedPolicy, 0, len(list))
	for _, p := range list {
		out = append(out, posture.AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyArn: aws.ToString(p.PolicyArn)})
	}
	return out
}

// document decodes a URL-encoded policy document exactly once. One that
// does not decode is kept as sent: the check then reports it unreadable.
func document(s *string) posture.Document {
	raw := aws.ToString(s)
	d, err := posture.DecodeDocument(raw)
	if err != nil {
		return posture.Document(raw)
	}
	return d
}

// rawPages keeps the body of the last successful response of the calls it
// is an option of, byte for byte, for the evidence.
type rawPages struct {
	last []byte
}

// option adds the capture to one call's middleware stack, innermost in
// the deserialize step so that it sees each attempt's body before the
// SDK's deserializer reads it.
func (r *rawPages) option(o *iam.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("reporter.rawPages", r.handle), middleware.After)
	})
}

func (r *rawPages) handle(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode != 200 || resp.Body == nil {
		return out, md, err
	}
	data, rerr := readBody(resp.Body, resp.ContentLength)
	resp.Body.Close()
	if rerr != nil {
		return out, md, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	r.last = data
	return out, md, nil
}

// maxPresize bounds the buffer readBody allocates from a Content-Length
// before it has read anything (a page of authorization details is a few
// megabytes at most).
const maxPresize = 64 << 20

// readBody reads a response body whole, into one buffer of the announced
// length when there is one (io.ReadAll would grow it by copies, megabytes
// of garbage per page).
func readBody(body io.Reader, length int64) ([]byte, error) {
	if length <= 0 || length > maxPresize {
		return io.ReadAll(body)
	}
	buf := make([]byte, 0, length+1) // +1: EOF is read without growing
	for {
		if len(buf) == cap(buf) { // longer than announced
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// take returns the last body kept and forgets it.
func (r *rawPages) take() []byte {
	b := r.last
	r.last = nil
	return b
}

package awsfake

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/posture"
)

// The answers of GetAccountAuthorizationDetails, GetAccountSummary and
// ListVirtualMFADevices, as IAM sends them: lists of <member>, policy
// documents URL-encoded, <RoleLastUsed/> empty for a role not used in
// IAM's tracking period, and on a list's last page no <Marker>.

type gaadResult struct {
	UserDetailList  []xmlUser   `xml:"UserDetailList>member"`
	GroupDetailList []xmlGroup  `xml:"GroupDetailList>member"`
	RoleDetailList  []xmlRole   `xml:"RoleDetailList>member"`
	Policies        []xmlPolicy `xml:"Policies>member"`
	IsTruncated     bool
	Marker          string `xml:",omitempty"`
}

type xmlPolicyDetail struct {
	PolicyName     string
	PolicyDocument string
}

type xmlAttached struct {
	PolicyName string
	PolicyArn  string
}

type xmlUser struct {
	Path                    string
	UserName                string
	UserID                  string `xml:"UserId"`
	Arn                     string
	CreateDate              string
	UserPolicyList          []xmlPolicyDetail `xml:"UserPolicyList>member"`
	GroupList               []string          `xml:"GroupList>member"`
	AttachedManagedPolicies []xmlAttached     `xml:"AttachedManagedPolicies>member"`
	Tags                    []xmlTag          `xml:"Tags>member"`
}

type xmlGroup struct {
	Path                    string
	GroupName               string
	GroupID                 string `xml:"GroupId"`
	Arn                     string
	CreateDate              string
	GroupPolicyList         []xmlPolicyDetail `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []xmlAttached     `xml:"AttachedManagedPolicies>member"`
}

type xmlRoleLastUsed struct {
	LastUsedDate string `xml:",omitempty"`
	Region       string `xml:",omitempty"`
}

type xmlRole struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string            `xml:",omitempty"`
	RolePolicyList           []xmlPolicyDetail `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []xmlAttached     `xml:"AttachedManagedPolicies>member"`
	RoleLastUsed             *xmlRoleLastUsed
}

type xmlPolicyVersion struct {
	Document         string
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool
	CreateDate       string
}

type xmlPolicy struct {
	PolicyName                    string
	PolicyID                      string `xml:"PolicyId"`
	Arn                           string
	Path                          string
	DefaultVersionID              string `xml:"DefaultVersionId"`
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	CreateDate                    string
	UpdateDate                    string
	PolicyVersionList             []xmlPolicyVersion `xml:"PolicyVersionList>member"`
}

type summaryResult struct {
	Entries []summaryEntry `xml:"SummaryMap>entry"`
}

type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

type virtualMFAResult struct {
	VirtualMFADevices []xmlVirtualMFA `xml:"VirtualMFADevices>member"`
	IsTruncated       bool
	Marker            string `xml:",omitempty"`
}

type xmlVirtualMFA struct {
	SerialNumber string
	EnableDate   string      `xml:",omitempty"`
	User         *xmlMFAUser `xml:",omitempty"`
}

type xmlMFAUser struct {
	Path       string `xml:",omitempty"`
	UserName   string `xml:",omitempty"`
	UserID     string `xml:"UserId,omitempty"`
	Arn        string
	CreateDate string `xml:",omitempty"`
}

// defaultMaxItems is IAM's page size when MaxItems is not given.
const defaultMaxItems = 100

// iamPage reads MaxItems and Marker: the page number (from 0) and the first
// item of the page, and how many items it holds (capped by
// Options.IAMPageSize, as IAM may return fewer than asked).
func (s *Server) iamPage(action string, form url.Values) (number, first, size int, err *apiError) {
	size = defaultMaxItems
	if v := form.Get("MaxItems"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 1000 {
			return 0, 0, 0, &apiError{status: 400, code: "ValidationError",
				message: fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)}
		}
		size = n
	}
	if c := s.opts.IAMPageSize; c > 0 && c < size {
		size = c
	}
	if m := form.Get("Marker"); m != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(m)
		parts := strings.Split(string(raw), "/")
		if derr != nil || len(parts) != 3 || parts[0] != action {
			return 0, 0, 0, &apiError{status: 400, code: "InvalidInput", message: "Invalid Marker."}
		}
		number, _ = strconv.Atoi(parts[1])
		first, _ = strconv.Atoi(parts[2])
	}
	return number, first, size, nil
}

// endless is the IsTruncated and Marker of page number of the action's
// listing: as computed (truncated, m), unless Fault.Endless makes the
// listing go on for ever.
func (st *accountState) endless(action string, number int, truncated bool, m string) (bool, string) {
	switch st.fault.Endless[action] {
	case EndlessSameMarker:
		return true, marker(action, 1, 0)
	case EndlessNewMarker:
		return true, marker(action, number+1, 0)
	}
	return truncated, m
}

// marker is the Marker of the page after page number, starting at first.
func marker(action string, number, first int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s/%d/%d", action, number, first)))
}

// denied is the AccessDenied of an input the account does not serve.
func denied(id identity, action string) *apiError {
	return &apiError{status: 403, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: iam:%s on resource: *", id.arn, action)}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

// authorizationDetails serves one page of the account's users, groups,
// roles and policies, in that order, counted together against the page
// size. An account without details answers AccessDenied.
func (s *Server) authorizationDetails(st *accountState, id identity, first, size, number int) (any, *apiError) {
	d := st.acct.Details
	if d == nil {
		return nil, denied(id, "GetAccountAuthorizationDetails")
	}
	var res gaadResult
	nu, ng, nr := len(d.UserDetailList), len(d.GroupDetailList), len(d.RoleDetailList)
	total := nu + ng + nr + len(d.Policies)
	end := min(first+size, total)
	for i := first; i < end; i++ {
		switch {
		case i < nu:
			res.UserDetailList = append(res.UserDetailList, userXML(&d.UserDetailList[i]))
		case i < nu+ng:
			res.GroupDetailList = append(res.GroupDetailList, groupXML(&d.GroupDetailList[i-nu]))
		case i < nu+ng+nr:
			res.RoleDetailList = append(res.RoleDetailList, roleXML(&d.RoleDetailList[i-nu-ng]))
		default:
			res.Policies = append(res.Policies, policyXML(&d.Policies[i-nu-ng-nr]))
		}
	}
	if end < total {
		res.IsTruncated, res.Marker = true, marker("GetAccountAuthorizationDetails", number+1, end)
	}
	res.IsTruncated, res.Marker = st.endless("GetAccountAuthorizationDetails", number, res.IsTruncated, res.Marker)
	return res, nil
}

func policyDetails(list []posture.InlinePolicy) []xmlPolicyDetail {
	out := make([]xmlPolicyDetail, 0, len(list))
	for _, p := range list {
		out = append(out, xmlPolicyDetail{PolicyName: p.PolicyName, PolicyDocument: p.PolicyDocument.Encode()})
	}
	return out
}

func attachedXML(list []posture.AttachedPolicy) []xmlAttached {
	out := make([]xmlAttached, 0, len(list))
	for _, p := range list {
		out = append(out, xmlAttached(p))
	}
	return out
}

func userXML(u *posture.UserDetail) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: u.Arn, CreateDate: stamp(u.CreateDate),
		UserPolicyList: policyDetails(u.UserPolicyList), GroupList: u.GroupList, AttachedManagedPolicies: attachedXML(u.AttachedManagedPolicies),
		Tags: tagsXML(u.Tags)}
}

func groupXML(g *posture.GroupDetail) xmlGroup {
	return xmlGroup{Path: g.Path, GroupName: g.GroupName, GroupID: g.GroupID, Arn: g.Arn, CreateDate: stamp(g.CreateDate),
		GroupPolicyList: policyDetails(g.GroupPolicyList), AttachedManagedPolicies: attachedXML(g.AttachedManagedPolicies)}
}

func roleXML(r *posture.RoleDetail) xmlRole {
	out := xmlRole{Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, Arn: r.Arn, CreateDate: stamp(r.CreateDate),
		RolePolicyList: policyDetails(r.RolePolicyList), AttachedManagedPolicies: attachedXML(r.AttachedManagedPolicies)}
	if r.AssumeRolePolicyDocument != "" {
		out.AssumeRolePolicyDocument = r.AssumeRolePolicyDocument.Encode()
	}
	if r.RoleLastUsed != nil {
		out.RoleLastUsed = &xmlRoleLastUsed{LastUsedDate: stampPtr(r.RoleLastUsed.LastUsedDate), Region: r.RoleLastUsed.Region}
	}
	return out
}

func policyXML(p *posture.ManagedPolicy) xmlPolicy {
	out := xmlPolicy{PolicyName: p.PolicyName, PolicyID: p.PolicyID, Arn: p.Arn, Path: p.Path, DefaultVersionID: p.DefaultVersionID,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable,
		CreateDate: stamp(p.CreateDate), UpdateDate: stamp(p.UpdateDate)}
	for _, v := range p.PolicyVersionList {
		out.PolicyVersionList = append(out.PolicyVersionList, xmlPolicyVersion{Document: v.Document.Encode(), VersionID: v.VersionID,
			IsDefaultVersion: v.IsDefaultVersion, CreateDate: stamp(v.CreateDate)})
	}
	return out
}

// accountSummary serves the account's summary map, keys in a stable order.
func (s *Server) accountSummary(st *accountState, id identity) (any, *apiError) {
	sum := st.acct.Summary
	if sum == nil {
		return nil, denied(id, "GetAccountSummary")
	}
	var res summaryResult
	for _, k := range slices.Sorted(maps.Keys(sum.SummaryMap)) {
		res.Entries = append(res.Entries, summaryEntry{Key: k, Value: sum.SummaryMap[k]})
	}
	return res, nil
}

// virtualMFADevices serves one page of the account's virtual MFA devices
// with the given AssignmentStatus (Any when absent).
func (s *Server) virtualMFADevices(st *accountState, id identity, form url.Values, first, size, number int) (any, *apiError) {
	v := st.acct.VirtualMFA
	if v == nil {
		return nil, denied(id, "ListVirtualMFADevices")
	}
	status := form.Get("AssignmentStatus")
	var devs []posture.VirtualMFADevice
	for _, d := range v.VirtualMFADevices {
		switch {
		case status == "Assigned" && d.User == nil, status == "Unassigned" && d.User != nil:
			continue
		case status != "" && status != "Assigned" && status != "Unassigned" && status != "Any":
			return nil, &apiError{status: 400, code: "ValidationError",
				message: fmt.Sprintf("1 validation error detected: Value '%s' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Any, Assigned, Unassigned]", status)}
		}
		devs = append(devs, d)
	}
	var res virtualMFAResult
	end := min(first+size, len(devs))
	for _, d := range devs[min(first, end):end] {
		out := xmlVirtualMFA{SerialNumber: d.SerialNumber, EnableDate: stampPtr(d.EnableDate)}
		if u := d.User; u != nil {
			out.User = &xmlMFAUser{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: u.Arn, CreateDate: stampPtr(u.CreateDate)}
		}
		res.VirtualMFADevices = append(res.VirtualMFADevices, out)
	}
	if end < len(devs) {
		res.IsTruncated, res.Marker = true, marker("ListVirtualMFADevices", number+1, end)
	}
	res.IsTruncated, res.Marker = st.endless("ListVirtualMFADevices", number, res.IsTruncated, res.Marker)
	return res, nil
}

package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// orgTargetPrefix starts the X-Amz-Target of every Organizations action.
const orgTargetPrefix = "AWSOrganizationsV20161128."

// orgInput holds the request fields of the Organizations actions served.
type orgInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
	ParentID   string `json:"ParentId"`
	ChildID    string `json:"ChildId"`
	ChildType  string `json:"ChildType"`
	ResourceID string `json:"ResourceId"`
}

type orgAccount struct {
	Arn             string
	Email           string
	ID              string `json:"Id"`
	JoinedMethod    string
	JoinedTimestamp float64
	Name            string
	Paths           []string `json:",omitempty"`
	State           string   `json:",omitempty"`
	Status          string   `json:",omitempty"`
}

type orgNode struct {
	ID   string `json:"Id"`
	Type string
}

type orgTag struct{ Key, Value string }

// serveOrganizations answers an awsJson1_1 request. Only the management
// account's own credentials may call Organizations.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, body []byte, target string) {
	action, _ := strings.CutPrefix(target, orgTargetPrefix)
	s.mu.Lock()
	reqID := s.nextRequestID()
	call := Call{Service: "organizations", Action: action}
	id, aerr := s.authenticate(r, body, "organizations")
	var result any
	latency := s.latency(s.org.ManagementAccount, action)
	if aerr == nil {
		call.AccessKeyID, call.Caller = id.accessKeyID, id.account
		result, aerr = s.orgAction(action, id, body)
	}
	if aerr != nil {
		call.Error = aerr.code
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	if !sleep(r.Context(), latency) {
		return
	}
	if aerr != nil {
		writeJSONError(w, reqID, aerr)
		return
	}
	writeJSONResult(w, reqID, result)
}

// orgAction answers one Organizations action. The caller holds s.mu.
func (s *Server) orgAction(action string, id identity, body []byte) (any, *apiError) {
	if id.session || id.account != s.org.ManagementAccount {
		return nil, &apiError{status: 400, code: "AccessDenied", message: "You don't have permissions to access this resource."}
	}
	var in orgInput
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiError{status: 400, code: "SerializationException", message: err.Error()}
		}
	}
	if err := s.injected(s.org.ManagementAccount, action, faultCall{caller: id.arn, page: pageNumber(in)}); err != nil {
		return nil, err
	}
	switch action {
	case "DescribeOrganization":
		return s.describeOrganization(), nil
	case "ListAccounts":
		return s.listAccounts(in, func(*Account) bool { return true })
	case "ListAccountsForParent":
		if !s.org.isParent(in.ParentID) {
			return nil, &apiError{status: 400, code: "ParentNotFoundException", message: fmt.Sprintf("We can't find a root or OU with the ParentId %q.", in.ParentID)}
		}
		return s.listAccounts(in, func(a *Account) bool { return s.org.orRoot(a.Parent) == in.ParentID })
	case "ListParents":
		parent, ok := s.org.parentOf(in.ChildID)
		if !ok {
			return nil, &apiError{status: 400, code: "ChildNotFoundException", message: fmt.Sprintf("We can't find an account or OU with the ChildId %q.", in.ChildID)}
		}
		return map[string]any{"Parents": []orgNode{{ID: parent, Type: s.nodeType(parent)}}}, nil
	case "ListChildren":
		return s.listChildren(in)
	case "ListTagsForResource":
		st, ok := s.accounts[in.ResourceID]
		if !ok {
			return nil, &apiError{status: 400, code: "TargetNotFoundException", message: fmt.Sprintf("We can't find a resource with the ResourceId %q.", in.ResourceID)}
		}
		tags := []orgTag{}
		for k, v := range st.acct.Tags {
			tags = append(tags, orgTag{k, v})
		}
		slices.SortFunc(tags, func(a, b orgTag) int { return strings.Compare(a.Key, b.Key) })
		return map[string]any{"Tags": tags}, nil
	}
	return nil, &apiError{status: 400, code: "UnknownOperationException", message: fmt.Sprintf("awsfake does not serve Organizations action %q", action)}
}

func (s *Server) nodeType(id string) string {
	if id == s.org.RootID {
		return "ROOT"
	}
	return "ORGANIZATIONAL_UNIT"
}

func (s *Server) describeOrganization() any {
	o := &s.org
	mgmt := s.accounts[o.ManagementAccount].acct
	return map[string]any{"Organization": map[string]any{
		"Arn":                fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.ManagementAccount, o.ID),
		"Id":                 o.ID,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, o.ManagementAccount),
		"MasterAccountEmail": mgmt.Email,
		"MasterAccountId":    o.ManagementAccount,
	}}
}

// listAccounts answers one page of the accounts that keep selects.
func (s *Server) listAccounts(in orgInput, keep func(*Account) bool) (any, *apiError) {
	var all []*Account
	for i := range s.org.Accounts {
		if a := &s.org.Accounts[i]; keep(a) {
			all = append(all, a)
		}
	}
	lo, hi, next, err := s.page(len(all), in)
	if err != nil {
		return nil, err
	}
	accounts := []orgAccount{}
	for i, a := range all[lo:hi] {
		out := orgAccount{
			Arn:   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", s.org.ManagementAccount, s.org.ID, a.ID),
			Email: a.Email, ID: a.ID, Name: a.Name, State: a.State, Status: a.Status,
			JoinedMethod: "CREATED", JoinedTimestamp: float64(1_600_000_000 + (lo+i)*86400),
		}
		if !s.opts.OmitPaths {
			out.Paths = []string{s.org.path(a)}
		}
		accounts = append(accounts, out)
	}
	return withToken(map[string]any{"Accounts": accounts}, next), nil
}

// listChildren answers one page of the accounts or OUs directly under a parent.
func (s *Server) listChildren(in orgInput) (any, *apiError) {
	if !s.org.isParent(in.ParentID) {
		return nil, &apiError{status: 400, code: "ParentNotFoundException", message: fmt.Sprintf("We can't find a root or OU with the ParentId %q.", in.ParentID)}
	}
	var all []orgNode
	switch in.ChildType {
	case "ACCOUNT":
		for _, a := range s.org.Accounts {
			if s.org.orRoot(a.Parent) == in.ParentID {
				all = append(all, orgNode{ID: a.ID, Type: "ACCOUNT"})
			}
		}
	case "ORGANIZATIONAL_UNIT":
		for _, ou := range s.org.OUs {
			if s.org.orRoot(ou.Parent) == in.ParentID {
				all = append(all, orgNode{ID: ou.ID, Type: "ORGANIZATIONAL_UNIT"})
			}
		}
	default:
		return nil, &apiError{status: 400, code: "InvalidInputException", message: fmt.Sprintf("ChildType %q: want ACCOUNT or ORGANIZATIONAL_UNIT", in.ChildType)}
	}
	lo, hi, next, err := s.page(len(all), in)
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"Children": append([]orgNode{}, all[lo:hi]...)}, next), nil
}

// withToken adds NextToken to a page when there is a next page.
func withToken(page map[string]any, next *string) map[string]any {
	if next != nil {
		page["NextToken"] = *next
	}
	return page
}

// pageNumber is the page a request asks for, from 0; 0 when its
// NextToken is not one of ours (page answers that).
func pageNumber(in orgInput) int {
	offset, pageNo := 0, 0
	raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
	if err != nil || in.NextToken == "" {
		return 0
	}
	if _, err := fmt.Sscanf(string(raw), "%d.%d", &offset, &pageNo); err != nil {
		return 0
	}
	return pageNo
}

// page picks the items [lo, hi) of one page of total items and the token
// of the next page, nil on the last. With EmptyPageEvery it serves empty
// pages in between and after the last items.
func (s *Server) page(total int, in orgInput) (lo, hi int, next *string, err *apiError) {
	size := s.opts.PageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return 0, 0, nil, &apiError{status: 400, code: "InvalidInputException", message: fmt.Sprintf("MaxResults %d: want 1 to 20", *in.MaxResults)}
		}
		size = min(size, *in.MaxResults)
	}
	offset, pageNo := 0, 0
	if in.NextToken != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(in.NextToken)
		if _, scanErr := fmt.Sscanf(string(raw), "%d.%d", &offset, &pageNo); decErr != nil || scanErr != nil || offset < 0 || offset > total {
			return 0, 0, nil, &apiError{status: 400, code: "InvalidInputException", message: "The NextToken is invalid."}
		}
	}
	token := func(offset, pageNo int) *string {
		t := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d", offset, pageNo))
		return &t
	}
	every := s.opts.EmptyPageEvery
	if every > 0 && offset < total && (pageNo+1)%every == 0 {
		return offset, offset, token(offset, pageNo+1), nil
	}
	hi = min(offset+size, total)
	if hi < total || (every > 0 && offset < total) {
		next = token(hi, pageNo+1)
	}
	return offset, hi, next, nil
}

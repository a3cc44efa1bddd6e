package awsfake

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/reporter-dev/reporter/collect/posture"
)

// listUserTagsResult is ListUserTags' answer: Tags/member/{Key, Value},
// and on a list's last page no <Marker>.
type listUserTagsResult struct {
	Tags        []xmlTag `xml:"Tags>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

type xmlTag struct {
	Key   string
	Value string
}

func tagsXML(tags []posture.Tag) []xmlTag {
	out := make([]xmlTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, xmlTag(t))
	}
	return out
}

// userTags serves one page of a user's tags: those of its authorization
// details entry, else of Account.UserTags. A user of neither that is not
// in the credential report answers NoSuchEntity.
func (s *Server) userTags(st *accountState, user string, first, size, number int) (any, *apiError) {
	tags, ok := st.acct.tagsOf(user)
	if !ok {
		return nil, &apiError{status: 404, code: "NoSuchEntity", message: fmt.Sprintf("The user with name %s cannot be found.", user)}
	}
	var res listUserTagsResult
	end := min(first+size, len(tags))
	res.Tags = tagsXML(tags[min(first, end):end])
	if end < len(tags) {
		res.IsTruncated, res.Marker = true, marker("ListUserTags", number+1, end)
	}
	res.IsTruncated, res.Marker = st.endless("ListUserTags", number, res.IsTruncated, res.Marker)
	return res, nil
}

// tagsOf returns a user's tags and whether the user exists.
func (a *Account) tagsOf(user string) ([]posture.Tag, bool) {
	if a.Details != nil {
		for i := range a.Details.UserDetailList {
			if u := &a.Details.UserDetailList[i]; u.UserName == user {
				return u.Tags, true
			}
		}
	}
	if tags, ok := a.UserTags[user]; ok {
		return tags, true
	}
	return nil, reportHasUser(a.Report, user)
}

// reportHasUser reports whether the credential report has a row of
// user (its first column, after the header).
func reportHasUser(report []byte, user string) bool {
	rd := csv.NewReader(bytes.NewReader(report))
	rd.FieldsPerRecord = -1
	for n := 0; ; n++ {
		rec, err := rd.Read()
		if err != nil {
			return false
		}
		if n > 0 && len(rec) > 0 && rec[0] == user && user != "<root_account>" {
			return true
		}
	}
}

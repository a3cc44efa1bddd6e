package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// UserTags are tags of an account's IAM users read to find the owners of
// findings, beside those the authorization details carry
// (posture.UserDetail.Tags): from the dir layout's
// <account-id>.user-tags.json, or from iam:ListUserTags (collect/awsorg).
type UserTags struct {
	// Tags maps a user name to its tags, key to value. A source may keep
	// only the tag keys it was asked for.
	Tags map[string]map[string]string
	// NotLookedUp counts the users with findings whose tags were not
	// read because of the source's per-account cap.
	NotLookedUp int
	// Err says why some tags were not read (a failure, or the cap); the
	// findings of the users without tags then get their owner from the
	// account, an exception or a route.
	Err error
	// Failed is true when Err is a failure (an API error, a malformed
	// file), false when it only states the cap.
	Failed bool
}

// UserTagsSuffix names the dir layout's user tags file,
// <account-id>.user-tags.json.
const UserTagsSuffix = ".user-tags.json"

// MaxUserTagsFile bounds the size of a user tags file: room for the
// 5,000 users IAM allows an account with many tags each. A larger file
// is refused unread.
const MaxUserTagsFile = 32 << 20

// ParseUserTags reads a user tags file: a JSON object that maps each
// user name to what `aws iam list-user-tags --user-name NAME` prints for
// it, {"Tags": [{"Key": …, "Value": …}, …]}. Other members of a user's
// entry (IsTruncated, Marker) are ignored. A user or a tag key given
// twice is an error, as is anything but that shape; errors give the line
// and column.
func ParseUserTags(data []byte) (map[string]map[string]string, error) {
	at := func(off int64, format string, args ...any) error {
		line, col := position(data, off)
		return fmt.Errorf("line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))
	}
	// The syntax first, with the error's offset in the whole file (a
	// Decoder's offsets are not).
	var whole json.RawMessage
	if err := json.Unmarshal(data, &whole); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			if syn.Offset >= int64(len(data)) {
				return nil, at(int64(len(data)), "unexpected end of the file")
			}
			return nil, at(syn.Offset-1, "%v", err)
		}
		return nil, at(0, "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, at(0, "want an object mapping each user name to `aws iam list-user-tags` output")
	}
	out := map[string]map[string]string{}
	for dec.More() {
		keyAt := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, at(keyAt, "%v", err)
		}
		user, _ := tok.(string)
		if _, dup := out[user]; dup {
			return nil, at(keyAt, "user %q appears twice", user)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, at(keyAt, "%v", err)
		}
		valueAt := dec.InputOffset() - int64(len(raw))
		var entry struct {
			Tags *[]Tag `json:"Tags"`
		}
		if err := json.Unmarshal(raw, &entry); err != nil {
			var typ *json.UnmarshalTypeError
			if errors.As(err, &typ) {
				return nil, at(valueAt+typ.Offset, "user %q: %v", user, err)
			}
			return nil, at(valueAt, "user %q: %v", user, err)
		}
		if entry.Tags == nil {
			return nil, at(valueAt, "user %q: no Tags: want the output of `aws iam list-user-tags`", user)
		}
		tags := make(map[string]string, len(*entry.Tags))
		for _, t := range *entry.Tags {
			if _, dup := tags[t.Key]; dup {
				return nil, at(valueAt, "user %q: tag %q appears twice", user, t.Key)
			}
			tags[t.Key] = t.Value
		}
		out[user] = tags
	}
	return out, nil
}

// position returns the line and column (from 1) of the first byte at or
// after off that is not white space.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	for off < int64(len(data)) && bytes.IndexByte([]byte(" \t\r\n,:"), data[off]) >= 0 {
		off++
	}
	before := data[:off]
	return bytes.Count(before, []byte("\n")) + 1, int(off) - bytes.LastIndexByte(before, '\n')
}

package posture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ParseAuthorizationDetails reads `aws iam get-account-authorization-details`
// output. Errors give the line and column.
func ParseAuthorizationDetails(data []byte) (*AuthorizationDetails, error) {
	var d AuthorizationDetails
	if err := decodeStrict(data, &d, "UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"); err != nil {
		return nil, err
	}
	return &d, nil
}

// ParseAccountSummary reads `aws iam get-account-summary` output.
func ParseAccountSummary(data []byte) (*AccountSummary, error) {
	var s AccountSummary
	if err := decodeStrict(data, &s, "SummaryMap"); err != nil {
		return nil, err
	}
	if s.SummaryMap == nil {
		return nil, errors.New("SummaryMap is null")
	}
	return &s, nil
}

// ParseVirtualMFADevices reads `aws iam list-virtual-mfa-devices` output.
func ParseVirtualMFADevices(data []byte) (*VirtualMFADevices, error) {
	var v VirtualMFADevices
	if err := decodeStrict(data, &v, "VirtualMFADevices"); err != nil {
		return nil, err
	}
	for i, d := range v.VirtualMFADevices {
		if d.User != nil && d.User.Arn == "" {
			return nil, fmt.Errorf("VirtualMFADevices[%d] (%s): User has no Arn", i, d.SerialNumber)
		}
	}
	return &v, nil
}

// decodeStrict decodes data into v, requiring a JSON object with at least
// one of the keys want (so that the wrong file, e.g. a credential report
// export, is not read as an empty list).
func decodeStrict(data []byte, v any, want ...string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return located(data, err)
	}
	found := false
	for _, k := range want {
		_, ok := top[k]
		found = found || ok
	}
	if !found {
		return fmt.Errorf("line 1, column 1: no %s: not the output of the expected AWS CLI command", want[0])
	}
	if err := json.Unmarshal(data, v); err != nil {
		return located(data, err)
	}
	return nil
}

// located adds the line and column of a JSON error's offset.
func located(data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 {
		return err
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

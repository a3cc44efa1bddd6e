package posture

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeDocument(t *testing.T) {
	tests := []struct {
		name, in, want string
		bad            bool
	}{
		// The shape of a real GAAD capture (aws/aws-sdk-go#1513): whitespace kept, ':' '*' ',' escaped.
		{"IAM's encoding", "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%7B%22Action%22%3A%22acm%3A%2A%22%7D%7D",
			"{\n  \"Version\": \"2012-10-17\",\"Statement\":{\"Action\":\"acm:*\"}}", false},
		{"decoded exactly once", "%22arn%253Aaws%22", `"arn%3Aaws"`, false},
		{"a literal plus stays a plus", "%22a+b%22", `"a+b"`, false},
		{"a broken escape", "%7B%2", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDocument(tt.in)
			if (err != nil) != tt.bad || string(got) != tt.want {
				t.Errorf("DecodeDocument(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.bad)
			}
			if !tt.bad {
				if back, _ := DecodeDocument(got.Encode()); back != got {
					t.Errorf("Encode does not round-trip: %q", got.Encode())
				}
			}
		})
	}
}

func TestDocumentJSON(t *testing.T) {
	for _, in := range []string{
		`{"PolicyDocument":{"Version":"2012-10-17","Statement":[]}}`,                             // the CLI's object
		`{"PolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`,                     // a JSON string
		`{"PolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}`, // URL-encoded
	} {
		var p InlinePolicy
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if p.PolicyDocument != `{"Version":"2012-10-17","Statement":[]}` {
			t.Errorf("%s: document %q", in, p.PolicyDocument)
		}
		out, _ := json.Marshal(p)
		if !strings.Contains(string(out), `"PolicyDocument":{"Version"`) {
			t.Errorf("Marshal = %s, want the document as an object", out)
		}
	}
}

func TestParseErrorsLocate(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		in    string
		want  string
	}{
		{"details truncated", func(b []byte) error { _, err := ParseAuthorizationDetails(b); return err },
			"{\n  \"UserDetailList\": [\n    {\"UserName\": \"a\"", "line 3, column"},
		{"details of the wrong type", func(b []byte) error { _, err := ParseAuthorizationDetails(b); return err },
			"{\n  \"RoleDetailList\": [{\"RoleName\": 7}]\n}", "line 2, column"},
		{"not a details file", func(b []byte) error { _, err := ParseAuthorizationDetails(b); return err },
			`{"Content":"dXNlcg=="}`, "no UserDetailList"},
		{"summary value not a number", func(b []byte) error { _, err := ParseAccountSummary(b); return err },
			"{\"SummaryMap\": {\n\"AccountMFAEnabled\": \"yes\"}}", "line 2, column"},
		{"summary null", func(b []byte) error { _, err := ParseAccountSummary(b); return err },
			`{"SummaryMap": null}`, "SummaryMap is null"},
		{"device user without Arn", func(b []byte) error { _, err := ParseVirtualMFADevices(b); return err },
			`{"VirtualMFADevices":[{"SerialNumber":"s","User":{"UserName":"x"}}]}`, "User has no Arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCLIOutput(t *testing.T) {
	d, err := ParseAuthorizationDetails([]byte(`{"UserDetailList":[],"RoleDetailList":[{"RoleName":"r","Path":"/","CreateDate":"2024-01-02T03:04:05+00:00","RoleLastUsed":{}}],
"Policies":[{"PolicyName":"p","DefaultVersionId":"v2","AttachmentCount":1,"PolicyVersionList":[{"VersionId":"v1","IsDefaultVersion":false,"Document":{"Statement":[]}},{"VersionId":"v2","IsDefaultVersion":true,"Document":{"Statement":{"Effect":"Allow"}}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := d.RoleDetailList[0]; r.RoleLastUsed == nil || r.RoleLastUsed.LastUsedDate != nil || r.CreateDate.Year() != 2024 {
		t.Errorf("role = %+v", r)
	}
	if v, ok := d.Policies[0].DefaultVersion(); !ok || v.VersionID != "v2" {
		t.Errorf("DefaultVersion = %+v", v)
	}
	s, err := ParseAccountSummary([]byte(`{"SummaryMap":{"AccountMFAEnabled":1,"Users":32}}`))
	if err != nil || s.SummaryMap[AccountMFAEnabledKey] != 1 {
		t.Errorf("summary = %+v, %v", s, err)
	}
	v, err := ParseVirtualMFADevices([]byte(`{"VirtualMFADevices":[{"SerialNumber":"arn:aws:iam::123456789012:mfa/RootMFAdeviceName","EnableDate":"2011-10-20T20:49:03+00:00","User":{"UserId":"123456789012","Arn":"arn:aws:iam::123456789012:root","CreateDate":"2009-10-13T22:00:36+00:00"}}]}`))
	if err != nil || v.VirtualMFADevices[0].User.Arn != "arn:aws:iam::123456789012:root" || v.VirtualMFADevices[0].User.UserName != "" {
		t.Errorf("devices = %+v, %v", v, err)
	}
}

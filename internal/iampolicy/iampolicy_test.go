package iampolicy

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "anything/at:all", true},
		{"arn:aws:iam::*:role/IAMCredentialAuditRole", "arn:aws:iam::222222222222:role/IAMCredentialAuditRole", true},
		{"arn:aws:iam::*:role/IAMCredentialAuditRole", "arn:aws:iam::222222222222:role/Admin", false},
		{"arn:aws:iam::*:role/IAMCredentialAuditRole", "arn:aws:iam::222222222222:role/IAMCredentialAuditRoleX", false},
		{"arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/2026/11/r/audit.md", true},
		{"arn:aws:s3:::b/p/*", "arn:aws:s3:::b/other/x", false},
		{"arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/", true},
		{"p/*", "p", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[x]", "[x]", true},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestParseRefusesWhatItCannotJudge(t *testing.T) {
	for name, doc := range map[string]string{
		"deny":         `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
		"not action":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`,
		"arn operator": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"x"}}}]}`,
		"old version":  `{"Version":"2008-10-17","Statement":[]}`,
		"no resource":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`,
		"not json":     `{`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, doc)
		}
	}
}

func TestAllows(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["p/*"]}}},
	  {"Sid":"Get","Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/p/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		r    Request
		want bool
	}{
		{Request{"s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:prefix": "p/2026/"}}, true},
		{Request{"s3:ListBucket", "arn:aws:s3:::b", map[string]string{"s3:prefix": "other/"}}, false},
		{Request{"s3:ListBucket", "arn:aws:s3:::b", nil}, false},
		{Request{"S3:GETOBJECT", "arn:aws:s3:::b/p/x", nil}, true},
		{Request{"s3:GetObject", "arn:aws:s3:::b/q/x", nil}, false},
		{Request{"s3:PutObject", "arn:aws:s3:::b/p/x", nil}, false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.r); got != tt.want {
			t.Errorf("Allows(%v) = %v, want %v", tt.r, got, tt.want)
		}
	}
	if g := p.Grants(); len(g) != 2 || !g[0].Covers(tests[0].r) || g[0].Covers(tests[1].r) {
		t.Errorf("Grants() = %+v", g)
	}
}

package runfolder

import (
	"strings"
	"testing"
)

func TestTeamFolder(t *testing.T) {
	tests := []struct{ name, want string }{
		{"payments", "payments"},
		{"#Payments Team", "payments-team"},
		{"C0123ABCD", "c0123abcd"},
		{"../../etc/passwd", "etc-passwd"},
		{"a/b\\c", "a-b-c"},
		{"..", ""},
		{"  --  ", ""},
		{"Zahlungsverkehr Ü", "zahlungsverkehr"},
		{"team\x00x", "team-x"},
		{"CON", "con-team"},
		{"#aux", "aux-team"},
		{"Lpt9", "lpt9-team"},
		{"com10", "com10"},
		{"console", "console"},
		{"Pаyments", "p-yments"}, // a Cyrillic а: a look-alike gets a folder of its own
		{"Платежи", ""},
		{"pay\u202Ements", "pay-ments"},
		{strings.Repeat("ab-", 40), strings.TrimRight(strings.Repeat("ab-", 40)[:64], "-")},
	}
	for _, tt := range tests {
		if got := TeamFolder(tt.name); got != tt.want {
			t.Errorf("TeamFolder(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got := TeamFolder(tt.name); len(got) > 64 || strings.ContainsAny(got, "/\\.") {
			t.Errorf("TeamFolder(%q) = %q: not a safe folder name", tt.name, got)
		}
	}
}

func TestTeamOf(t *testing.T) {
	tests := []struct {
		path, folder, file string
		ok                 bool
	}{
		{"teams/payments/audit.xlsx", "payments", "audit.xlsx", true},
		{"teams/payments/audit.md", "payments", "audit.md", true},
		{TeamPath("data-eng", "audit.md"), "data-eng", "audit.md", true},
		{"audit.xlsx", "", "", false},
		{"teams/payments/", "", "", false},
		{"teams/payments/x/audit.md", "", "", false},
		{"teams/../audit.md", "", "", false},
		{"teams/Pay/audit.md", "", "", false},
		{"teams/con/audit.md", "", "", false},
		{"teams/con-team/audit.md", "con-team", "audit.md", true},
		{"evidence/teams/a/b", "", "", false},
	}
	for _, tt := range tests {
		folder, file, ok := TeamOf(tt.path)
		if folder != tt.folder || file != tt.file || ok != tt.ok {
			t.Errorf("TeamOf(%q) = %q, %q, %v; want %q, %q, %v", tt.path, folder, file, ok, tt.folder, tt.file, tt.ok)
		}
	}
}

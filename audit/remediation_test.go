package audit

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// placeholders are the placeholders the catalog's commands may hold.
var placeholders = map[string]bool{
	"<user>": true, "<group>": true, "<role>": true, "<account-id>": true, "<access-key-id>": true,
	"<policy-arn>": true, "<policy-name>": true, "<instance-profile>": true, "<code-1>": true, "<code-2>": true,
	"<arn>": true, "<job-id>": true, "<partition>": true,
}

var placeholderRE = regexp.MustCompile(`<[a-z0-9-]+>`)

// TestEveryCheckHasRemediation keeps the catalog complete: a check added
// to Checks without its rule, action, console location and documentation
// fails here.
func TestEveryCheckHasRemediation(t *testing.T) {
	for _, c := range Checks {
		r, ok := RemediationOf(c.ID)
		if !ok {
			t.Errorf("%s: no remediation", c.ID)
			continue
		}
		if !strings.HasPrefix(r.Rule, "Fires ") || !strings.HasSuffix(r.Rule, ".") || strings.Count(r.Rule, ". ") > 0 {
			t.Errorf("%s: Rule %q, want one sentence starting with \"Fires \"", c.ID, r.Rule)
		}
		if n := strings.Count(r.Action+" ", ". "); n < 1 || n > 3 {
			t.Errorf("%s: Action has %d sentences, want 1 to 3: %q", c.ID, n, r.Action)
		}
		if r.Console == "" {
			t.Errorf("%s: no console location", c.ID)
		}
		if !strings.HasPrefix(r.DocURL, "https://docs.aws.amazon.com/") || !strings.HasSuffix(r.DocURL, ".html") {
			t.Errorf("%s: DocURL %q, want a page of docs.aws.amazon.com", c.ID, r.DocURL)
		}
		if c.Family == "root" {
			if len(r.Commands) > 0 || !strings.Contains(r.Action, "in the console") {
				t.Errorf("%s: a root fix is console only; want no commands and an action saying so", c.ID)
			}
			continue
		}
		if len(r.Commands) == 0 {
			t.Errorf("%s: no AWS CLI command", c.ID)
		}
		for _, cmd := range r.Commands {
			if !strings.HasPrefix(cmd, "aws iam ") {
				t.Errorf("%s: command %q is not an AWS CLI IAM command", c.ID, cmd)
			}
			for _, p := range placeholderRE.FindAllString(cmd, -1) {
				if !placeholders[p] {
					t.Errorf("%s: command %q has the unknown placeholder %s", c.ID, cmd, p)
				}
			}
		}
	}
	for id := range remediations {
		if _, ok := LookupCheck(id); !ok {
			t.Errorf("remediation for %s, which is no check of the catalog", id)
		}
	}
	if got := len(Catalog()); got != len(Checks) {
		t.Errorf("Catalog() has %d entries, want %d", got, len(Checks))
	}
	for _, tc := range []struct {
		days int
		want bool
	}{{0, false}, {90, true}} {
		has := slices.ContainsFunc(Applied(Thresholds{UnusedPermissionsDays: tc.days}), func(e CatalogEntry) bool { return e.ID == UnusedServices })
		if n := len(Applied(Thresholds{UnusedPermissionsDays: tc.days})); has != tc.want || n != len(Checks)-1+map[bool]int{false: 0, true: 1}[tc.want] {
			t.Errorf("Applied with unused_permissions_days %d: %d entries, unused-services %v; want it %v", tc.days, n, has, tc.want)
		}
	}
}

func TestRemediationFor(t *testing.T) {
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{
			name: "access key of a user",
			f:    Finding{AccountID: "111111111111", Principal: "alice", Check: AccessKeyUnused, Credential: "access_key_2"},
			want: "# access key 2; its ID: aws iam list-access-keys --user-name alice\n" +
				"aws iam update-access-key --user-name alice --access-key-id <access-key-id> --status Inactive\n" +
				"aws iam delete-access-key --user-name alice --access-key-id <access-key-id>",
		},
		{
			name: "console password",
			f:    Finding{AccountID: "111111111111", Principal: "bob@example.com", Check: ConsolePasswordUnused, Credential: "password"},
			want: "aws iam delete-login-profile --user-name bob@example.com",
		},
		{
			name: "MFA: partition, account and user filled",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "arn:aws:iam::222222222222:user/carol", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:aws:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "MFA in GovCloud: the user's partition",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "arn:aws-us-gov:iam::222222222222:user/staff/carol", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:aws-us-gov:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "MFA in China: the user's partition",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "arn:aws-cn:iam::222222222222:user/carol", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:aws-cn:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "MFA without an ARN: the partition left to fill in",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:<partition>:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "MFA with a partition that is no partition: left to fill in",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "arn:aws$(touch pwned):iam::222222222222:user/carol", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:<partition>:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "MFA with an ARN of another shape: left to fill in",
			f:    Finding{AccountID: "222222222222", Principal: "carol", ARN: "carol", Check: ConsoleMFAMissing, Credential: "password"},
			want: "aws iam delete-login-profile --user-name carol\n" +
				"aws iam create-virtual-mfa-device --virtual-mfa-device-name carol --outfile carol-mfa.png --bootstrap-method QRCodePNG\n" +
				"aws iam enable-mfa-device --user-name carol --serial-number arn:<partition>:iam::222222222222:mfa/carol --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		{
			name: "unused services of a role: its ARN and the role's commands",
			f: Finding{AccountID: "111111111111", Principal: "role/ci deploy", ARN: "arn:aws:iam::111111111111:role/build/ci deploy",
				Check: UnusedServices, Credential: "services"},
			want: "aws iam generate-service-last-accessed-details --arn 'arn:aws:iam::111111111111:role/build/ci deploy'\n" +
				"aws iam get-service-last-accessed-details --job-id <job-id>\n" +
				"aws iam list-attached-role-policies --role-name 'ci deploy'\n" +
				"aws iam detach-role-policy --role-name 'ci deploy' --policy-arn <policy-arn>",
		},
		{
			name: "unused services of a user: the user's commands",
			f:    Finding{AccountID: "111111111111", Principal: "user/dana", ARN: "arn:aws:iam::111111111111:user/dana", Check: UnusedServices, Credential: "services"},
			want: "aws iam generate-service-last-accessed-details --arn arn:aws:iam::111111111111:user/dana\n" +
				"aws iam get-service-last-accessed-details --job-id <job-id>\n" +
				"aws iam list-attached-user-policies --user-name dana\n" +
				"aws iam detach-user-policy --user-name dana --policy-arn <policy-arn>",
		},
		{
			name: "root: console only",
			f:    Finding{AccountID: "111111111111", Principal: "<root_account>", Check: RootAccessKeyActive, Credential: "access_key_1"},
			want: "Console only: " + rootConsole + " > Access keys > Actions > Delete",
		},
		{
			name: "password policy: no user",
			f:    Finding{AccountID: "333333333333", Check: PasswordPolicyMissing, Credential: "account"},
			want: passwordPolicyFix.Commands[0],
		},
		{
			name: "managed policy with full admin",
			f: Finding{AccountID: "444444444444", Principal: "policy/Everything", ARN: "arn:aws:iam::444444444444:policy/Everything",
				Check: PolicyFullAdmin, Credential: "policy"},
			want: "aws iam create-policy-version --policy-arn arn:aws:iam::444444444444:policy/Everything --policy-document file://least-privilege.json --set-as-default",
		},
		{
			name: "inline policy of a role",
			f:    Finding{AccountID: "444444444444", Principal: "role/ops", Check: PolicyFullAdmin, Credential: "inline:all"},
			want: "aws iam delete-role-policy --role-name ops --policy-name all",
		},
		{
			name: "inline policy of a group",
			f:    Finding{AccountID: "444444444444", Principal: "group/admins", Check: PolicyFullAdmin, Credential: "inline:star"},
			want: "aws iam delete-group-policy --group-name admins --policy-name star",
		},
		{
			name: "unused role",
			f:    Finding{AccountID: "555555555555", Principal: "role/old-ci", Check: RoleUnused, Credential: "role"},
			want: strings.Join([]string{
				"aws iam get-role --role-name old-ci",
				"aws iam list-attached-role-policies --role-name old-ci",
				"aws iam detach-role-policy --role-name old-ci --policy-arn <policy-arn>",
				"aws iam list-instance-profiles-for-role --role-name old-ci",
				"aws iam remove-role-from-instance-profile --instance-profile-name <instance-profile> --role-name old-ci",
				"aws iam delete-role --role-name old-ci",
			}, "\n"),
		},
		{
			name: "name with a space and a quote is quoted",
			f:    Finding{AccountID: "111111111111", Principal: "o'brien x", Check: ConsolePasswordUnused, Credential: "password"},
			want: "aws iam delete-login-profile --user-name 'o'\\''brien x'",
		},
		{
			name: "name with a newline is not filled in",
			f:    Finding{AccountID: "111111111111", Principal: "eve\nrm -rf ~", Check: ConsolePasswordUnused, Credential: "password"},
			want: "# user name not filled in: it starts with - or holds control characters\naws iam delete-login-profile --user-name <user>",
		},
		{
			name: "name that reads as an option is not filled in",
			f:    Finding{AccountID: "111111111111", Principal: "--debug", Check: ConsolePasswordUnused, Credential: "password"},
			want: "# user name not filled in: it starts with - or holds control characters\naws iam delete-login-profile --user-name <user>",
		},
		{
			name: "key of a user whose name is withheld",
			f:    Finding{AccountID: "111111111111", Principal: "-x", Check: AccessKeyUnused, Credential: "access_key_1"},
			want: "# access key 1; user name not filled in: it starts with - or holds control characters\n" +
				"aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive\n" +
				"aws iam delete-access-key --user-name <user> --access-key-id <access-key-id>",
		},
		{
			name: "unknown check",
			f:    Finding{AccountID: "111111111111", Principal: "alice", Check: "no-such-check"},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RemediationFor(&tt.f); got != tt.want {
				t.Errorf("RemediationFor() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestRemediationForHostileNames pastes the filled commands into real
// POSIX shells (sh, bash, zsh: those installed), as a reader would: each
// hostile name must arrive as one argument, unchanged, and nothing else
// may run.
func TestRemediationForHostileNames(t *testing.T) {
	var shells []string
	for _, shell := range []string{"sh", "bash", "zsh"} {
		if _, err := exec.LookPath(shell); err == nil {
			shells = append(shells, shell)
		}
	}
	if len(shells) == 0 {
		t.Skip("no shell on this machine")
	}
	for _, name := range []string{
		"alice", "a b", "o'brien", `"quoted"`, "$(touch pwned)", "`touch pwned`", "x; touch pwned", "a|b&c",
		"*", "~root", "!!", `back\slash`, "$HOME", "'; touch pwned; '", "a\u202eb", "tab\there", "ünïcode",
		"=ls", "=deploy", "#x", "{a,b}", "^x",
	} {
		for _, sh := range shells {
			t.Run(sh+"/"+name, func(t *testing.T) { hostileNameInShell(t, sh, name) })
		}
	}
}

// hostileNameInShell is one case of TestRemediationForHostileNames.
func hostileNameInShell(t *testing.T, sh, name string) {
	f := Finding{AccountID: "111111111111", Principal: name, Check: AccessKeyNotRotated, Credential: "access_key_1"}
	text := RemediationFor(&f)
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("RemediationFor() = %q, want a comment line and three commands", text)
	}
	if !printable(name) {
		if strings.Contains(text, name) || !strings.Contains(lines[1], "<user>") {
			t.Errorf("a name with control or format characters was filled in: %q", text)
		}
		return
	}
	// Replace the AWS CLI by a function that prints its arguments,
	// one a line, fill in the key ID as the reader would, and run
	// everything the reader would paste.
	dir := t.TempDir()
	text = strings.ReplaceAll(text, "<access-key-id>", "AKIAEXAMPLE")
	script := "aws() { printf '%s\\n' \"$@\"; }\n" + text + "\n"
	cmd := exec.Command(sh, "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	args := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{"iam", "create-access-key", "--user-name", name}
	if len(args) < len(want) || strings.Join(args[:4], "\x00") != strings.Join(want, "\x00") {
		t.Errorf("the shell read %q, want %q first", args, want)
	}
	if n := strings.Count(string(out), name+"\n"); n != 3 {
		t.Errorf("the name reached the CLI %d times whole, want 3:\n%s", n, out)
	}
	if entries, _ := exec.Command("ls", "-A", dir).Output(); len(entries) > 0 {
		t.Errorf("pasting the commands created %q", entries)
	}
}

func TestPartitionOf(t *testing.T) {
	for _, tt := range []struct {
		arn, want string
		ok        bool
	}{
		{"arn:aws:iam::111122223333:user/alice", "aws", true},
		{"arn:aws-us-gov:iam::111122223333:user/alice", "aws-us-gov", true},
		{"arn:aws-cn:iam::111122223333:user/alice", "aws-cn", true},
		{"arn:aws-iso-b:iam::111122223333:user/alice", "aws-iso-b", true},
		{"", "", false},
		{"arn:", "", false},
		{"arn:aws", "", false},
		{"arn::iam::111122223333:user/alice", "", false},
		{"arn:awsx:iam::111122223333:user/alice", "", false},
		{"arn:aws-:iam::111122223333:user/alice", "", false},
		{"arn:aws--cn:iam::111122223333:user/alice", "", false},
		{"arn:aws-US-gov:iam::111122223333:user/alice", "", false},
		{"arn:aws-cn;id:iam::111122223333:user/alice", "", false},
		{"arn:other:iam::111122223333:user/alice", "", false},
		{"urn:aws:iam::111122223333:user/alice", "", false},
	} {
		if got, ok := partitionOf(tt.arn); got != tt.want || ok != tt.ok {
			t.Errorf("partitionOf(%q) = %q, %v; want %q, %v", tt.arn, got, ok, tt.want, tt.ok)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "''"},
		{"a name", "alice", "alice"},
		{"an ARN with every safe character", "arn:aws:iam::1:policy/x+y=z,w.v@u-t_s", "arn:aws:iam::1:policy/x+y=z,w.v@u-t_s"},
		{"a space", "a b", "'a b'"},
		{"a quote", "it's", `'it'\''s'`},
		{"a command substitution", "$(id)", "'$(id)'"},
		// zsh expands =NAME at the start of a word to the path of the
		// command NAME (its EQUALS option, on by default).
		{"a leading =: zsh's =cmd", "=deploy", "'=deploy'"},
		{"= alone", "=", "'='"},
		{"==", "==", "'=='"},
		{"= inside a word stays", "a=b", "a=b"},
		{"= at the end stays", "a=", "a="},
		// ~ (home directory) and # (a comment) at the start of a word
		// are quoted, as anywhere in it.
		{"a leading ~", "~root", "'~root'"},
		{"~ inside", "a~b", "'a~b'"},
		{"a leading #", "#x", "'#x'"},
		{"# inside", "x#y", "'x#y'"},
		{"a brace expansion", "{a,b}", "'{a,b}'"},
		{"a glob", "a*", "'a*'"},
		{"a history expansion", "!!", "'!!'"},
		{"zsh's ^ glob", "^x", "'^x'"},
		// A leading - is no shell's business: set leaves such a name
		// out of the commands.
		{"a leading -", "-x", "-x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShellQuote(tt.in); got != tt.want {
				t.Errorf("ShellQuote(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestShellQuoteInShells hands each quoted word to the shells a reader
// pastes commands into (sh, bash, zsh: those installed) and checks it
// arrives as one argument, unchanged.
func TestShellQuoteInShells(t *testing.T) {
	words := []string{"alice", "=deploy", "=ls", "=", "~", "~root", "#x", "a=~b", "x+y=z", "{a,b}", "a*", "!!", "^x", "$HOME", "it's", "a b"}
	ran := 0
	for _, shell := range []string{"sh", "bash", "zsh"} {
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Logf("no %s on this machine", shell)
			continue
		}
		ran++
		t.Run(shell, func(t *testing.T) {
			script := "printf '%s\\n'"
			for _, w := range words {
				script += " " + ShellQuote(w)
			}
			cmd := exec.Command(path, "-c", script)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", shell, err, out)
			}
			if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !slices.Equal(got, words) {
				t.Errorf("%s read %q, want %q", shell, got, words)
			}
		})
	}
	if ran == 0 {
		t.Skip("no shell on this machine")
	}
}

package audit

import (
	"strings"
	"unicode"
)

// Remediation tells a reader how to fix the findings of one check.
type Remediation struct {
	// Rule is when the check fires, in one sentence: the exact rule.
	Rule string `json:"rule"`
	// Action is what to do, in one to three sentences.
	Action string `json:"action"`
	// Commands are AWS CLI commands that fix a finding, in the order to
	// run them. Placeholders in angle brackets (<user>, <access-key-id>,
	// <policy-arn>…) are filled in per finding where the finding says
	// what they are (RemediationFor). Empty when the fix is console
	// only (the root user's credentials).
	Commands []string `json:"commands,omitempty"`
	// Console is where the fix is made in the AWS console.
	Console string `json:"console,omitempty"`
	// DocURL is the AWS documentation page for the fix.
	DocURL string `json:"doc_url,omitempty"`
}

// CatalogEntry is a check with how to fix its findings: what `reporter
// checks --json` prints and findings.json's run.checks holds.
type CatalogEntry struct {
	Check
	Remediation
}

// Catalog returns every check of Checks with its remediation, in
// catalog order.
func Catalog() []CatalogEntry {
	out := make([]CatalogEntry, len(Checks))
	for i, c := range Checks {
		out[i] = CatalogEntry{Check: c, Remediation: remediations[c.ID]}
	}
	return out
}

// Applied returns the entries of Catalog that a run with thresholds t
// applies: every check but the opt-in unused-services when t leaves it
// off (UnusedPermissionsDays 0).
func Applied(t Thresholds) []CatalogEntry {
	all := Catalog()
	if t.UnusedPermissionsDays > 0 {
		return all
	}
	out := all[:0]
	for _, e := range all {
		if e.ID != UnusedServices {
			out = append(out, e)
		}
	}
	return out
}

// Console locations shared by several checks.
const (
	rootConsole     = "Sign in as the root user (the account's email address), then account menu (top right) > Security credentials"
	userConsole     = "IAM console > Users > the user > Security credentials"
	passwordConsole = "IAM console > Account settings > Password policy > Edit"
	iamDoc          = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
	rootOnly        = " Only the root user can do this, in the console: IAM users and roles cannot manage root's credentials."
)

// passwordPolicyFix sets every password-policy setting the checks judge
// to the default thresholds in one call, because
// update-account-password-policy replaces the whole policy.
var passwordPolicyFix = Remediation{
	Action: "Set a password policy that meets the run's thresholds (the command uses the defaults; put yours). " +
		"The command replaces the whole policy: every setting it leaves out goes back to its default, so give them all.",
	Commands: []string{
		"aws iam update-account-password-policy --minimum-password-length 14 --require-symbols --require-numbers " +
			"--require-uppercase-characters --require-lowercase-characters --password-reuse-prevention 24 --max-password-age 90 " +
			"--allow-users-to-change-password",
	},
	Console: passwordConsole,
	DocURL:  iamDoc + "id_credentials_passwords_account-policy.html",
}

// withRule returns r with its Rule set to rule.
func withRule(r Remediation, rule string) Remediation {
	r.Rule = rule
	return r
}

// remediations holds the Remediation of each check ID of Checks
// (TestEveryCheckHasRemediation keeps it complete). Rules state what
// audit/rules.go and audit/posture.go implement; the documentation URLs
// are AWS's IAM User Guide pages for each fix.
var remediations = map[string]Remediation{
	RootAccessKeyActive: {
		Rule:    "Fires for each access key of the root user that is active.",
		Action:  "Find what uses the key (the finding says when and where it was last used), move that to an IAM role or user, then delete the key." + rootOnly,
		Console: rootConsole + " > Access keys > Actions > Delete",
		DocURL:  iamDoc + "id_root-user_manage_delete-key.html",
	},
	RootMFADisabled: {
		Rule:    "Fires when the root user has no MFA device (mfa_active false), unless the credential report shows root with neither a password nor an active access key.",
		Action:  "Assign an MFA device to the root user, preferably a hardware security key kept in a safe place." + rootOnly,
		Console: rootConsole + " > Multi-factor authentication (MFA) > Assign MFA device",
		DocURL:  iamDoc + "enable-mfa-for-root.html",
	},
	RootUsedRecently: {
		Rule: "Fires when the root user's password or one of its access keys was last used within root_use_days (default 90) days before the run's as-of.",
		Action: "Find out who signed in as root and why (CloudTrail events of user type Root); do everyday work with IAM roles or users instead. " +
			"If nobody can explain the use, treat it as a compromise: the root user changes its password, checks its MFA devices and deletes any root access key, in the console.",
		Console: "CloudTrail console > Event history, filtered on User name root; for the fix, sign in as the root user > account menu > Security credentials",
		DocURL:  iamDoc + "root-user-best-practices.html",
	},
	ConsoleMFAMissing: {
		Rule: "Fires for a user whose console password is enabled and who has no MFA device (mfa_active false).",
		Action: "Have the user assign an MFA device at their next sign-in, or an administrator enable a virtual one with two consecutive codes from it. " +
			"If the user does not need the console, delete the password instead (first command).",
		Commands: []string{
			"aws iam delete-login-profile --user-name <user>",
			"aws iam create-virtual-mfa-device --virtual-mfa-device-name <user> --outfile <user>-mfa.png --bootstrap-method QRCodePNG",
			"aws iam enable-mfa-device --user-name <user> --serial-number arn:<partition>:iam::<account-id>:mfa/<user> --authentication-code1 <code-1> --authentication-code2 <code-2>",
		},
		Console: userConsole + " > Multi-factor authentication (MFA) > Assign MFA device",
		DocURL:  iamDoc + "id_credentials_mfa_enable_virtual.html",
	},
	ConsolePasswordUnused: {
		Rule: "Fires for an enabled console password last used (when never used: last set, else the user created) more than unused_credential_days (default 90) days before the run's as-of.",
		Action: "Delete the console password: a password nobody uses is one nobody would notice being used. " +
			"If the user still needs the console, they can be given a new password later.",
		Commands: []string{"aws iam delete-login-profile --user-name <user>"},
		Console:  userConsole + " > Console sign-in > Manage > Disable",
		DocURL:   iamDoc + "id_credentials_passwords_admin-change-user.html",
	},
	AccessKeyNotRotated: {
		Rule: "Fires for each active access key last rotated (created) more than key_rotation_days (default 90) days before the run's as-of.",
		Action: "Create a second key, move every application to it, deactivate the old key, and delete it once nothing has failed. " +
			"Better still, replace the key with an IAM role or IAM Identity Center.",
		Commands: []string{
			"aws iam create-access-key --user-name <user>",
			"aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive",
			"aws iam delete-access-key --user-name <user> --access-key-id <access-key-id>",
		},
		Console: userConsole + " > Access keys > Create access key, then Actions > Deactivate and Delete on the old key",
		DocURL:  iamDoc + "id-credentials-access-keys-update.html",
	},
	AccessKeyUnused: {
		Rule: "Fires for each active access key last used (when never used: created, else the user created) more than unused_credential_days (default 90) days before the run's as-of.",
		Action: "Deactivate the key, and delete it when nothing has failed for a while. " +
			"A deactivated key can be activated again if something turns out to need it.",
		Commands: []string{
			"aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive",
			"aws iam delete-access-key --user-name <user> --access-key-id <access-key-id>",
		},
		Console: userConsole + " > Access keys > Actions > Deactivate, later Delete",
		DocURL:  iamDoc + "access-keys-admin-managed.html",
	},
	MultipleActiveAccessKeys: {
		Rule: "Fires when both access keys of a user are active.",
		Action: "Keep the key that is in use (see when each was last used) and deactivate the other; delete it once nothing has failed. " +
			"Two active keys are only needed for the moment of a rotation.",
		Commands: []string{
			"aws iam list-access-keys --user-name <user>",
			"aws iam get-access-key-last-used --access-key-id <access-key-id>",
			"aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive",
		},
		Console: userConsole + " > Access keys",
		DocURL:  iamDoc + "access-keys-admin-managed.html",
	},
	UserInactive: {
		Rule: "Fires when no password or access key of a user was used for more than inactive_user_days (default 90) days before the run's as-of, " +
			"counted from the user's creation when none ever was; the severity is low when the user has no credential enabled.",
		Action: "Ask the user's owner whether it is still needed; if not, disable its credentials now and delete the user. " +
			"Deleting a user first needs its keys, password, MFA devices, group memberships and policies removed.",
		Commands: []string{
			"aws iam delete-login-profile --user-name <user>",
			"aws iam list-access-keys --user-name <user>",
			"aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive",
			"aws iam delete-user --user-name <user>",
		},
		Console: "IAM console > Users > select the user > Delete",
		DocURL:  iamDoc + "id_users_remove.html",
	},
	PasswordPolicyMissing: withRule(passwordPolicyFix, "Fires when the account has no IAM password policy."),
	PasswordPolicyMinLength: withRule(passwordPolicyFix,
		"Fires when the password policy's minimum length is less than min_password_length (default 14)."),
	PasswordPolicyReuse: withRule(passwordPolicyFix,
		"Fires when the password policy prevents the reuse of fewer than password_reuse_prevention (default 24) previous passwords."),
	PasswordPolicySymbols:   withRule(passwordPolicyFix, "Fires when the password policy does not require at least one symbol."),
	PasswordPolicyNumbers:   withRule(passwordPolicyFix, "Fires when the password policy does not require at least one number."),
	PasswordPolicyUppercase: withRule(passwordPolicyFix, "Fires when the password policy does not require at least one uppercase letter."),
	PasswordPolicyLowercase: withRule(passwordPolicyFix, "Fires when the password policy does not require at least one lowercase letter."),
	PasswordPolicyMaxAge: withRule(passwordPolicyFix,
		"Fires when passwords never expire, or expire after more than max_password_age_days (default 90) days."),
	InitialAccessKeyUnused: {
		Rule: "Fires for each active access key that was never used, of a user who also has a console password enabled.",
		Action: "Delete the key: it was most likely created with the user and never needed. " +
			"Create access keys only when a user needs one, and prefer IAM roles.",
		Commands: []string{"aws iam delete-access-key --user-name <user> --access-key-id <access-key-id>"},
		Console:  userConsole + " > Access keys > Actions > Delete",
		DocURL:   iamDoc + "access-keys-admin-managed.html",
	},
	RootAccessKeyInactive: {
		Rule:    "Fires for each access key of the root user that exists (has a creation date) but is inactive.",
		Action:  "Delete the key: an inactive key can be activated again by whoever signs in as root." + rootOnly,
		Console: rootConsole + " > Access keys > Actions > Delete",
		DocURL:  iamDoc + "id_root-user_manage_delete-key.html",
	},
	RootHardwareMFAMissing: {
		Rule: "Fires when the root user has a password or an active access key, MFA is enabled for it (AccountMFAEnabled 1), " +
			"and an assigned virtual MFA device belongs to root's ARN.",
		Action: "Assign a hardware MFA device (a FIDO security key or a hardware TOTP token) to the root user, then remove the virtual device; " +
			"keep the hardware device in a safe place." + rootOnly,
		Console: rootConsole + " > Multi-factor authentication (MFA) > Assign MFA device",
		DocURL:  iamDoc + "id_credentials_mfa_enable_fido.html",
	},
	UserPolicyAttached: {
		Rule: "Fires once for each user that has managed policies attached directly or inline policies of its own.",
		Action: "Grant the permissions through a group (or a role) instead: add the user to a group holding those policies, " +
			"then detach the managed policies from the user and delete its inline policies.",
		Commands: []string{
			"aws iam list-attached-user-policies --user-name <user>",
			"aws iam list-user-policies --user-name <user>",
			"aws iam add-user-to-group --user-name <user> --group-name <group>",
			"aws iam detach-user-policy --user-name <user> --policy-arn <policy-arn>",
			"aws iam delete-user-policy --user-name <user> --policy-name <policy-name>",
		},
		Console: "IAM console > Users > the user > Permissions > Remove; Groups > the group > Users > Add users",
		DocURL:  iamDoc + "id_groups_manage_add-remove-users.html",
	},
	PolicyFullAdmin: {
		Rule: "Fires for each attached customer-managed policy (its default version) and each inline policy of a user, group or role " +
			`with a statement that allows Action "*" on Resource "*"; a condition does not exempt the statement.`,
		Action: "Replace the statement with the actions and resources the principals really need: a new default version of a managed policy, " +
			"or a narrower inline policy (or none). Keep full administrator access for a few break-glass roles.",
		Commands: []string{
			"aws iam create-policy-version --policy-arn <policy-arn> --policy-document file://least-privilege.json --set-as-default",
			"aws iam delete-user-policy --user-name <user> --policy-name <policy-name>",
			"aws iam delete-group-policy --group-name <group> --policy-name <policy-name>",
			"aws iam delete-role-policy --role-name <role> --policy-name <policy-name>",
		},
		Console: "IAM console > Policies > the policy > Edit (managed); Users, User groups or Roles > the principal > Permissions (inline)",
		DocURL:  iamDoc + "access_policies_manage-edit.html",
	},
	RoleUnused: {
		Rule: "Fires for a role that is not service-linked, was created more than role_unused_days (default 90) days before the run's as-of, " +
			"and was last used more than that many days before it (or not within IAM's 400-day tracking period).",
		Action: "Confirm with the role's owner that nothing assumes it any more, then delete it. " +
			"Deleting a role first needs its policies detached or deleted and its instance profiles removed.",
		Commands: []string{
			"aws iam get-role --role-name <role>",
			"aws iam list-attached-role-policies --role-name <role>",
			"aws iam detach-role-policy --role-name <role> --policy-arn <policy-arn>",
			"aws iam list-instance-profiles-for-role --role-name <role>",
			"aws iam remove-role-from-instance-profile --instance-profile-name <instance-profile> --role-name <role>",
			"aws iam delete-role --role-name <role>",
		},
		Console: "IAM console > Roles > select the role > Delete",
		DocURL:  iamDoc + "id_roles_manage_delete.html",
	},
	UnusedServices: {
		Rule: "Fires (with unused_permissions on) for a user or role (not service-linked) that holds a policy, was created more than " +
			"unused_permissions.days (default 90) days before the run's as-of, and has at least one service its identity policies grant " +
			"that it never used within IAM's 400-day tracking period or last used more than that many days before the as-of.",
		Action: "Read the principal's last-accessed data, then narrow or detach the policies that grant the unused services " +
			"(or replace them with a policy that grants only what is used). Check first with the owner: a yearly task can look unused.",
		Commands: []string{
			"aws iam generate-service-last-accessed-details --arn <arn>",
			"aws iam get-service-last-accessed-details --job-id <job-id>",
			"aws iam list-attached-user-policies --user-name <user>",
			"aws iam detach-user-policy --user-name <user> --policy-arn <policy-arn>",
			"aws iam list-attached-role-policies --role-name <role>",
			"aws iam detach-role-policy --role-name <role> --policy-arn <policy-arn>",
		},
		Console: "IAM console > Users or Roles > select the principal > Last Accessed tab (Access Advisor)",
		DocURL:  iamDoc + "access_policies_last-accessed.html",
	},
}

// RemediationOf returns how to fix the findings of check id, and whether
// the catalog has it.
func RemediationOf(id string) (Remediation, bool) {
	r, ok := remediations[id]
	return r, ok
}

// RemediationFor returns the fix for f: the catalog's commands for its
// check with the placeholders f fills (the account ID, the user, group
// or role name, an inline policy's name, a managed policy's ARN), one
// command a line. The access key ID is not in the credential report: for
// a key, a comment line first says which key it is (access key 1 or 2)
// and how to list its ID. Filled values are quoted for POSIX shells, so a
// hostile name cannot run anything when the commands are pasted; a value
// holding a control or format character, or starting with "-", is not
// filled in, and a comment line first says which name was left out. A
// check without commands (the root user's) returns "Console only: " and
// where. Empty for a check the catalog does not know.
//
// The text is short on purpose: every finding of a run carries one, in
// findings.json and the workbook.
func RemediationFor(f *Finding) string {
	r, ok := remediations[f.Check]
	if !ok {
		return ""
	}
	if len(r.Commands) == 0 {
		return "Console only: " + r.Console
	}
	var v fillValues
	var withheld []string // "user", "role"…: names not filled in
	set := func(slot int, label, value string) {
		if !v.set(slot, value) {
			withheld = append(withheld, label)
		}
	}
	set(slotAccount, "account ID", f.AccountID)
	if p, ok := partitionOf(f.ARN); ok {
		v[slotPartition] = p
	}
	commands := r.Commands
	kind, name, _ := strings.Cut(f.Principal, "/")
	switch f.Check {
	case PolicyFullAdmin:
		// One command fits: the managed policy's, or the inline one of
		// the principal's kind.
		if f.Credential == "policy" {
			set(slotPolicyARN, "policy ARN", f.ARN)
			commands = pick(commands, "--policy-arn")
		} else {
			if slot, ok := slotOfKind[kind]; ok {
				set(slot, kind+" name", name)
			}
			set(slotPolicyName, "policy name", strings.TrimPrefix(f.Credential, "inline:"))
			commands = pick(commands, "delete-"+kind+"-policy")
		}
	case RoleUnused:
		set(slotRole, "role name", name)
	case UnusedServices:
		// The last-accessed job takes the principal's ARN; the policy
		// commands are those of its kind.
		set(slotARN, "ARN", f.ARN)
		if slot, ok := slotOfKind[kind]; ok {
			set(slot, kind+" name", name)
			other := map[string]string{"user": "-role", "role": "-user"}[kind]
			var keep []string
			for _, c := range commands {
				if !strings.Contains(c, other) {
					keep = append(keep, c)
				}
			}
			commands = keep
		}
	default:
		if f.Principal != "" {
			set(slotUser, "user name", f.Principal)
		}
	}
	// One buffer for the whole text: every finding of a run gets one.
	var b strings.Builder
	size := 64
	for _, c := range commands {
		size += len(c) + 1 + 2*len(f.Principal)
	}
	b.Grow(size)
	comment := false
	if n, ok := strings.CutPrefix(f.Credential, "access_key_"); ok && (n == "1" || n == "2") {
		b.WriteString("# access key ")
		b.WriteString(n)
		if u := v[slotUser]; u != "" {
			b.WriteString("; its ID: aws iam list-access-keys --user-name ")
			b.WriteString(u)
		}
		comment = true
	}
	if len(withheld) > 0 {
		if comment {
			b.WriteString("; ")
		} else {
			b.WriteString("# ")
		}
		b.WriteString(strings.Join(withheld, ", "))
		b.WriteString(" not filled in: it starts with - or holds control characters")
		comment = true
	}
	for i, c := range commands {
		if i > 0 || comment {
			b.WriteByte('\n')
		}
		v.writeFilled(&b, c)
	}
	return b.String()
}

// The placeholders RemediationFor fills, as indexes of fillValues.
const (
	slotAccount = iota
	slotPartition
	slotUser
	slotGroup
	slotRole
	slotPolicyARN
	slotPolicyName
	slotARN
	slots
)

// placeholderSlots maps each placeholder RemediationFor can fill to its
// slot; slotOfKind, the kind of an inline policy's principal.
var (
	placeholderSlots = map[string]int{
		"<account-id>": slotAccount, "<partition>": slotPartition, "<user>": slotUser, "<group>": slotGroup, "<role>": slotRole,
		"<policy-arn>": slotPolicyARN, "<policy-name>": slotPolicyName, "<arn>": slotARN,
	}
	slotOfKind = map[string]int{"user": slotUser, "group": slotGroup, "role": slotRole}
)

// fillValues are the shell-quoted values of a finding's placeholders,
// "" for those it does not fill.
type fillValues [slots]string

// set fills slot with value, quoted for the shell. A value starting with
// "-" would read as an option of the AWS CLI, and one holding a control
// or format character could hide what runs: both are left for the reader
// to fill in.
// set reports whether value was filled in (or is empty).
func (v *fillValues) set(slot int, value string) bool {
	if value == "" {
		return true
	}
	if !printable(value) || strings.HasPrefix(value, "-") {
		return false
	}
	v[slot] = ShellQuote(value)
	return true
}

// writeFilled writes c with every placeholder v fills replaced by its
// value; a placeholder inside a longer word (<user>-mfa.png) too, the
// quoted value then standing next to the rest of the word as the shell
// joins them.
func (v *fillValues) writeFilled(b *strings.Builder, c string) {
	for {
		i := strings.IndexByte(c, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(c[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(c[:i])
		p := c[i : i+j+1]
		if slot, ok := placeholderSlots[p]; ok && v[slot] != "" {
			b.WriteString(v[slot])
		} else {
			b.WriteString(p)
		}
		c = c[i+j+1:]
	}
	b.WriteString(c)
}

// pick returns the commands containing s, all of them when none does.
func pick(commands []string, s string) []string {
	var out []string
	for _, c := range commands {
		if strings.Contains(c, s) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return commands
	}
	return out
}

// printable reports whether s holds no control character (a newline
// would end a comment line and start a command) and no format character
// (a bidirectional override would make the command read otherwise than
// it runs).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80: // the rest in full (IAM names are ASCII)
			return strings.IndexFunc(s[i:], func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) < 0
		}
	}
	return true
}

// partitionOf returns the partition of arn (arn:PARTITION:service:…):
// aws, aws-cn, aws-us-gov, aws-iso…, and whether it has one of that
// shape, "aws" then lower-case words each after a "-". Anything else
// (no ARN, a hostile one) leaves <partition> for the reader to fill in.
func partitionOf(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", false
	}
	p, _, ok := strings.Cut(rest, ":")
	words := strings.Split(p, "-")
	if !ok || words[0] != "aws" {
		return "", false
	}
	for _, w := range words[1:] {
		if w == "" || strings.IndexFunc(w, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) >= 0 {
			return "", false
		}
	}
	return p, true
}

// ShellQuote returns s as one word for a POSIX shell (sh, bash, zsh):
// unchanged when it holds only characters no shell treats specially
// (letters, digits and _+=,.@/:-, the characters of IAM names and ARNs)
// and does not start with "=" (zsh, whose EQUALS option is on by
// default, expands a word =NAME to the path of the command NAME), else
// in single quotes, each single quote inside written as a closing quote,
// a backslash-escaped quote and an opening quote. The other characters
// a shell expands at the start of a word (~ and # in bash and zsh) are
// not in the set, so they are quoted wherever they appear. A leading "-"
// stays: quotes cannot keep a program from reading it as an option.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	special := func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@/:-", r))
	}
	if s[0] != '=' && strings.IndexFunc(s, special) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package audit

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

var asOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// ago is a timestamp exactly d days (plus extra) before asOf.
func ago(days int, extra ...time.Duration) credreport.Time {
	t := asOf.Add(-time.Duration(days) * 24 * time.Hour)
	for _, e := range extra {
		t = t.Add(-e)
	}
	return credreport.Time{Time: t, Kind: credreport.Value}
}

var (
	na     = credreport.Time{Kind: credreport.NotApplicable}
	noInfo = credreport.Time{Kind: credreport.NoInformation}
	notSup = credreport.Time{Kind: credreport.NotSupported}
	yes    = credreport.Bool{Value: true, Kind: credreport.Value}
	no     = credreport.Bool{Kind: credreport.Value}
	bNS    = credreport.Bool{Kind: credreport.NotSupported}
)

// user returns a recently created, recently active user with no credentials.
func user(mod func(*credreport.Row)) credreport.Row {
	r := credreport.Row{
		User: "alice", ARN: "arn:aws:iam::111122223333:user/alice",
		UserCreationTime: ago(10), PasswordEnabled: no, PasswordLastUsed: na,
		PasswordLastChanged: na, PasswordNextRotation: na, MFAActive: no,
	}
	for i := range r.AccessKeys {
		r.AccessKeys[i] = credreport.AccessKey{Active: no, LastRotated: na, LastUsed: na}
		r.Certs[i] = credreport.Cert{Active: no, LastRotated: na}
	}
	if mod != nil {
		mod(&r)
	}
	return r
}

// root returns a root row with MFA, no keys, never used.
func root(mod func(*credreport.Row)) credreport.Row {
	return user(func(r *credreport.Row) {
		r.User, r.ARN = credreport.RootUser, "arn:aws:iam::111122223333:root"
		r.UserCreationTime = ago(2000)
		r.PasswordEnabled, r.PasswordLastUsed, r.PasswordLastChanged, r.PasswordNextRotation = bNS, noInfo, notSup, notSup
		r.MFAActive = yes
		if mod != nil {
			mod(r)
		}
	})
}

// got renders findings as "check/credential/severity[/age]" strings, sorted.
func got(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		s := fmt.Sprintf("%s/%s/%s", f.Check, f.Credential, f.Severity)
		if f.AgeDays.Valid {
			s += fmt.Sprintf("/%d", f.AgeDays.N)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestAppendRow(t *testing.T) {
	consoleUser := func(mod func(*credreport.Row)) credreport.Row {
		return user(func(r *credreport.Row) {
			r.PasswordEnabled, r.MFAActive = yes, yes
			r.PasswordLastUsed, r.PasswordLastChanged = ago(1), ago(5)
			mod(r)
		})
	}
	keyUser := func(mod func(k *credreport.AccessKey, r *credreport.Row)) credreport.Row {
		return user(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(5), LastUsed: ago(1), LastUsedRegion: "us-east-1", LastUsedService: "s3"}
			mod(&r.AccessKeys[0], r)
		})
	}
	tests := []struct {
		name string
		row  credreport.Row
		want []string
	}{
		// Root account.
		{"root clean", root(nil), nil},
		{"root key 1 active", root(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(400), LastUsed: na}
		}), []string{"root-access-key-active/access_key_1/critical/400"}},
		{"root both keys active", root(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(400), LastUsed: na}
			r.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: na, LastUsed: na}
		}), []string{"root-access-key-active/access_key_1/critical/400", "root-access-key-active/access_key_2/critical"}},
		{"root inactive key still exists", root(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: no, LastRotated: ago(400), LastUsed: ago(300)}
		}), []string{"root-access-key-inactive/access_key_1/high/400"}},
		{"root inactive key slot never used (N/A) is no key", root(func(r *credreport.Row) {
			r.AccessKeys[1] = credreport.AccessKey{Active: no, LastRotated: na, LastUsed: na}
		}), nil},
		{"root key activity unknown is not inactive", root(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: bNS, LastRotated: ago(10), LastUsed: na}
		}), nil},
		{"root without MFA, password not_supported", root(func(r *credreport.Row) { r.MFAActive = no }),
			[]string{"root-mfa-disabled/user/critical"}},
		{"root without MFA, password explicitly true", root(func(r *credreport.Row) { r.MFAActive, r.PasswordEnabled = no, yes }),
			[]string{"root-mfa-disabled/user/critical"}},
		{"root without credentials (centrally managed)", root(func(r *credreport.Row) { r.MFAActive, r.PasswordEnabled = no, no }), nil},
		{"root password false but active key needs MFA", root(func(r *credreport.Row) {
			r.MFAActive, r.PasswordEnabled = no, no
			r.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: ago(30), LastUsed: na}
		}), []string{"root-access-key-active/access_key_2/critical/30", "root-mfa-disabled/user/critical"}},
		{"root MFA column missing", root(func(r *credreport.Row) { r.MFAActive = credreport.Bool{} }), nil},
		{"root password used 90 days ago fires", root(func(r *credreport.Row) { r.PasswordLastUsed = ago(90) }),
			[]string{"root-used-recently/user/high/90"}},
		{"root password used 90 days and 23 hours ago still fires (rounded down)", root(func(r *credreport.Row) { r.PasswordLastUsed = ago(90, 23*time.Hour) }),
			[]string{"root-used-recently/user/high/90"}},
		{"root password used 91 days ago does not", root(func(r *credreport.Row) { r.PasswordLastUsed = ago(91) }), nil},
		{"root use: most recent of password and keys", root(func(r *credreport.Row) {
			r.PasswordLastUsed = ago(500)
			r.AccessKeys[1] = credreport.AccessKey{Active: no, LastRotated: ago(900), LastUsed: ago(2)}
		}), []string{"root-access-key-inactive/access_key_2/high/900", "root-used-recently/user/high/2"}},
		{"root password never used (no_information)", root(func(r *credreport.Row) { r.PasswordLastUsed = noInfo }), nil},
		{"root row is not judged by user checks", root(func(r *credreport.Row) {
			r.UserCreationTime = ago(5000)
			r.PasswordEnabled = yes
			r.PasswordLastUsed = ago(1000)
		}), nil},

		// Console users.
		{"console user clean", consoleUser(func(*credreport.Row) {}), nil},
		{"console without MFA", consoleUser(func(r *credreport.Row) { r.MFAActive = no }),
			[]string{"console-mfa-missing/password/high"}},
		{"no password, no MFA: no console finding", user(nil), nil},
		{"password used 90 days ago", consoleUser(func(r *credreport.Row) { r.PasswordLastUsed, r.UserCreationTime = ago(90), ago(900) }), nil},
		{"password used 91 days ago", consoleUser(func(r *credreport.Row) { r.PasswordLastUsed, r.UserCreationTime = ago(91), ago(900) }),
			[]string{"console-password-unused/password/medium/91", "user-inactive/user/medium/91"}},
		{"password never used (no_information), set 91 days ago", consoleUser(func(r *credreport.Row) {
			r.PasswordLastUsed, r.PasswordLastChanged, r.UserCreationTime = noInfo, ago(91), ago(91)
		}), []string{"console-password-unused/password/medium/91", "user-inactive/user/medium/91"}},
		{"password never used (N/A), no change date, created 91 days ago", consoleUser(func(r *credreport.Row) {
			r.PasswordLastUsed, r.PasswordLastChanged, r.UserCreationTime = na, na, ago(91)
		}), []string{"console-password-unused/password/medium/91", "user-inactive/user/medium/91"}},
		{"password never used, set 90 days ago", consoleUser(func(r *credreport.Row) {
			r.PasswordLastUsed, r.PasswordLastChanged, r.UserCreationTime = noInfo, ago(90), ago(90)
		}), nil},
		{"disabled password is never unused", user(func(r *credreport.Row) {
			r.PasswordEnabled, r.PasswordLastUsed, r.PasswordLastChanged, r.UserCreationTime = no, ago(400), ago(500), ago(600)
		}), []string{"user-inactive/user/low/400"}},

		// Access keys set up with the console password (CIS 1.11).
		{"console user's active key never used", consoleUser(func(r *credreport.Row) {
			r.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: ago(3), LastUsed: na}
		}), []string{"initial-access-key-unused/access_key_2/medium/3"}},
		{"console user's used key is fine", consoleUser(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(3), LastUsed: ago(1)}
		}), nil},
		{"console user's inactive unused key is fine", consoleUser(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: no, LastRotated: ago(3), LastUsed: na}
		}), nil},
		{"key user without password: never-used key is not an initial key", user(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(3), LastUsed: na}
		}), nil},
		{"console user's key, last use no_information, is not N/A", consoleUser(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(3), LastUsed: noInfo}
		}), nil},
		{"root's never-used key is root-access-key-active only", root(func(r *credreport.Row) {
			r.PasswordEnabled = yes
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(3), LastUsed: na}
		}), []string{"root-access-key-active/access_key_1/critical/3"}},

		// Access keys.
		{"key clean", keyUser(func(*credreport.AccessKey, *credreport.Row) {}), nil},
		{"key rotated 90 days ago", keyUser(func(k *credreport.AccessKey, _ *credreport.Row) { k.LastRotated = ago(90) }), nil},
		{"key rotated 91 days ago", keyUser(func(k *credreport.AccessKey, _ *credreport.Row) { k.LastRotated = ago(91) }),
			[]string{"access-key-not-rotated/access_key_1/medium/91"}},
		{"inactive old key is fine", keyUser(func(k *credreport.AccessKey, _ *credreport.Row) {
			k.Active, k.LastRotated, k.LastUsed = no, ago(900), ago(1)
		}), nil},
		{"key used 91 days ago", keyUser(func(k *credreport.AccessKey, r *credreport.Row) { k.LastUsed, r.UserCreationTime = ago(91), ago(91) }),
			[]string{"access-key-unused/access_key_1/medium/91", "user-inactive/user/medium/91"}},
		{"key used 90 days ago", keyUser(func(k *credreport.AccessKey, r *credreport.Row) { k.LastUsed, r.UserCreationTime = ago(90), ago(90) }), nil},
		{"key never used, created 91 days ago", keyUser(func(k *credreport.AccessKey, r *credreport.Row) {
			k.LastUsed, k.LastRotated, r.UserCreationTime = na, ago(91), ago(91)
		}), []string{"access-key-not-rotated/access_key_1/medium/91", "access-key-unused/access_key_1/medium/91", "user-inactive/user/medium/91"}},
		{"key never used, created 90 days ago", keyUser(func(k *credreport.AccessKey, r *credreport.Row) {
			k.LastUsed, k.LastRotated, r.UserCreationTime = na, ago(90), ago(90)
		}), nil},
		{"key 2 only", user(func(r *credreport.Row) {
			r.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: ago(200), LastUsed: ago(1)}
		}), []string{"access-key-not-rotated/access_key_2/medium/200"}},
		{"two active keys", user(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(5), LastUsed: ago(1)}
			r.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: ago(6), LastUsed: ago(2)}
		}), []string{"multiple-active-access-keys/user/low"}},

		// Inactive users.
		{"user never active, created 91 days ago, nothing enabled", user(func(r *credreport.Row) { r.UserCreationTime = ago(91) }),
			[]string{"user-inactive/user/low/91"}},
		{"user never active, created 90 days ago", user(func(r *credreport.Row) { r.UserCreationTime = ago(90) }), nil},
		{"inactive user counts disabled keys' use", user(func(r *credreport.Row) {
			r.UserCreationTime = ago(900)
			r.AccessKeys[1] = credreport.AccessKey{Active: no, LastRotated: ago(800), LastUsed: ago(30)}
		}), nil},
		{"inactive user with signing certificate still enabled", user(func(r *credreport.Row) {
			r.UserCreationTime = ago(400)
			r.Certs[0] = credreport.Cert{Active: yes, LastRotated: ago(400)}
		}), []string{"user-inactive/user/medium/400"}},
		{"creation time missing: no inactivity verdict", user(func(r *credreport.Row) { r.UserCreationTime = credreport.Time{} }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
			fs := e.AppendRow(nil, Account{ID: "111122223333", Name: "prod"}, &tt.row)
			if g := got(fs); strings.Join(g, " ") != strings.Join(tt.want, " ") {
				t.Errorf("AppendRow() = %v, want %v", g, tt.want)
			}
			for _, f := range fs {
				c, ok := LookupCheck(f.Check)
				if !ok || f.AccountID != "111122223333" || f.AccountName != "prod" || f.Principal != tt.row.User ||
					f.ARN != tt.row.ARN || f.CIS != c.CIS || f.SecurityHub != c.SecurityHub || f.Detail == "" {
					t.Errorf("finding %+v is incomplete", f)
				}
			}
		})
	}
}

func TestThresholdsAreConfigurable(t *testing.T) {
	row := user(func(r *credreport.Row) {
		r.UserCreationTime = ago(100)
		r.PasswordEnabled, r.MFAActive, r.PasswordLastUsed, r.PasswordLastChanged = yes, yes, ago(46), ago(100)
		r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(46), LastUsed: ago(46)}
	})
	tests := []struct {
		name string
		th   Thresholds
		want []string
	}{
		{"default preset (90 days)", DefaultThresholds(), nil},
		{"cis preset (45 days)", CISThresholds(), []string{
			"access-key-unused/access_key_1/medium/46", "console-password-unused/password/medium/46", "user-inactive/user/medium/46",
		}},
		{"rotation 30 days", func() Thresholds { t := DefaultThresholds(); t.KeyRotationDays = 30; return t }(),
			[]string{"access-key-not-rotated/access_key_1/medium/46"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: tt.th, AsOf: asOf}
			if g := got(e.AppendRow(nil, Account{ID: "1"}, &row)); strings.Join(g, " ") != strings.Join(tt.want, " ") {
				t.Errorf("AppendRow() = %v, want %v", g, tt.want)
			}
		})
	}
}

func TestAgeDays(t *testing.T) {
	e := Evaluator{AsOf: asOf}
	tests := []struct {
		t    time.Time
		want int
	}{
		{asOf, 0},
		{asOf.Add(-time.Second), 0},
		{asOf.Add(-24 * time.Hour), 1},
		{asOf.Add(-47 * time.Hour), 1},
		{asOf.Add(time.Hour), -1}, // a date after as-of
	}
	for _, tt := range tests {
		if got := e.AgeDays(tt.t); got != tt.want {
			t.Errorf("AgeDays(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

func TestAppendPolicy(t *testing.T) {
	n := func(v int) *int { return &v }
	strong := passwordpolicy.Policy{
		MinimumPasswordLength: n(14), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, ExpirePasswords: true, MaxPasswordAge: n(90), PasswordReusePrevention: n(24),
	}
	with := func(mod func(*passwordpolicy.Policy)) passwordpolicy.Result {
		p := strong
		mod(&p)
		return passwordpolicy.Result{State: passwordpolicy.Present, Policy: p}
	}
	tests := []struct {
		name string
		res  passwordpolicy.Result
		want []string
	}{
		{"not collected", passwordpolicy.Result{}, nil},
		{"absent", passwordpolicy.Result{State: passwordpolicy.Absent}, []string{"password-policy-missing/account/medium"}},
		{"strong", with(func(*passwordpolicy.Policy) {}), nil},
		{"length 13", with(func(p *passwordpolicy.Policy) { p.MinimumPasswordLength = n(13) }), []string{"password-policy-min-length/account/medium"}},
		{"length absent", with(func(p *passwordpolicy.Policy) { p.MinimumPasswordLength = nil }), []string{"password-policy-min-length/account/medium"}},
		{"reuse 23", with(func(p *passwordpolicy.Policy) { p.PasswordReusePrevention = n(23) }), []string{"password-policy-reuse/account/medium"}},
		{"reuse absent", with(func(p *passwordpolicy.Policy) { p.PasswordReusePrevention = nil }), []string{"password-policy-reuse/account/medium"}},
		{"no symbols", with(func(p *passwordpolicy.Policy) { p.RequireSymbols = false }), []string{"password-policy-symbols/account/low"}},
		{"no numbers", with(func(p *passwordpolicy.Policy) { p.RequireNumbers = false }), []string{"password-policy-numbers/account/low"}},
		{"no uppercase", with(func(p *passwordpolicy.Policy) { p.RequireUppercaseCharacters = false }), []string{"password-policy-uppercase/account/low"}},
		{"no lowercase", with(func(p *passwordpolicy.Policy) { p.RequireLowercaseCharacters = false }), []string{"password-policy-lowercase/account/low"}},
		{"never expires", with(func(p *passwordpolicy.Policy) { p.ExpirePasswords, p.MaxPasswordAge = false, nil }), []string{"password-policy-max-age/account/low"}},
		{"max age 91", with(func(p *passwordpolicy.Policy) { p.MaxPasswordAge = n(91) }), []string{"password-policy-max-age/account/low"}},
		{"max age 90", with(func(p *passwordpolicy.Policy) { p.MaxPasswordAge = n(90) }), nil},
		{"everything weak", passwordpolicy.Result{State: passwordpolicy.Present}, []string{
			"password-policy-lowercase/account/low", "password-policy-max-age/account/low", "password-policy-min-length/account/medium",
			"password-policy-numbers/account/low", "password-policy-reuse/account/medium", "password-policy-symbols/account/low",
			"password-policy-uppercase/account/low",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
			fs := e.AppendPolicy(nil, Account{ID: "1", Name: "a"}, tt.res)
			if g := got(fs); strings.Join(g, " ") != strings.Join(tt.want, " ") {
				t.Errorf("AppendPolicy() = %v, want %v", g, tt.want)
			}
			for _, f := range fs {
				if f.Principal != "" || f.AccountID != "1" || f.Detail == "" {
					t.Errorf("finding %+v: want empty principal, the account and a detail", f)
				}
			}
		})
	}
}

func TestCatalogIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks {
		if seen[c.ID] || c.Title == "" || c.Family == "" || c.Severity < Low || c.Severity > Critical {
			t.Errorf("catalog entry %+v is duplicated or incomplete", c)
		}
		if c.CIS == "" && c.SecurityHub == "" && !strings.Contains(c.Note, "Access Analyzer") {
			t.Errorf("check %s maps to neither CIS nor Security Hub", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestKeyID(t *testing.T) {
	base := Key{"111122223333", "alice", AccessKeyNotRotated, "access_key_1"}
	cases := []struct {
		name  string
		other Key
		same  bool
	}{
		{"same key", base, true},
		{"other account", Key{"111122223334", "alice", AccessKeyNotRotated, "access_key_1"}, false},
		{"other principal", Key{"111122223333", "bob", AccessKeyNotRotated, "access_key_1"}, false},
		{"other check", Key{"111122223333", "alice", AccessKeyUnused, "access_key_1"}, false},
		{"other credential", Key{"111122223333", "alice", AccessKeyNotRotated, "access_key_2"}, false},
		// The NUL separators keep shifted boundaries apart.
		{"shifted boundary", Key{"111122223333a", "lice", AccessKeyNotRotated, "access_key_1"}, false},
	}
	id := base.ID()
	// Pinned: the ID is a contract with ticketing systems and must
	// never change for the same key.
	if want := "f-1064eeaac06bfe684bfd"; id != want {
		t.Fatalf("ID() = %q, want %q (it must never change)", id, want)
	}
	for _, c := range cases {
		if got := c.other.ID() == id; got != c.same {
			t.Errorf("%s: equal IDs = %v, want %v", c.name, got, c.same)
		}
	}
}

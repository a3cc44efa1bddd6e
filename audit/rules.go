package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

// Account names the account a report came from.
type Account struct {
	ID   string
	Name string
}

// Evaluator applies the catalog with fixed thresholds and a fixed "now".
type Evaluator struct {
	Thresholds Thresholds
	AsOf       time.Time
}

// AgeDays returns the whole days from t to e.AsOf, rounded down.
func (e *Evaluator) AgeDays(t time.Time) int {
	d := e.AsOf.Sub(t)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}

// AppendRow appends the findings for one credential-report row to dst.
// The root row is judged only by the root-* checks.
//
// A row's strings are cut from its whole CSV line; the findings get one
// copy of the user name and ARN (one allocation), so they do not keep
// that line alive.
func (e *Evaluator) AppendRow(dst []Finding, acct Account, r *credreport.Row) []Finding {
	start := len(dst)
	if r.IsRoot() {
		dst = e.appendRoot(dst, acct, r)
	} else {
		dst = e.appendUser(dst, acct, r)
	}
	if e.Thresholds.UnusedCredentialDays == cisUnusedDays {
		for i := start; i < len(dst); i++ {
			if c := dst[i].Check; c == ConsolePasswordUnused || c == AccessKeyUnused {
				dst[i].SecurityHub = "IAM.22"
			}
		}
	}
	if len(dst) > start {
		// One allocation holds both (a concatenation could return one of
		// them, still cut from the line, when the other is empty).
		var b strings.Builder
		b.Grow(len(r.User) + len(r.ARN))
		b.WriteString(r.User)
		b.WriteString(r.ARN)
		both := b.String()
		user, arn := both[:len(r.User)], both[len(r.User):]
		for i := start; i < len(dst); i++ {
			dst[i].Principal, dst[i].ARN = user, arn
		}
	}
	return dst
}

// appendUser applies the checks of IAM users.
func (e *Evaluator) appendUser(dst []Finding, acct Account, r *credreport.Row) []Finding {
	th := e.Thresholds
	emit := func(check, credential string, since credreport.Time, age Days, detail string) {
		f := newFinding(acct, r, check, credential, age, detail)
		if since.Valid() {
			f.Since = since.Time
		}
		dst = append(dst, f)
	}
	none := credreport.Time{}

	if r.PasswordEnabled.True() {
		if r.MFAActive.False() {
			emit(ConsoleMFAMissing, "password", none, Days{}, "console password enabled without MFA")
		}
		since, what := r.PasswordLastUsed, "last used"
		if !since.Valid() {
			since, what = r.PasswordLastChanged, "never used; set"
		}
		if !since.Valid() {
			since, what = r.UserCreationTime, "never used; user created"
		}
		if since.Valid() {
			if age := e.AgeDays(since.Time); age > th.UnusedCredentialDays {
				emit(ConsolePasswordUnused, "password", since, DaysOf(age),
					ageDetail("password", what, since.Time, age, th.UnusedCredentialDays))
			}
		}
	}

	for i := range r.AccessKeys {
		k := &r.AccessKeys[i]
		if !k.Active.True() {
			continue
		}
		cred := keyCredential[i]
		if r.PasswordEnabled.True() && k.LastUsed.Kind == credreport.NotApplicable {
			age, detail := Days{}, keyLabel[i]+" is active and was never used; the user also has a console password"
			if k.LastRotated.Valid() {
				age = DaysOf(e.AgeDays(k.LastRotated.Time))
				detail = fmt.Sprintf("%s is active and was never used; created %s (%d days ago) for a user who also has a console password",
					keyLabel[i], day(k.LastRotated.Time), age.N)
			}
			emit(InitialAccessKeyUnused, cred, k.LastRotated, age, detail)
		}
		if k.LastRotated.Valid() {
			if age := e.AgeDays(k.LastRotated.Time); age > th.KeyRotationDays {
				emit(AccessKeyNotRotated, cred, k.LastRotated, DaysOf(age),
					ageDetail(keyLabel[i], "last rotated", k.LastRotated.Time, age, th.KeyRotationDays))
			}
		}
		since, what := k.LastUsed, "last used"
		if !since.Valid() {
			since, what = k.LastRotated, "never used; created"
		}
		if !since.Valid() {
			since, what = r.UserCreationTime, "never used; user created"
		}
		if since.Valid() {
			if age := e.AgeDays(since.Time); age > th.UnusedCredentialDays {
				detail := ageDetail(keyLabel[i], what, since.Time, age, th.UnusedCredentialDays)
				if k.LastUsed.Valid() && k.LastUsedService != "" {
					detail += ", by " + usedWhere(k)
				}
				emit(AccessKeyUnused, cred, since, DaysOf(age), detail)
			}
		}
	}

	if r.AccessKeys[0].Active.True() && r.AccessKeys[1].Active.True() {
		emit(MultipleActiveAccessKeys, "user", none, Days{}, "access keys 1 and 2 are both active")
	}

	e.appendInactive(&dst, acct, r)
	return dst
}

// appendInactive applies user-inactive: no use of any credential for longer
// than the limit, counted from creation when nothing was ever used.
func (e *Evaluator) appendInactive(dst *[]Finding, acct Account, r *credreport.Row) {
	latest, ok := latestOf(r.PasswordLastUsed, r.AccessKeys[0].LastUsed, r.AccessKeys[1].LastUsed)
	what := "last activity"
	if !ok {
		if !r.UserCreationTime.Valid() {
			return
		}
		latest, what = r.UserCreationTime.Time, "no activity ever; created"
	}
	age := e.AgeDays(latest)
	if age <= e.Thresholds.InactiveUserDays {
		return
	}
	// The detail is built on the stack, then copied once.
	var buf [192]byte
	b := appendAgeDetail(buf[:0], what, "", latest, age, e.Thresholds.InactiveUserDays)
	plain := len(b)
	b = append(b, "; still enabled: "...)
	listed := len(b)
	b = appendEnabledCredentials(b, r)
	noCredential := len(b) == listed
	if noCredential {
		b = append(b[:plain], "; no credential enabled"...)
	}
	f := newFinding(acct, r, UserInactive, "user", DaysOf(age), string(b))
	f.Since = latest
	if noCredential {
		f.Severity = Low
	}
	*dst = append(*dst, f)
}

// appendRoot applies the root-* checks to the root row.
func (e *Evaluator) appendRoot(dst []Finding, acct Account, r *credreport.Row) []Finding {
	anyKeyActive := false
	for i := range r.AccessKeys {
		k := &r.AccessKeys[i]
		if k.Active.False() && k.LastRotated.Valid() {
			f := newFinding(acct, r, RootAccessKeyInactive, keyCredential[i], DaysOf(e.AgeDays(k.LastRotated.Time)),
				fmt.Sprintf("root access key %d exists but is inactive, created %s", i+1, day(k.LastRotated.Time)))
			f.Since = k.LastRotated.Time
			dst = append(dst, f)
		}
		if !k.Active.True() {
			continue
		}
		anyKeyActive = true
		age, detail := Days{}, fmt.Sprintf("root access key %d is active", i+1)
		var since time.Time
		if k.LastRotated.Valid() {
			age = DaysOf(e.AgeDays(k.LastRotated.Time))
			detail += fmt.Sprintf(", created %s", day(k.LastRotated.Time))
			since = k.LastRotated.Time
		}
		if k.LastUsed.Valid() {
			detail += fmt.Sprintf(", last used %s by %s", day(k.LastUsed.Time), usedWhere(k))
		} else {
			detail += ", never used"
		}
		f := newFinding(acct, r, RootAccessKeyActive, keyCredential[i], age, detail)
		f.Since = since
		dst = append(dst, f)
	}

	noRootCredentials := r.PasswordEnabled.False() && !anyKeyActive
	if r.MFAActive.False() && !noRootCredentials {
		dst = append(dst, newFinding(acct, r, RootMFADisabled, "user", Days{}, "root user has no MFA device"))
	}

	if latest, ok := latestOf(r.PasswordLastUsed, r.AccessKeys[0].LastUsed, r.AccessKeys[1].LastUsed); ok {
		if age := e.AgeDays(latest); age <= e.Thresholds.RootUseDays {
			f := newFinding(acct, r, RootUsedRecently, "user", DaysOf(age),
				fmt.Sprintf("root user last used %s (%d days ago; limit %d)", latest.Format(time.RFC3339), age, e.Thresholds.RootUseDays))
			f.Since = latest
			dst = append(dst, f)
		}
	}
	return dst
}

// AppendPolicy appends the password-policy findings of an account to dst.
// A policy that was not collected yields none.
func (e *Evaluator) AppendPolicy(dst []Finding, acct Account, res passwordpolicy.Result) []Finding {
	emit := func(check, detail string) {
		c := checksByID[check]
		dst = append(dst, Finding{
			AccountID: acct.ID, AccountName: acct.Name, Check: check, Severity: c.Severity,
			Credential: "account", Detail: detail, CIS: c.CIS, SecurityHub: c.SecurityHub,
		})
	}
	switch res.State {
	case passwordpolicy.NotCollected:
		return dst
	case passwordpolicy.Absent:
		emit(PasswordPolicyMissing, "the account has no IAM password policy")
		return dst
	}
	p, th := res.Policy, e.Thresholds
	if n := intOr0(p.MinimumPasswordLength); n < th.MinPasswordLength {
		emit(PasswordPolicyMinLength, fmt.Sprintf("minimum password length %d (want at least %d)", n, th.MinPasswordLength))
	}
	if n := intOr0(p.PasswordReusePrevention); n < th.PasswordReuse {
		emit(PasswordPolicyReuse, fmt.Sprintf("password reuse prevention remembers %d passwords (want at least %d)", n, th.PasswordReuse))
	}
	for _, req := range []struct {
		check, what string
		required    bool
	}{
		{PasswordPolicySymbols, "symbols", p.RequireSymbols},
		{PasswordPolicyNumbers, "numbers", p.RequireNumbers},
		{PasswordPolicyUppercase, "uppercase letters", p.RequireUppercaseCharacters},
		{PasswordPolicyLowercase, "lowercase letters", p.RequireLowercaseCharacters},
	} {
		if !req.required {
			emit(req.check, "passwords need not contain "+req.what)
		}
	}
	switch age := intOr0(p.MaxPasswordAge); {
	case age <= 0:
		emit(PasswordPolicyMaxAge, "passwords never expire")
	case age > th.MaxPasswordAgeDays:
		emit(PasswordPolicyMaxAge, fmt.Sprintf("passwords expire after %d days (want at most %d)", age, th.MaxPasswordAgeDays))
	}
	return dst
}

func newFinding(acct Account, r *credreport.Row, check, credential string, age Days, detail string) Finding {
	c := checksByID[check]
	return Finding{
		AccountID: acct.ID, AccountName: acct.Name, Principal: r.User, ARN: r.ARN,
		Check: check, Severity: c.Severity, Credential: credential, AgeDays: age,
		Detail: detail, CIS: c.CIS, SecurityHub: c.SecurityHub,
	}
}

// latestOf returns the most recent valid time among ts.
func latestOf(ts ...credreport.Time) (time.Time, bool) {
	var latest time.Time
	found := false
	for _, t := range ts {
		if t.Valid() && (!found || t.Time.After(latest)) {
			latest, found = t.Time, true
		}
	}
	return latest, found
}

// Labels of the two key and certificate slots, so hot paths need no formatting.
var (
	keyCredential = [2]string{"access_key_1", "access_key_2"}
	keyLabel      = [2]string{"access key 1", "access key 2"}
	certLabel     = [2]string{"signing certificate 1", "signing certificate 2"}
)

// ageDetail renders "WHAT [HOW] DATE (AGE days ago; limit LIMIT)" in a
// single allocation: details are built for every finding.
func ageDetail(what, how string, t time.Time, age, limit int) string {
	var buf [128]byte // on the stack: the string is the one allocation
	return string(appendAgeDetail(buf[:0], what, how, t, age, limit))
}

// appendAgeDetail appends ageDetail's text to b.
func appendAgeDetail(b []byte, what, how string, t time.Time, age, limit int) []byte {
	b = append(b, what...)
	if how != "" {
		b = append(b, ' ')
		b = append(b, how...)
	}
	b = append(b, ' ')
	b = t.AppendFormat(b, time.DateOnly)
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(age), 10)
	b = append(b, " days ago; limit "...)
	b = strconv.AppendInt(b, int64(limit), 10)
	return append(b, ')')
}

// appendEnabledCredentials appends the list of a user's enabled
// credentials to b, nothing when none.
func appendEnabledCredentials(b []byte, r *credreport.Row) []byte {
	start := len(b)
	add := func(name string) {
		if len(b) > start {
			b = append(b, ", "...)
		}
		b = append(b, name...)
	}
	if r.PasswordEnabled.True() {
		add("password")
	}
	for i := range r.AccessKeys {
		if r.AccessKeys[i].Active.True() {
			add(keyLabel[i])
		}
	}
	for i := range r.Certs {
		if r.Certs[i].Active.True() {
			add(certLabel[i])
		}
	}
	return b
}

func usedWhere(k *credreport.AccessKey) string {
	where := k.LastUsedService
	if where == "" {
		where = "unknown service"
	}
	if k.LastUsedRegion != "" {
		where += " in " + k.LastUsedRegion
	}
	return where
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func intOr0(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

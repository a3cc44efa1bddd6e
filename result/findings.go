package result

import (
	"fmt"
	"slices"

	"github.com/reporter-dev/reporter/audit"
)

// FindingSet is a run's findings, read one account at a time so that a
// large run need not hold them all in memory. Findings holds them in
// memory; internal/findingstore keeps them on disk. Both honour the
// whole contract below (result_test runs one test against both).
//
// Accounts come in ascending ID order and each account's findings in
// audit.Less order, which is the order of findings.json. The slice passed
// to fn and the findings in it are only valid during the call: copy a
// finding to keep it. fn must not modify the findings EachAccount and
// EachSeverity pass it (use Update) and must not use the set itself.
type FindingSet interface {
	// Len is the number of findings.
	Len() int
	// EachAccount calls fn with each account's findings. It stops at
	// and returns fn's first error.
	EachAccount(fn func(fs []audit.Finding) error) error
	// EachSeverity calls fn with each account's findings of severity
	// sev, skipping accounts that have none.
	EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error
	// Update is EachAccount, keeping every change fn makes to each
	// account's findings, as CheckUpdate allows them: any field but the
	// account's ID and name, as long as the findings stay in audit.Less
	// order. When fn fails or CheckUpdate refuses its changes, Update
	// stops and returns the error; the accounts before stay updated,
	// that account stays as it was.
	Update(fn func(fs []audit.Finding) error) error
}

// Statuses is every status a finding can hold: none (before comparison),
// new, persisting or resolved.
var Statuses = []string{"", audit.StatusNew, audit.StatusPersisting, audit.StatusResolved}

// CheckUpdate returns why after, one account's findings as fn of
// FindingSet.Update left them, cannot replace before, the same findings
// as they were passed to fn, or nil when it can: the findings must be as
// many, keep their AccountID and AccountName, stay in audit.Less order
// and hold a severity of audit.Severities and a status of Statuses.
func CheckUpdate(before, after []audit.Finding) error {
	if len(after) != len(before) {
		return fmt.Errorf("update: %d findings became %d", len(before), len(after))
	}
	for i := range after {
		f, was := &after[i], &before[i]
		switch {
		case f.AccountID != was.AccountID || f.AccountName != was.AccountName:
			return fmt.Errorf("update: account %s (%s): finding %d moved to account %s (%s)", was.AccountID, was.AccountName, i, f.AccountID, f.AccountName)
		case i > 0 && audit.Less(f, &after[i-1]):
			return fmt.Errorf("update: account %s: %s/%s/%s after %s/%s/%s, out of report order", f.AccountID,
				f.Principal, f.Check, f.Credential, after[i-1].Principal, after[i-1].Check, after[i-1].Credential)
		case !slices.Contains(audit.Severities, f.Severity):
			return fmt.Errorf("update: account %s: %s of %s: unknown severity %d", f.AccountID, f.Check, f.Principal, f.Severity)
		case !slices.Contains(Statuses, f.Status):
			return fmt.Errorf("update: account %s: %s of %s: unknown status %q", f.AccountID, f.Check, f.Principal, f.Status)
		}
	}
	return nil
}

// FindingSet returns the run's findings, an empty set when it has none.
func (r *Run) FindingSet() FindingSet {
	if r.Findings == nil {
		return Findings(nil)
	}
	return r.Findings
}

// EachFinding calls fn with every finding of the run in report order.
// The finding is only valid during the call.
func (r *Run) EachFinding(fn func(f *audit.Finding) error) error {
	return r.FindingSet().EachAccount(func(fs []audit.Finding) error {
		for i := range fs {
			if err := fn(&fs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Findings is a FindingSet held in memory: findings sorted with
// audit.Less (sort.Slice with audit.Less sorts them).
type Findings []audit.Finding

// Len implements FindingSet.
func (s Findings) Len() int { return len(s) }

// EachAccount implements FindingSet.
func (s Findings) EachAccount(fn func(fs []audit.Finding) error) error {
	for len(s) > 0 {
		n := 1
		for n < len(s) && s[n].AccountID == s[0].AccountID {
			n++
		}
		if err := fn(s[:n:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// EachSeverity implements FindingSet.
func (s Findings) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
	var buf []audit.Finding
	return s.EachAccount(func(fs []audit.Finding) error {
		buf = buf[:0]
		for i := range fs {
			if fs[i].Severity == sev {
				buf = append(buf, fs[i])
			}
		}
		if len(buf) == 0 {
			return nil
		}
		return fn(buf[:len(buf):len(buf)])
	})
}

// Update implements FindingSet. fn works on a copy of each account's
// findings, copied back when fn succeeds and CheckUpdate accepts them.
func (s Findings) Update(fn func(fs []audit.Finding) error) error {
	var buf []audit.Finding
	return s.EachAccount(func(fs []audit.Finding) error {
		buf = append(buf[:0], fs...)
		if err := fn(buf[:len(buf):len(buf)]); err != nil {
			return err
		}
		if err := CheckUpdate(fs, buf); err != nil {
			return err
		}
		copy(fs, buf)
		return nil
	})
}

// FilterAccounts returns the part of set whose account IDs pass in. A
// set that can select accounts without reading the others (a
// findingstore.Store) reads only those that pass: a digest per team then
// costs that team's findings, not the organization's.
func FilterAccounts(set FindingSet, in func(accountID string) bool) FindingSet {
	if sel, ok := set.(AccountSelector); ok {
		return selectedAccounts{sel, in}
	}
	return accountFilter{set, in}
}

// AccountSelector is a FindingSet that can skip accounts without reading
// them; FilterAccounts uses it.
type AccountSelector interface {
	// LenIn is the number of findings of the accounts that pass in.
	LenIn(in func(accountID string) bool) int
	// EachAccountIn, EachSeverityIn and UpdateIn are EachAccount,
	// EachSeverity and Update over the accounts that pass in.
	EachAccountIn(in func(accountID string) bool, fn func(fs []audit.Finding) error) error
	EachSeverityIn(sev audit.Severity, in func(accountID string) bool, fn func(fs []audit.Finding) error) error
	UpdateIn(in func(accountID string) bool, fn func(fs []audit.Finding) error) error
}

// selectedAccounts is the part of an AccountSelector that passes in.
type selectedAccounts struct {
	sel AccountSelector
	in  func(accountID string) bool
}

func (s selectedAccounts) Len() int { return s.sel.LenIn(s.in) }

func (s selectedAccounts) EachAccount(fn func(fs []audit.Finding) error) error {
	return s.sel.EachAccountIn(s.in, fn)
}

func (s selectedAccounts) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
	return s.sel.EachSeverityIn(sev, s.in, fn)
}

func (s selectedAccounts) Update(fn func(fs []audit.Finding) error) error {
	return s.sel.UpdateIn(s.in, fn)
}

// accountFilter is the part of any other set that passes in: every
// account is read, and those that do not pass are dropped.
type accountFilter struct {
	set FindingSet
	in  func(accountID string) bool
}

// Len counts the findings that pass, reading them all.
func (a accountFilter) Len() int {
	n := 0
	_ = a.EachAccount(func(fs []audit.Finding) error { n += len(fs); return nil })
	return n
}

func (a accountFilter) EachAccount(fn func(fs []audit.Finding) error) error {
	return a.set.EachAccount(a.only(fn))
}

func (a accountFilter) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
	return a.set.EachSeverity(sev, a.only(fn))
}

func (a accountFilter) Update(fn func(fs []audit.Finding) error) error {
	return a.set.Update(a.only(fn))
}

func (a accountFilter) only(fn func(fs []audit.Finding) error) func(fs []audit.Finding) error {
	return func(fs []audit.Finding) error {
		if len(fs) == 0 || !a.in(fs[0].AccountID) {
			return nil
		}
		return fn(fs)
	}
}

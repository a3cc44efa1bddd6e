package report

import (
	"github.com/reporter-dev/reporter/audit"
)

// FindingSet is a run's findings, read one account at a time so that a
// large run need not hold them all in memory. internal/findingstore keeps
// them on disk; a run read from findings.json or built in memory uses its
// Findings slice.
//
// Accounts come in ascending ID order and each account's findings in
// audit.Less order, which is the order of findings.json. The slice passed
// to fn and the findings in it are only valid during the call: copy a
// finding to keep it.
type FindingSet interface {
	// Len is the number of findings.
	Len() int
	// EachAccount calls fn with each account's findings.
	EachAccount(fn func(fs []audit.Finding) error) error
	// EachSeverity calls fn with each account's findings of severity
	// sev, skipping accounts that have none.
	EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error
	// Update is EachAccount, keeping the changes fn makes to each
	// finding's Status and FirstSeen (and only those).
	Update(fn func(fs []audit.Finding) error) error
}

// FindingSet returns the run's findings: Store when it is set, otherwise
// the Findings slice (which must then be sorted with audit.Less).
func (r *Run) FindingSet() FindingSet {
	if r.Store != nil {
		return r.Store
	}
	return findingSlice(r.Findings)
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

// findingSlice is an in-memory FindingSet over findings sorted with audit.Less.
type findingSlice []audit.Finding

func (s findingSlice) Len() int { return len(s) }

func (s findingSlice) EachAccount(fn func(fs []audit.Finding) error) error {
	for len(s) > 0 {
		n := 1
		for n < len(s) && s[n].AccountID == s[0].AccountID {
			n++
		}
		if err := fn(s[:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

func (s findingSlice) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
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
		return fn(buf)
	})
}

// Update changes the findings in place.
func (s findingSlice) Update(fn func(fs []audit.Finding) error) error { return s.EachAccount(fn) }

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

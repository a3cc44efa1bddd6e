// Package exceptions reads accepted risks from YAML and applies them to
// findings. An exception covers the findings it matches until it expires;
// expired and stale (unmatched) exceptions are reported, so nothing is
// hidden forever.
//
// The file looks like:
//
//	exceptions:
//	  - account: "222222222222"      # account ID, or "*"
//	    principal: "svc-*"           # exact name or glob (* crosses /); "*" for every principal
//	    check: access-key-not-rotated
//	    reason: Vendor integration cannot rotate until the Q2 migration
//	    owner: payments-team@example.com
//	    approved_by: ciso@example.com
//	    expires: 2027-03-31          # valid through this day, UTC
package exceptions

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/yamlfile"
)

// DefaultMaxDays is how far ahead an expiry may be by default.
const DefaultMaxDays = 365

// Statuses of an exception in a run.
const (
	// Active: unexpired and matching at least one finding.
	Active = "active"
	// Expired: past its expiry; it no longer covers anything.
	Expired = "expired"
	// Stale: unexpired but matching no finding: remove it or fix it.
	Stale = "stale"
)

// Error is an invalid entry, located by file and line.
type Error struct {
	File string
	Line int
	Err  error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

var accountPattern = regexp.MustCompile(`^([0-9]{12}|\*)$`)

var fields = map[string]bool{
	"account": true, "principal": true, "check": true, "reason": true,
	"owner": true, "approved_by": true, "expires": true,
}

// Parse reads and validates an exceptions file. name labels errors; asOf
// and maxDays bound the expiry dates (an expiry more than maxDays after
// asOf is invalid; a past expiry is valid and reported as expired).
// maxDays must be 1 or more: there is no way to switch the bound off. A
// key repeated anywhere in the file, or a second YAML document, is an
// error. All invalid entries are reported, joined.
func Parse(data []byte, name string, asOf time.Time, maxDays int) ([]audit.Exception, error) {
	if maxDays < 1 {
		return nil, fmt.Errorf("%s: exceptions_max_days %d: want 1 or more (there is no unlimited)", name, maxDays)
	}
	root, err := yamlfile.Parse(data, name)
	if err != nil || root == nil {
		return nil, err
	}
	list, err := exceptionList(root, name)
	if err != nil || list == nil {
		return nil, err
	}
	var out []audit.Exception
	var errs []error
	for _, item := range list.Content {
		e, err := parseEntry(item, name, asOf, maxDays)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// exceptionList finds the sequence under the top-level "exceptions" key.
func exceptionList(root *yaml.Node, name string) (*yaml.Node, error) {
	if root.Kind != yaml.MappingNode {
		return nil, &Error{name, root.Line, errors.New(`want a mapping with an "exceptions" list`)}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.Value != "exceptions" {
			return nil, &Error{name, key.Line, fmt.Errorf("unknown key %q (want exceptions)", key.Value)}
		}
		if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			return nil, nil
		}
		if val.Kind != yaml.SequenceNode {
			return nil, &Error{name, val.Line, errors.New("exceptions must be a list")}
		}
		list = val
	}
	return list, nil
}

func parseEntry(n *yaml.Node, name string, asOf time.Time, maxDays int) (audit.Exception, error) {
	fail := func(line int, format string, args ...any) (audit.Exception, error) {
		return audit.Exception{}, &Error{name, line, fmt.Errorf(format, args...)}
	}
	if n.Kind != yaml.MappingNode {
		return fail(n.Line, "an exception must be a mapping of account, principal, check, reason, owner, approved_by, expires")
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		if !fields[key.Value] {
			return fail(key.Line, "unknown field %q", key.Value)
		}
		lines[key.Value] = key.Line
	}
	var raw struct {
		Account    string `yaml:"account"`
		Principal  string `yaml:"principal"`
		Check      string `yaml:"check"`
		Reason     string `yaml:"reason"`
		Owner      string `yaml:"owner"`
		ApprovedBy string `yaml:"approved_by"`
		Expires    string `yaml:"expires"`
	}
	if err := n.Decode(&raw); err != nil {
		return fail(n.Line, "%v", err)
	}
	lineOf := func(field string) int {
		if l, ok := lines[field]; ok {
			return l
		}
		return n.Line
	}
	for _, req := range []struct{ field, value string }{
		{"account", raw.Account}, {"principal", raw.Principal}, {"check", raw.Check},
		{"reason", raw.Reason}, {"owner", raw.Owner}, {"approved_by", raw.ApprovedBy}, {"expires", raw.Expires},
	} {
		if req.value == "" {
			return fail(lineOf(req.field), "missing %s", req.field)
		}
	}
	if !accountPattern.MatchString(raw.Account) {
		return fail(lineOf("account"), "account %q: want a 12-digit account ID or *", raw.Account)
	}
	if _, ok := audit.LookupCheck(raw.Check); !ok {
		return fail(lineOf("check"), "unknown check %q (see `reporter checks`)", raw.Check)
	}
	if _, err := compilePrincipal(raw.Principal); err != nil {
		return fail(lineOf("principal"), "principal %q: invalid pattern: %v", raw.Principal, err)
	}
	expires, err := time.Parse(time.DateOnly, raw.Expires)
	if err != nil {
		return fail(lineOf("expires"), "expires %q: want a date like 2027-03-31", raw.Expires)
	}
	if limit := asOf.AddDate(0, 0, maxDays); expires.After(limit) {
		return fail(lineOf("expires"), "expires %s is more than %d days after %s: exceptions must be reviewed at least that often",
			raw.Expires, maxDays, asOf.Format(time.DateOnly))
	}
	return audit.Exception{
		Account: raw.Account, Principal: raw.Principal, Check: raw.Check, Reason: raw.Reason,
		Owner: raw.Owner, ApprovedBy: raw.ApprovedBy, Expires: expires,
		Source: fmt.Sprintf("%s:%d", name, n.Line),
	}, nil
}

// Matches reports whether e covers f, expiry aside. It compiles e's
// principal pattern at every call; an Applier compiles it once.
func Matches(e *audit.Exception, f *audit.Finding) bool {
	m, err := newMatcher(e)
	return err == nil && m.matches(f)
}

// InForce reports whether e still applies at asOf: it is valid through
// its expiry day, UTC.
func InForce(e *audit.Exception, asOf time.Time) bool {
	return asOf.Before(e.Expires.AddDate(0, 0, 1))
}

// Apply marks the findings covered by an exception in force (the first
// matching entry wins) and reports how every exception applied.
func Apply(findings []audit.Finding, list []audit.Exception, asOf time.Time) []audit.ExceptionUse {
	a := NewApplier(list, asOf)
	a.Apply(findings)
	return a.Uses()
}

// Applier applies exceptions to a run's findings one batch (an account)
// at a time, counting how each exception applied across the batches.
type Applier struct {
	list     []audit.Exception
	matchers []matcher
	uses     []audit.ExceptionUse
}

// NewApplier prepares list for a run as of asOf. An entry whose pattern
// does not compile (Parse refuses those) matches nothing.
func NewApplier(list []audit.Exception, asOf time.Time) *Applier {
	a := &Applier{list: slices.Clone(list), matchers: make([]matcher, len(list)), uses: make([]audit.ExceptionUse, len(list))}
	for i := range list {
		a.matchers[i], _ = newMatcher(&list[i])
		a.uses[i] = audit.ExceptionUse{Exception: list[i], Status: Stale}
		if !InForce(&list[i], asOf) {
			a.uses[i].Status = Expired
		}
	}
	return a
}

// Apply marks the findings covered by an exception in force (the first
// matching entry wins). Covered findings share one copy of the entry.
func (a *Applier) Apply(findings []audit.Finding) {
	for i := range findings {
		f := &findings[i]
		for j := range a.list {
			if !a.matchers[j].matches(f) {
				continue
			}
			a.uses[j].Matched++
			if a.uses[j].Status == Expired {
				continue
			}
			a.uses[j].Status = Active
			if f.Exception == nil {
				f.Exception = &a.list[j]
			}
		}
	}
}

// Count counts the findings each exception matches, as Apply does,
// without marking them: for a part of a run whose findings Apply marked
// already (a team's accounts).
func (a *Applier) Count(findings []audit.Finding) {
	for i := range findings {
		for j := range a.list {
			if !a.matchers[j].matches(&findings[i]) {
				continue
			}
			a.uses[j].Matched++
			if a.uses[j].Status != Expired {
				a.uses[j].Status = Active
			}
		}
	}
}

// Uses reports how every exception applied to the findings so far.
func (a *Applier) Uses() []audit.ExceptionUse { return slices.Clone(a.uses) }

// Package compare sets each finding's run-over-run status: it merges a
// run's findings with earlier runs' findings.json documents in one pass,
// each account with the newest earlier run that audited it.
package compare

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// ErrUnsorted means the previous findings.json does not list its
// findings in audit.Less order, so it cannot be compared in one pass.
var ErrUnsorted = errors.New("previous findings are not in report order")

// Runs sets every finding's Status and FirstSeen against earlier
// runs' findings.json documents, newest first, fills cur.Resolved (each
// with its ID, audit.Identify, and no remediation or due date),
// cur.Changes and each account's PreviousRunID, and recomputes the
// summary. cur's findings must be in audit.Less order, as findings.json
// is.
//
// History is per account: each account audited now is compared with the
// first of earlier that audited it, so an account that failed (or was
// left out) in the newest earlier runs keeps its first_seen dates from
// the last run that audited it. earlier[0] is the previous run that
// Changes names (newly failed and recovered accounts). Resolved findings
// come only from accounts audited both now and in the run compared with.
//
// History is also per check: a check that did not run for an account
// (or not for a principal: the account's checks_not_run, or a check the
// run did not apply) judged nothing there. Such a finding of an earlier
// run is not resolved now, and a run that did not judge it is no
// baseline for it: it is compared with the first older run that did.
//
// The earlier findings are streamed and merge-joined with the current
// ones, one finding at a time, so memory does not grow with any run's
// findings (only with the number of accounts). With no earlier run every
// finding is new and first seen now. On error cur is left as a first run
// and the error returned.
func Runs(cur *result.Run, earlier ...io.Reader) error {
	return RunsThen(cur, nil, earlier...)
}

// RunsThen is Runs, calling then (when not nil) with every finding once
// its Status and FirstSeen are set, in the same pass over the findings:
// each current finding (in the FindingSet's Update, so that what then
// changes is stored; the contract of result.CheckUpdate applies) and
// each resolved one (in cur.Resolved). A run that derives fields from
// the status and first sighting (due dates) sets them there instead of
// in a second pass. When the comparison fails and cur is left as a first
// run, then is called again on the findings as marked new.
func RunsThen(cur *result.Run, then func(f *audit.Finding), earlier ...io.Reader) error {
	if then == nil {
		then = func(*audit.Finding) {}
	}
	markFirstRun := func() error {
		cur.Changes, cur.Resolved = nil, nil
		for i := range cur.Accounts {
			cur.Accounts[i].PreviousRunID = ""
		}
		err := cur.FindingSet().Update(func(fs []audit.Finding) error {
			for i := range fs {
				fs[i].Status, fs[i].FirstSeen = audit.StatusNew, cur.Run.AsOf
				then(&fs[i])
			}
			return nil
		})
		return errors.Join(err, cur.Summarize())
	}
	if len(earlier) == 0 {
		return markFirstRun()
	}
	statusNow := make(map[string]string, len(cur.Accounts))
	for _, a := range cur.Accounts {
		statusNow[a.ID] = a.Status
	}
	m := merger{cur: cur, statusNow: statusNow, owner: map[string]int{}, then: then,
		judgedNow: newCoverage(cur.Run, cur.Accounts), irregular: map[string]map[string]bool{}}
	for i, r := range earlier {
		p, err := jsonfile.NewReader(r)
		if err != nil {
			return errors.Join(fmt.Errorf("earlier run %d: %w", i+1, err), markFirstRun())
		}
		// What a run derives from a finding is not compared: its
		// decoding is skipped (resolved findings get theirs anew).
		p.SkipDerived()
		src := &prevSource{prev: p, info: p.Info(), index: i, judged: newCoverage(p.Info(), p.Accounts()), collected: map[string]bool{}}
		m.sources = append(m.sources, src)
		// The first earlier run that audited an account audited now is
		// that account's baseline (for the checks it judged; see ownerOf).
		for _, a := range p.Accounts() {
			if a.Status != result.StatusCollected {
				continue
			}
			src.collected[a.ID] = true
			if _, taken := m.owner[a.ID]; !taken && statusNow[a.ID] == result.StatusCollected {
				m.owner[a.ID] = i
			}
		}
		for id, notRun := range src.judged.notRun {
			for _, n := range notRun {
				for _, c := range n.Checks {
					if m.irregular[id] == nil {
						m.irregular[id] = map[string]bool{}
					}
					m.irregular[id][c] = true
				}
			}
		}
	}
	m.regular = regularChecks(m.sources)
	if err := m.run(); err != nil {
		return errors.Join(err, markFirstRun())
	}
	for i := range cur.Accounts {
		a := &cur.Accounts[i]
		a.PreviousRunID = ""
		if src, ok := m.owner[a.ID]; ok {
			a.PreviousRunID = m.sources[src].info.ID
		}
	}

	p := m.sources[0].prev
	ch := &result.Changes{PreviousRunID: p.Info().ID, PreviousAsOf: p.Info().AsOf}
	statusBefore := map[string]string{}
	for _, a := range p.Accounts() {
		statusBefore[a.ID] = a.Status
	}
	for _, a := range cur.Accounts {
		was, known := statusBefore[a.ID]
		switch {
		case !known:
		case a.Status == result.StatusCollected && was != result.StatusCollected:
			ch.RecoveredAccounts = append(ch.RecoveredAccounts, result.AccountRef{ID: a.ID, Name: a.Name, Status: a.Status})
		case a.Status != result.StatusCollected && was == result.StatusCollected:
			ch.NewlyFailedAccounts = append(ch.NewlyFailedAccounts, result.AccountRef{ID: a.ID, Name: a.Name, Status: a.Status, Error: a.Error})
		}
	}
	cur.Changes = ch
	return cur.Summarize()
}

// prevSource is one earlier run's findings, read in order.
type prevSource struct {
	prev *jsonfile.Reader
	// info is prev's "run".
	info  result.RunInfo
	index int
	// head is the next finding of this source for an account it is the
	// baseline of; ok is false once the source is exhausted.
	head audit.Finding
	ok   bool
	// last is the finding read before head, to check the order.
	last    audit.Finding
	hadLast bool
	// judged is what the run judged, collected the accounts it audited.
	judged    coverage
	collected map[string]bool
}

// coverage is what one run judged: the checks it applied and, for each
// account audited, the checks not run (only accounts with such entries).
type coverage struct {
	// applied holds the IDs of the checks the run applied; nil for a run
	// written before they were kept, taken to have applied every check.
	applied map[string]bool
	notRun  map[string][]audit.NotRun
}

// newCoverage reads a run's coverage from its header.
func newCoverage(info result.RunInfo, accounts []result.Account) coverage {
	c := coverage{notRun: map[string][]audit.NotRun{}}
	if len(info.Checks) > 0 {
		c.applied = make(map[string]bool, len(info.Checks))
		for _, e := range info.Checks {
			c.applied[e.ID] = true
		}
	}
	for _, a := range accounts {
		for _, n := range a.ChecksNotRun {
			if len(n.Checks) > 0 {
				c.notRun[a.ID] = a.ChecksNotRun
				break
			}
		}
	}
	return c
}

// judges reports whether the run judged f's check for f's principal in
// f's account (which it audited).
func (c *coverage) judges(f *audit.Finding) bool {
	if c.applied != nil && !c.applied[f.Check] {
		return false
	}
	n, ok := c.notRun[f.AccountID]
	return !ok || audit.Judged(n, f.Check, f.Principal, f.Credential)
}

// regularChecks returns the checks every earlier run that lists its
// checks applied: for them, and accounts without checks not run, the
// account's baseline is the baseline of each of its findings.
func regularChecks(sources []*prevSource) map[string]bool {
	regular := map[string]bool{}
	for _, e := range audit.Catalog() {
		regular[e.ID] = true
	}
	for _, s := range sources {
		if s.judged.applied == nil {
			continue
		}
		for id := range regular {
			if !s.judged.applied[id] {
				regular[id] = false
			}
		}
	}
	return regular
}

// merger walks the current findings and the earlier ones side by side.
type merger struct {
	cur       *result.Run
	statusNow map[string]string
	sources   []*prevSource
	// owner maps each account audited now to the index of the earlier
	// run it is compared with.
	owner map[string]int
	// judgedNow is what the current run judged: an earlier finding it did
	// not judge is not resolved (its check did not run, or not for it).
	judgedNow coverage
	// irregular holds, by account, the checks an earlier run lists as
	// not run there; regular the checks every earlier run applied. A
	// finding of an irregular check of its account, or of a check not
	// regular, has the first earlier run that judged it as its baseline
	// (ownerOf), not necessarily its account's.
	irregular map[string]map[string]bool
	regular   map[string]bool
	// p is the earlier finding not yet decided, from source pSrc; ok is
	// false once every source is exhausted.
	p    audit.Finding
	pSrc *prevSource
	ok   bool
	// then is called with each finding once decided.
	then func(f *audit.Finding)
}

// run decides every current finding (new or persisting) and every
// earlier one (persisting, or resolved in accounts audited now).
func (m *merger) run() error {
	for _, s := range m.sources {
		if err := m.fill(s); err != nil {
			return err
		}
	}
	m.pick()
	err := m.cur.FindingSet().Update(func(fs []audit.Finding) error {
		for i := range fs {
			c := &fs[i]
			for m.ok && audit.Less(&m.p, c) {
				m.resolve()
				if err := m.advance(); err != nil {
					return err
				}
			}
			if m.ok && m.p.Key() == c.Key() {
				c.Status, c.FirstSeen = audit.StatusPersisting, m.firstSeen()
				m.then(c)
				if err := m.advance(); err != nil {
					return err
				}
				continue
			}
			c.Status, c.FirstSeen = audit.StatusNew, m.cur.Run.AsOf
			m.then(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for m.ok {
		m.resolve()
		if err := m.advance(); err != nil {
			return err
		}
	}
	return nil
}

// fill reads s up to its next finding of an account it is the baseline
// of, checking the order of everything it reads.
func (m *merger) fill(s *prevSource) error {
	for {
		var next audit.Finding
		ok, err := s.prev.Next(&next)
		if err != nil {
			return fmt.Errorf("earlier run %d (%s): %w", s.index+1, s.info.ID, err)
		}
		if !ok {
			s.ok = false
			return nil
		}
		if s.hadLast && audit.Less(&next, &s.last) {
			last := &s.last
			return fmt.Errorf("earlier run %d (%s): %w: %s/%s/%s/%s after %s/%s/%s/%s", s.index+1, s.info.ID, ErrUnsorted,
				next.AccountID, next.Principal, next.Check, next.Credential, last.AccountID, last.Principal, last.Check, last.Credential)
		}
		s.last, s.hadLast = next, true
		if m.ownerOf(&next) == s.index {
			s.head, s.ok = next, true
			return nil
		}
	}
}

// ownerOf returns the index of the earlier run an earlier finding is
// compared in: its account's baseline, unless that run did not judge the
// finding's check for its principal (the check did not run there, in
// part or at all); then the first older run that audited the account and
// judged it. -1 when there is none.
func (m *merger) ownerOf(f *audit.Finding) int {
	o, ok := m.owner[f.AccountID]
	if !ok {
		return -1
	}
	if !m.irregular[f.AccountID][f.Check] && m.regular[f.Check] {
		return o
	}
	for _, s := range m.sources[o:] {
		if s.collected[f.AccountID] && s.judged.judges(f) {
			return s.index
		}
	}
	return -1
}

// pick makes the least head of all sources the finding to decide.
func (m *merger) pick() {
	m.pSrc, m.ok = nil, false
	for _, s := range m.sources {
		if s.ok && (m.pSrc == nil || audit.Less(&s.head, &m.pSrc.head)) {
			m.pSrc = s
		}
	}
	if m.pSrc != nil {
		m.p, m.ok = m.pSrc.head, true
	}
}

// advance consumes the current earlier finding and picks the next.
func (m *merger) advance() error {
	if err := m.fill(m.pSrc); err != nil {
		return err
	}
	m.pick()
	return nil
}

// firstSeen is when the current earlier finding was first reported.
func (m *merger) firstSeen() time.Time {
	if m.p.FirstSeen.IsZero() {
		return m.pSrc.info.AsOf
	}
	return m.p.FirstSeen
}

// resolve records the current earlier finding as resolved, when it is
// gone from an account audited now by a check that judged it: a failed
// account's findings, and those of a check that did not run (or not for
// that principal), are unknown, not gone.
func (m *merger) resolve() {
	if m.statusNow[m.p.AccountID] != result.StatusCollected || !m.judgedNow.judges(&m.p) {
		return
	}
	gone := m.p
	gone.Status, gone.FirstSeen, gone.Exception = audit.StatusResolved, m.firstSeen(), nil
	// Its ID, from its key; no remediation, due date or lateness: the
	// earlier run's were not read (jsonfile.Reader.SkipDerived), and a
	// resolved finding has none (audit.SLA.SetActionable).
	audit.Identify(&gone)
	m.then(&gone)
	m.cur.Resolved = append(m.cur.Resolved, gone)
}

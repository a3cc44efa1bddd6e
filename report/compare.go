package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// Changes summarises what changed since the previous run.
type Changes struct {
	PreviousRunID string    `json:"previous_run_id"`
	PreviousAsOf  time.Time `json:"previous_as_of"`
	// RecoveredAccounts failed (or were skipped) last time and are audited now.
	RecoveredAccounts []AccountRef `json:"recovered_accounts"`
	// NewlyFailedAccounts were audited last time and are not now; their
	// earlier findings are neither resolved nor carried forward.
	NewlyFailedAccounts []AccountRef `json:"newly_failed_accounts"`
}

// AccountRef names an account in a change list.
type AccountRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // status in this run
	Error  string `json:"error,omitempty"`
}

// ErrUnsorted means the previous findings.json does not list its
// findings in audit.Less order, so it cannot be compared in one pass.
var ErrUnsorted = errors.New("previous findings are not in report order")

// Compare sets every finding's Status and FirstSeen against the previous
// run's findings.json, read from prev, fills cur.Resolved and
// cur.Changes, and recomputes the summary. cur's findings must be in
// audit.Less order, as findings.json is.
//
// The previous findings are streamed and merge-joined with the current
// ones, one account at a time, so memory does not grow with either run's
// size. A nil prev means there is no previous run: every finding is new
// and first seen now. On error cur is left as a first run and the error
// returned.
func Compare(cur *Run, prev io.Reader) error {
	markFirstRun := func() error {
		cur.Changes, cur.Resolved = nil, nil
		err := cur.FindingSet().Update(func(fs []audit.Finding) error {
			for i := range fs {
				fs[i].Status, fs[i].FirstSeen = audit.StatusNew, cur.Run.AsOf
			}
			return nil
		})
		cur.Summarize()
		return err
	}
	if prev == nil {
		return markFirstRun()
	}
	p, err := openPrevious(prev)
	if err != nil {
		return errors.Join(err, markFirstRun())
	}
	statusNow := make(map[string]string, len(cur.Accounts))
	for _, a := range cur.Accounts {
		statusNow[a.ID] = a.Status
	}
	m := merger{cur: cur, prev: p, statusNow: statusNow}
	if err := m.run(); err != nil {
		return errors.Join(err, markFirstRun())
	}

	ch := &Changes{PreviousRunID: p.run.ID, PreviousAsOf: p.run.AsOf}
	statusBefore := map[string]string{}
	for _, a := range p.accounts {
		statusBefore[a.ID] = a.Status
	}
	for _, a := range cur.Accounts {
		was, known := statusBefore[a.ID]
		switch {
		case !known:
		case a.Status == StatusCollected && was != StatusCollected:
			ch.RecoveredAccounts = append(ch.RecoveredAccounts, AccountRef{a.ID, a.Name, a.Status, ""})
		case a.Status != StatusCollected && was == StatusCollected:
			ch.NewlyFailedAccounts = append(ch.NewlyFailedAccounts, AccountRef{a.ID, a.Name, a.Status, a.Error})
		}
	}
	cur.Changes = ch
	cur.Summarize()
	return nil
}

// merger walks the current findings and the previous ones side by side.
type merger struct {
	cur       *Run
	prev      *previousRun
	statusNow map[string]string
	// p is the previous finding not yet decided; ok is false once the
	// previous findings are exhausted.
	p  audit.Finding
	ok bool
}

// run decides every current finding (new or persisting) and every
// previous one (persisting, or resolved in accounts audited now).
func (m *merger) run() error {
	if err := m.advance(); err != nil {
		return err
	}
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
				if err := m.advance(); err != nil {
					return err
				}
				continue
			}
			c.Status, c.FirstSeen = audit.StatusNew, m.cur.Run.AsOf
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

// advance reads the next previous finding, checking the order.
func (m *merger) advance() error {
	last, hadLast := m.p, m.ok
	var next audit.Finding
	ok, err := m.prev.next(&next)
	if err != nil {
		return err
	}
	if ok && hadLast && audit.Less(&next, &last) {
		return fmt.Errorf("%w: %s/%s/%s/%s after %s/%s/%s/%s", ErrUnsorted,
			next.AccountID, next.Principal, next.Check, next.Credential, last.AccountID, last.Principal, last.Check, last.Credential)
	}
	m.p, m.ok = next, ok
	return nil
}

// firstSeen is when the current previous finding was first reported.
func (m *merger) firstSeen() time.Time {
	if m.p.FirstSeen.IsZero() {
		return m.prev.run.AsOf
	}
	return m.p.FirstSeen
}

// resolve records the current previous finding as resolved when its
// account is audited now (a failed account's findings are unknown, not gone).
func (m *merger) resolve() {
	if m.statusNow[m.p.AccountID] != StatusCollected {
		return
	}
	gone := m.p
	gone.Status, gone.FirstSeen, gone.Exception = audit.StatusResolved, m.firstSeen(), nil
	m.cur.Resolved = append(m.cur.Resolved, gone)
}

// previousRun reads a previous findings.json: its "run" and "accounts"
// whole, then its findings one at a time. Both must come before
// "findings", as WriteJSON writes them.
type previousRun struct {
	dec      *json.Decoder
	run      RunInfo
	accounts []Account
	// inList is true while the decoder is inside the findings array.
	inList bool
}

// openPrevious reads the document up to its first finding.
func openPrevious(r io.Reader) (*previousRun, error) {
	p := &previousRun{dec: json.NewDecoder(r)}
	if err := expectDelim(p.dec, '{'); err != nil {
		return nil, err
	}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("findings.json: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "run":
			if err := p.dec.Decode(&p.run); err != nil {
				return nil, fmt.Errorf("findings.json run: %w", err)
			}
		case "accounts":
			if err := p.dec.Decode(&p.accounts); err != nil {
				return nil, fmt.Errorf("findings.json accounts: %w", err)
			}
		case "findings":
			if p.run.AsOf.IsZero() {
				return nil, errors.New("findings.json: findings come before the run they belong to")
			}
			if err := expectDelim(p.dec, '['); err != nil {
				return nil, err
			}
			p.inList = true
			return p, nil
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("findings.json %s: %w", key, err)
			}
		}
	}
	return p, nil // no findings at all
}

// next decodes the next previous finding into f; false after the last.
func (p *previousRun) next(f *audit.Finding) (bool, error) {
	if !p.inList {
		return false, nil
	}
	if !p.dec.More() {
		p.inList = false
		if _, err := p.dec.Token(); err != nil { // ]
			return false, fmt.Errorf("findings.json findings: %w", err)
		}
		return false, nil
	}
	if err := p.dec.Decode(f); err != nil {
		return false, fmt.Errorf("findings.json findings: %w", err)
	}
	return true, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("findings.json: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("findings.json: want %q, found %v", want, tok)
	}
	return nil
}

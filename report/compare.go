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
// cur.Changes, and recomputes the summary. cur.Findings must be sorted
// with audit.Less, as findings.json is.
//
// The previous findings are streamed and merge-joined with the current
// ones, so memory does not grow with the previous run's size. A nil prev
// means there is no previous run: every finding is new and first seen
// now. On error cur is left as a first run and the error returned.
func Compare(cur *Run, prev io.Reader) error {
	markFirstRun := func() {
		for i := range cur.Findings {
			cur.Findings[i].Status, cur.Findings[i].FirstSeen = audit.StatusNew, cur.Run.AsOf
		}
		cur.Changes, cur.Resolved = nil, nil
		cur.Summarize()
	}
	if prev == nil {
		markFirstRun()
		return nil
	}
	statusNow := make(map[string]string, len(cur.Accounts))
	for _, a := range cur.Accounts {
		statusNow[a.ID] = a.Status
	}
	m := merger{cur: cur, statusNow: statusNow}
	var prevRun RunInfo
	var prevAccounts []Account
	err := scanJSON(prev, scanHandler{
		run:      func(r RunInfo) { prevRun = r },
		accounts: func(a []Account) { prevAccounts = a },
		finding:  func(f *audit.Finding) error { return m.previous(f, prevRun.AsOf) },
	})
	if err != nil {
		markFirstRun()
		return err
	}
	m.finish()

	ch := &Changes{PreviousRunID: prevRun.ID, PreviousAsOf: prevRun.AsOf}
	statusBefore := map[string]string{}
	for _, a := range prevAccounts {
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

// merger walks the current findings while the previous ones stream by.
type merger struct {
	cur       *Run
	statusNow map[string]string
	next      int           // first current finding not yet decided
	last      audit.Finding // the previous finding seen last, for the order check
	seen      bool
}

// previous takes the next previous finding: the current findings before
// it are new, an equal one persists, and if none is equal it is resolved
// (in accounts audited now).
func (m *merger) previous(p *audit.Finding, prevAsOf time.Time) error {
	if m.seen && audit.Less(p, &m.last) {
		return fmt.Errorf("%w: %s/%s/%s/%s after %s/%s/%s/%s", ErrUnsorted,
			p.AccountID, p.Principal, p.Check, p.Credential, m.last.AccountID, m.last.Principal, m.last.Check, m.last.Credential)
	}
	m.last, m.seen = *p, true
	fs := m.cur.Findings
	for m.next < len(fs) && audit.Less(&fs[m.next], p) {
		fs[m.next].Status, fs[m.next].FirstSeen = audit.StatusNew, m.cur.Run.AsOf
		m.next++
	}
	first := p.FirstSeen
	if first.IsZero() {
		first = prevAsOf
	}
	if m.next < len(fs) && fs[m.next].Key() == p.Key() {
		fs[m.next].Status, fs[m.next].FirstSeen = audit.StatusPersisting, first
		m.next++
		return nil
	}
	if m.statusNow[p.AccountID] == StatusCollected {
		gone := *p
		gone.Status, gone.FirstSeen, gone.Exception = audit.StatusResolved, first, nil
		m.cur.Resolved = append(m.cur.Resolved, gone)
	}
	return nil
}

// finish marks the current findings after the last previous one as new.
func (m *merger) finish() {
	for ; m.next < len(m.cur.Findings); m.next++ {
		m.cur.Findings[m.next].Status, m.cur.Findings[m.next].FirstSeen = audit.StatusNew, m.cur.Run.AsOf
	}
}

// scanHandler receives the parts of a findings.json document.
type scanHandler struct {
	run      func(RunInfo)
	accounts func([]Account)
	finding  func(*audit.Finding) error
}

// scanJSON reads a findings.json document from r, decoding "run" and
// "accounts" whole and streaming "findings" one at a time; other keys
// are skipped.
func scanJSON(r io.Reader, h scanHandler) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "run":
			var info RunInfo
			if err := dec.Decode(&info); err != nil {
				return fmt.Errorf("findings.json run: %w", err)
			}
			h.run(info)
		case "accounts":
			var accounts []Account
			if err := dec.Decode(&accounts); err != nil {
				return fmt.Errorf("findings.json accounts: %w", err)
			}
			h.accounts(accounts)
		case "findings":
			if err := expectDelim(dec, '['); err != nil {
				return err
			}
			for dec.More() {
				var f audit.Finding
				if err := dec.Decode(&f); err != nil {
					return fmt.Errorf("findings.json findings: %w", err)
				}
				if err := h.finding(&f); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("findings.json %s: %w", key, err)
			}
		}
	}
	return nil
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

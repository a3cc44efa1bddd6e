package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
// run's findings.json, read from prev; it is CompareRuns with that one
// earlier run. A nil prev means there is no previous run.
func Compare(cur *Run, prev io.Reader) error {
	if prev == nil {
		return CompareRuns(cur)
	}
	return CompareRuns(cur, prev)
}

// CompareRuns sets every finding's Status and FirstSeen against earlier
// runs' findings.json documents, newest first, fills cur.Resolved,
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
// The earlier findings are streamed and merge-joined with the current
// ones, one finding at a time, so memory does not grow with any run's
// findings (only with the number of accounts). With no earlier run every
// finding is new and first seen now. On error cur is left as a first run
// and the error returned.
func CompareRuns(cur *Run, earlier ...io.Reader) error {
	markFirstRun := func() error {
		cur.Changes, cur.Resolved = nil, nil
		for i := range cur.Accounts {
			cur.Accounts[i].PreviousRunID = ""
		}
		err := cur.FindingSet().Update(func(fs []audit.Finding) error {
			for i := range fs {
				fs[i].Status, fs[i].FirstSeen = audit.StatusNew, cur.Run.AsOf
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
	m := merger{cur: cur, statusNow: statusNow, owner: map[string]int{}}
	for i, r := range earlier {
		p, err := openPrevious(r)
		if err != nil {
			return errors.Join(fmt.Errorf("earlier run %d: %w", i+1, err), markFirstRun())
		}
		m.sources = append(m.sources, &prevSource{prev: p, index: i})
		// The first earlier run that audited an account audited now is
		// that account's baseline.
		for _, a := range p.accounts {
			if _, taken := m.owner[a.ID]; !taken && a.Status == StatusCollected && statusNow[a.ID] == StatusCollected {
				m.owner[a.ID] = i
			}
		}
	}
	if err := m.run(); err != nil {
		return errors.Join(err, markFirstRun())
	}
	for i := range cur.Accounts {
		a := &cur.Accounts[i]
		a.PreviousRunID = ""
		if src, ok := m.owner[a.ID]; ok {
			a.PreviousRunID = m.sources[src].prev.run.ID
		}
	}

	p := m.sources[0].prev
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
	return cur.Summarize()
}

// prevSource is one earlier run's findings, read in order.
type prevSource struct {
	prev  *previousRun
	index int
	// head is the next finding of this source for an account it is the
	// baseline of; ok is false once the source is exhausted.
	head audit.Finding
	ok   bool
	// last is the finding read before head, to check the order.
	last    audit.Finding
	hadLast bool
}

// merger walks the current findings and the earlier ones side by side.
type merger struct {
	cur       *Run
	statusNow map[string]string
	sources   []*prevSource
	// owner maps each account audited now to the index of the earlier
	// run it is compared with.
	owner map[string]int
	// p is the earlier finding not yet decided, from source pSrc; ok is
	// false once every source is exhausted.
	p    audit.Finding
	pSrc *prevSource
	ok   bool
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

// fill reads s up to its next finding of an account it is the baseline
// of, checking the order of everything it reads.
func (m *merger) fill(s *prevSource) error {
	for {
		var next audit.Finding
		ok, err := s.prev.next(&next)
		if err != nil {
			return err
		}
		if !ok {
			s.ok = false
			return nil
		}
		if s.hadLast && audit.Less(&next, &s.last) {
			last := &s.last
			return fmt.Errorf("%w: %s/%s/%s/%s after %s/%s/%s/%s", ErrUnsorted,
				next.AccountID, next.Principal, next.Check, next.Credential, last.AccountID, last.Principal, last.Check, last.Credential)
		}
		s.last, s.hadLast = next, true
		if owner, ok := m.owner[next.AccountID]; ok && owner == s.index {
			s.head, s.ok = next, true
			return nil
		}
	}
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
		return m.pSrc.prev.run.AsOf
	}
	return m.p.FirstSeen
}

// resolve records the current earlier finding as resolved. Only findings
// of accounts audited now reach it (a failed account's findings are
// unknown, not gone).
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
//
// The findings are read without json.Decoder: next finds each element
// of the list by its brackets and parses it with parseFindingJSON,
// falling back to json.Unmarshal for an element that function does not
// take, and to a json.Decoder for what is not an object or does not end.
// The result, finding or error text, is the one dec.Decode gives.
type previousRun struct {
	dec      *json.Decoder
	run      RunInfo
	accounts []Account
	// header holds every field before the findings, as read.
	header map[string]json.RawMessage
	// list is true when the document has a list of findings; inList is
	// true while next is inside it.
	list, inList bool

	// src is the reader openPrevious was given; r reads the document
	// after the findings' '[': what dec had buffered, then src.
	src io.Reader
	r   io.Reader
	// rErr is the error r returned, once it has (io.EOF at the end).
	rErr error
	// buf[pos:] is read from r and not yet consumed; buf[0] is at
	// offset base of the document.
	buf  []byte
	pos  int
	base int64
	// sawElem is true once a finding was read: ',' or ']' comes next.
	sawElem bool
	// err, once set, is returned by every later next: the list cannot
	// be read past it.
	err error
	fr  findingReader
}

const (
	// previousReadSize is how much next reads at a time.
	previousReadSize = 256 << 10
	// maxFindingJSON bounds the bytes next looks through for the end of
	// one finding before leaving the element to a json.Decoder, so a
	// damaged file cannot make it buffer the rest of the document.
	maxFindingJSON = 1 << 20
)

// openPrevious reads the document up to its first finding.
func openPrevious(r io.Reader) (*previousRun, error) {
	p := &previousRun{dec: json.NewDecoder(r), src: r, header: map[string]json.RawMessage{}}
	if err := expectDelim(p.dec, '{'); err != nil {
		return nil, err
	}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("findings.json: %w", err)
		}
		key, _ := tok.(string)
		if key == "findings" {
			if p.run.AsOf.IsZero() {
				return nil, errors.New("findings.json: findings come before the run they belong to")
			}
			if err := expectDelim(p.dec, '['); err != nil {
				return nil, err
			}
			p.r = io.MultiReader(p.dec.Buffered(), p.src)
			p.base = p.dec.InputOffset()
			p.list, p.inList = true, true
			return p, nil
		}
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("findings.json %s: %w", key, err)
		}
		p.header[key] = raw
		switch key {
		case "run":
			if err := json.Unmarshal(raw, &p.run); err != nil {
				return nil, fmt.Errorf("findings.json run: %w", err)
			}
		case "accounts":
			if err := json.Unmarshal(raw, &p.accounts); err != nil {
				return nil, fmt.Errorf("findings.json accounts: %w", err)
			}
		}
	}
	return p, nil // no findings at all
}

// rest returns the document after the findings list, from the ',' or '}'
// that follows it, once next has returned false without an error.
func (p *previousRun) rest() io.Reader {
	tail := bytes.NewReader(p.buf[p.pos:])
	if p.rErr != nil {
		return tail
	}
	return io.MultiReader(tail, readerFunc(p.read))
}

// next decodes the next previous finding into f, overwriting it; false
// after the last.
//
// It answers as a json.Decoder's More, Token (for the ']') and Decode
// into a zero Finding would, error text included (a syntax error's
// Offset inside an element aside), except that an error that stops the
// list is returned again by every later call.
func (p *previousRun) next(f *audit.Finding) (bool, error) {
	if !p.inList {
		return false, nil
	}
	if p.err != nil {
		return false, p.err
	}
	c, ok := p.peek()
	switch {
	case !ok:
		p.inList = false
		return false, fmt.Errorf("findings.json findings: %w", p.rErr)
	case c == ']':
		p.pos++
		p.inList = false
		return false, nil
	case c == '}':
		p.inList = false
		doc := "[}"
		if p.sawElem {
			doc = "[{}}"
		}
		return false, p.decoderError(doc)
	case p.sawElem && c != ',':
		return false, p.decoderError("[{}x")
	case p.sawElem:
		p.pos++ // ,
		c, ok = p.peek()
	}
	if !ok || c != '{' {
		return p.decodeSlow(f)
	}
	// Most findings parse where they lie in buf. A valid object that
	// parseFindingJSON takes ends where json.Decoder's would.
	if n, ok := p.fr.parse(p.buf[p.pos:], f); ok {
		p.pos += n
		p.sawElem = true
		return true, nil
	}
	// Past the end of buf, or not a finding parseFindingJSON takes.
	n, ok := p.scanObject()
	if !ok {
		return p.decodeSlow(f)
	}
	data := p.buf[p.pos : p.pos+n]
	p.pos += n
	p.sawElem = true
	if m, ok := p.fr.parse(data, f); ok && m == len(data) {
		return true, nil
	}
	// json.Unmarshal takes a finding of its own, so that f does not
	// escape to the heap on the fast path.
	var v audit.Finding
	err := json.Unmarshal(data, &v)
	*f = v
	if err != nil {
		err = fmt.Errorf("findings.json findings: %w", err)
		if !json.Valid(data) {
			p.err = err // a syntax error: dec.Decode would stop there too
		}
		return false, err
	}
	return true, nil
}

// peek skips whitespace and returns the next byte, unconsumed; false
// when the document ends first (p.rErr says how).
func (p *previousRun) peek() (byte, bool) {
	for {
		for ; p.pos < len(p.buf); p.pos++ {
			switch c := p.buf[p.pos]; c {
			case ' ', '\n', '\t', '\r':
			default:
				return c, true
			}
		}
		if !p.fill() {
			return 0, false
		}
	}
}

// fill reads more of the document into buf, keeping buf[pos:] (which it
// may move to the front). It reports false when r has nothing more.
func (p *previousRun) fill() bool {
	if p.rErr != nil {
		return false
	}
	if p.pos > 0 {
		n := copy(p.buf, p.buf[p.pos:])
		p.buf = p.buf[:n]
		p.base += int64(p.pos)
		p.pos = 0
	}
	if cap(p.buf)-len(p.buf) < previousReadSize/4 {
		buf := make([]byte, len(p.buf), max(2*cap(p.buf), previousReadSize))
		copy(buf, p.buf)
		p.buf = buf
	}
	for range 100 {
		n, err := p.read(p.buf[len(p.buf):cap(p.buf)])
		p.buf = p.buf[:len(p.buf)+n]
		if n > 0 || err != nil {
			return n > 0
		}
	}
	p.rErr = io.ErrNoProgress
	return false
}

// read reads from r, remembering the first error: r is not read again.
func (p *previousRun) read(b []byte) (int, error) {
	if p.rErr != nil {
		return 0, p.rErr
	}
	n, err := p.r.Read(b)
	if err != nil {
		p.rErr = err
	}
	return n, err
}

// inString marks the bytes a JSON string may hold as they are: all but
// '"', '\\' and control bytes.
var inString = func() (t [256]bool) {
	for b := 0x20; b < 256; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// scanObject finds the end of the object that starts at buf[pos] by its
// brackets outside strings and returns its length. It reports false when
// the document ends first, when a string holds a control byte (a syntax
// error that json.Decoder reports without reading on), or past
// maxFindingJSON bytes: a json.Decoder must then read the element.
//
// Where the bytes are valid JSON the object found is the one json.Decoder
// reads; where they are not, json.Decoder stops at an error no later than
// the object's end, and json.Unmarshal of the object reports that error.
func (p *previousRun) scanObject() (int, bool) {
	depth, inStr := 0, false
	off := 0 // from pos
	for {
		buf := p.buf[p.pos:]
		for off < len(buf) {
			c := buf[off]
			if inStr {
				switch {
				case inString[c]:
					off++
					for off < len(buf) && inString[buf[off]] {
						off++
					}
				case c == '"':
					inStr = false
					off++
				case c == '\\':
					off += 2 // the escaped byte, valid or not, ends no string
				default:
					return 0, false
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return off + 1, true
				}
			}
			off++
		}
		if off > maxFindingJSON || !p.fill() {
			return 0, false
		}
	}
}

// decodeSlow has a json.Decoder read the element at buf[pos] (after the
// ',' when there is one) and then goes on after it.
func (p *previousRun) decodeSlow(f *audit.Finding) (bool, error) {
	rest := p.buf[p.pos:]
	br := bytes.NewReader(rest)
	dec := json.NewDecoder(io.MultiReader(br, readerFunc(p.read)))
	var v audit.Finding // not f, which would then escape on every path
	err := dec.Decode(&v)
	*f = v
	if err != nil {
		err = fmt.Errorf("findings.json findings: %w", err)
	}
	n := dec.InputOffset()
	if n == 0 {
		// The element could not be read: a syntax error or the end.
		p.err = err
		return false, err
	}
	buf, _ := io.ReadAll(dec.Buffered())
	buf = append(buf, rest[len(rest)-br.Len():]...)
	p.base += int64(p.pos) + n
	p.buf, p.pos = buf, 0
	p.sawElem = true
	return err == nil, err
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

// decoderError returns the error a json.Decoder reading doc's list with
// More, Token and Decode stops at, placed at the next byte: the errors
// next gives between elements.
func (p *previousRun) decoderError(doc string) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	_, err := dec.Token() // [
	for err == nil {
		if !dec.More() {
			_, err = dec.Token()
			break
		}
		var f audit.Finding
		err = dec.Decode(&f)
	}
	if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
		se.Offset = p.base + int64(p.pos)
	}
	return fmt.Errorf("findings.json findings: %w", err)
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

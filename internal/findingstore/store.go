// Package findingstore keeps one run's findings on disk instead of in
// memory, so a run's memory does not grow with the organization.
//
// A Store is a temporary file written one account at a time and read back
// in report order. In memory it keeps only a small index entry per account
// (its ID and name, and where its findings are) and the tables of interned
// strings and distinct exceptions.
//
// On disk each account is one block of four sub-blocks, one per severity in
// audit.Severities order, each holding that severity's findings in
// audit.Less order. A record is:
//
//	status        1 byte: index into {"", new, persisting, resolved}
//	first_seen    12 bytes: int64 Unix seconds, uint32 nanoseconds, little endian
//	due           12 bytes, as first_seen
//	overdue       1 byte: 1 when overdue_days is valid, else 0;
//	              then 8 bytes: int64 overdue_days, little endian
//	principal     uvarint length, bytes
//	arn           uvarint length, bytes
//	check         uvarint index into the string table
//	credential    uvarint index into the string table
//	cis           uvarint index into the string table
//	security_hub  uvarint index into the string table
//	detail        uvarint length, bytes
//	flags         1 byte: bit 0 age_days is valid, bit 1 since is set
//	age_days      varint
//	since         if set: varint Unix seconds, uvarint nanoseconds
//	exception     uvarint: 0 for none, else 1 + index into the exception table
//	id            uvarint length, bytes
//	owner         uvarint index into the string table
//	owner_source  uvarint index into the string table
//	remediation   uvarint length, bytes
//
// The account ID and name are kept in the index entry and the severity is
// that of the sub-block. Status, first_seen, due and overdue come first
// and have a fixed width (the head), so that Update rewrites them in
// place: the comparison with earlier runs sets the status and first
// sighting, and from them the due date and lateness, of every finding.
package findingstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// statuses are the statuses a record can hold, indexed by their code.
var statuses = [...]string{"", audit.StatusNew, audit.StatusPersisting, audit.StatusResolved}

// statusCode returns the one-byte code of status.
func statusCode(status string) (byte, bool) {
	for i, s := range statuses {
		if s == status {
			return byte(i), true
		}
	}
	return 0, false
}

// slot returns the position of sev in audit.Severities: its sub-block.
func slot(sev audit.Severity) (int, bool) {
	for i, s := range audit.Severities {
		if s == sev {
			return i, true
		}
	}
	return 0, false
}

// fixedLen is the width of a record's head: status, first_seen, due
// and overdue.
const fixedLen = 1 + 12 + 12 + 1 + 8

// Bits of a record's flags byte.
const (
	ageValid = 1 << iota
	sinceSet
)

// zeroUnix is the Unix time of the zero time.Time.
var zeroUnix = time.Time{}.Unix()

func appendFixedTime(b []byte, t time.Time) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(t.Unix()))
	return binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// appendHead appends the fixed-width head of f's record: its status,
// which must be known, FirstSeen, Due and OverdueDays.
func appendHead(b []byte, f *audit.Finding) []byte {
	code, _ := statusCode(f.Status)
	b = appendFixedTime(append(b, code), f.FirstSeen)
	b = appendFixedTime(b, f.Due)
	valid := byte(0)
	if f.OverdueDays.Valid {
		valid = 1
	}
	return binary.LittleEndian.AppendUint64(append(b, valid), uint64(int64(f.OverdueDays.N)))
}

func fixedTime(b []byte) time.Time {
	sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint32(b[8:]))
	if sec == zeroUnix && nsec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, nsec).UTC()
}

// span locates one sub-block in the file.
type span struct {
	off  int64  // file offset
	size uint32 // bytes
	n    uint32 // findings
}

// account is the in-memory index entry of one account.
type account struct {
	id, name string
	sev      [4]span // in audit.Severities order, back to back in the file
}

func (a *account) off() int64 { return a.sev[0].off }

func (a *account) size() int {
	last := a.sev[len(a.sev)-1]
	return int(last.off + int64(last.size) - a.off())
}

var (
	errClosed = errors.New("findingstore: store is closed")
	errBusy   = errors.New("findingstore: store used during its own iteration")
)

// Store holds one run's findings on disk, one block per account.
//
// Findings are added one account at a time with Add and read back in
// report order with EachAccount, EachSeverity and Update. A Store is not
// safe for concurrent use. The function passed to an iteration must not
// use the Store: its calls fail.
type Store struct {
	f *os.File
	// unlinked is true when the file was removed from its folder at
	// once (Unix keeps it while open), so that a crash leaves nothing.
	unlinked bool
	w        *bufio.Writer
	end      int64 // bytes written, buffered or not
	n        int
	err      error // sticky I/O error: the file may be inconsistent
	busy     bool  // an iteration is running

	accounts []account
	sorted   bool // accounts is in ID order
	ids      map[string]struct{}

	strs   []string // interned check, credential, CIS and Security Hub IDs
	strIdx map[string]uint32
	excs   []*audit.Exception // distinct exceptions; pointers are handed out
	excIdx map[audit.Exception]uint32

	// Buffers reused by every call.
	enc   []byte
	perm  []int32
	slots []uint8
	buf   []byte          // the block read last
	recs  []record        // its records, sub-block after sub-block
	order []int32         // indexes into recs in audit.Less order
	out   []audit.Finding // the findings of recs, in order
	orig  []audit.Finding // out as read, before Update's fn changed it
}

// Create makes an empty store backed by a new temporary file in dir
// (os.TempDir when dir is ""). Where the system allows it the file is
// removed from dir at once and lives until Close, so that a process that
// dies leaves nothing behind; elsewhere Close removes it.
func Create(dir string) (*Store, error) {
	f, err := os.CreateTemp(dir, "findings-*.spill")
	if err != nil {
		return nil, fmt.Errorf("findingstore: %w", err)
	}
	return &Store{
		f:        f,
		unlinked: os.Remove(f.Name()) == nil,
		w:        bufio.NewWriterSize(f, 64<<10),
		sorted:   true,
		ids:      make(map[string]struct{}),
		strIdx:   make(map[string]uint32),
		excIdx:   make(map[audit.Exception]uint32),
	}, nil
}

// usable returns why s cannot be used, if it cannot.
func (s *Store) usable() error {
	switch {
	case s.f == nil:
		return errClosed
	case s.busy:
		return errBusy
	}
	return s.err
}

// Add stores one account's findings. Every finding in fs must have the
// same AccountID and AccountName, a severity of audit.Severities and a
// status of "", audit.StatusNew, audit.StatusPersisting or
// audit.StatusResolved; an account may be added only once. Accounts may
// arrive in any order and fs need not be sorted; Add does not modify fs and
// does not keep it. An empty fs is a no-op. On error nothing is stored.
func (s *Store) Add(fs []audit.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	if err := s.usable(); err != nil {
		return err
	}
	id, name := fs[0].AccountID, fs[0].AccountName
	if _, dup := s.ids[id]; dup {
		return fmt.Errorf("findingstore: account %s added twice", id)
	}
	for i := range fs {
		f := &fs[i]
		if f.AccountID != id {
			return fmt.Errorf("findingstore: findings of accounts %s and %s in one Add", id, f.AccountID)
		}
		if f.AccountName != name {
			return fmt.Errorf("findingstore: account %s named both %q and %q", id, name, f.AccountName)
		}
		if _, ok := slot(f.Severity); !ok {
			return fmt.Errorf("findingstore: account %s: %s of %s: unknown severity %d", id, f.Check, f.Principal, f.Severity)
		}
		if _, ok := statusCode(f.Status); !ok {
			return fmt.Errorf("findingstore: account %s: %s of %s: unknown status %q", id, f.Check, f.Principal, f.Status)
		}
	}
	a := account{id: strings.Clone(id), name: strings.Clone(name)}
	if err := s.write(&a, fs); err != nil {
		return err
	}
	s.n += len(fs)
	s.ids[a.id] = struct{}{}
	if len(s.accounts) > 0 && s.accounts[len(s.accounts)-1].id > a.id {
		s.sorted = false
	}
	s.accounts = append(s.accounts, a)
	return nil
}

// write appends the block of fs, one account's findings whose severities
// and statuses are known, at the end of the file and points a at it.
func (s *Store) write(a *account, fs []audit.Finding) error {
	s.slots, s.perm = s.slots[:0], s.perm[:0]
	for i := range fs {
		k, _ := slot(fs[i].Severity)
		s.slots = append(s.slots, uint8(k))
		s.perm = append(s.perm, int32(i))
	}
	slices.SortFunc(s.perm, func(i, j int32) int {
		if s.slots[i] != s.slots[j] {
			return int(s.slots[i]) - int(s.slots[j])
		}
		if c := compareKey(&fs[i], &fs[j]); c != 0 {
			return c
		}
		return int(i - j) // stable, for equal keys
	})
	s.enc = s.enc[:0]
	p := 0
	var sev [4]span
	for k := range sev {
		start, n := len(s.enc), 0
		for ; p < len(s.perm) && int(s.slots[s.perm[p]]) == k; p++ {
			s.enc = s.appendRecord(s.enc, &fs[s.perm[p]])
			n++
		}
		sev[k] = span{off: s.end + int64(start), size: uint32(len(s.enc) - start), n: uint32(n)}
	}
	if len(s.enc) > math.MaxInt32 {
		return fmt.Errorf("findingstore: account %s: %d bytes of findings is too many", a.id, len(s.enc))
	}
	if _, err := s.w.Write(s.enc); err != nil {
		s.err = fmt.Errorf("findingstore: %w", err)
		return s.err
	}
	s.end += int64(len(s.enc))
	a.sev = sev
	return nil
}

// compareKey orders two findings of one account as audit.Less does.
func compareKey(a, b *audit.Finding) int {
	if c := strings.Compare(a.Principal, b.Principal); c != 0 {
		return c
	}
	if c := strings.Compare(a.Check, b.Check); c != 0 {
		return c
	}
	return strings.Compare(a.Credential, b.Credential)
}

// appendRecord appends the record of f, whose status is known, to b.
func (s *Store) appendRecord(b []byte, f *audit.Finding) []byte {
	b = appendHead(b, f)
	b = appendString(b, f.Principal)
	b = appendString(b, f.ARN)
	b = binary.AppendUvarint(b, uint64(s.intern(f.Check)))
	b = binary.AppendUvarint(b, uint64(s.intern(f.Credential)))
	b = binary.AppendUvarint(b, uint64(s.intern(f.CIS)))
	b = binary.AppendUvarint(b, uint64(s.intern(f.SecurityHub)))
	b = appendString(b, f.Detail)
	var flags byte
	if f.AgeDays.Valid {
		flags |= ageValid
	}
	since := !f.Since.IsZero()
	if since {
		flags |= sinceSet
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(f.AgeDays.N))
	if since {
		b = appendInstant(b, f.Since)
	}
	b = binary.AppendUvarint(b, uint64(s.exception(f.Exception)))
	return s.appendAction(b, f)
}

// appendAction appends what makes f actionable but its due date and
// lateness (in the head): its ID, owner and remediation.
func (s *Store) appendAction(b []byte, f *audit.Finding) []byte {
	b = appendString(b, f.ID)
	b = binary.AppendUvarint(b, uint64(s.intern(f.Owner)))
	b = binary.AppendUvarint(b, uint64(s.intern(f.OwnerSource)))
	return appendString(b, f.Remediation)
}

// appendInstant appends t as varints: Unix seconds, then nanoseconds.
func appendInstant(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func appendString(b []byte, v string) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// intern returns the index of v in the string table, adding it if needed.
func (s *Store) intern(v string) uint32 {
	i, ok := s.strIdx[v]
	if !ok {
		v = strings.Clone(v)
		i = uint32(len(s.strs))
		s.strs = append(s.strs, v)
		s.strIdx[v] = i
	}
	return i
}

// exception returns the code of e: 0 for nil, else its index in the
// exception table plus one, adding a copy of *e if needed.
func (s *Store) exception(e *audit.Exception) uint32 {
	if e == nil {
		return 0
	}
	i, ok := s.excIdx[*e]
	if !ok {
		c := *e
		i = uint32(len(s.excs))
		s.excs = append(s.excs, &c)
		s.excIdx[c] = i
	}
	return i + 1
}

// Len is the number of findings stored.
func (s *Store) Len() int { return s.n }

// EachAccount calls fn with each account's findings, accounts in ascending
// AccountID order, findings within an account in audit.Less order. It
// stops at and returns fn's first error.
//
// fs and the Finding values in it are reused after fn returns: copy a
// Finding to keep it. Its strings are safe to keep (they share one
// allocation per account, which they keep alive). Its Exception points into
// the store's table of distinct exceptions, shared by every finding with an
// equal exception and by later calls: it must not be modified.
// FirstSeen, Since and Due are in UTC, or the zero time.
func (s *Store) EachAccount(fn func(fs []audit.Finding) error) error {
	return s.each(nil, fn, false)
}

// EachAccountIn is EachAccount over the accounts whose IDs pass in; the
// others are not read.
func (s *Store) EachAccountIn(in func(accountID string) bool, fn func(fs []audit.Finding) error) error {
	return s.each(in, fn, false)
}

// LenIn is the number of findings of the accounts whose IDs pass in,
// counted from the index without reading them.
func (s *Store) LenIn(in func(accountID string) bool) int {
	n := 0
	for i := range s.accounts {
		if a := &s.accounts[i]; in(a.id) {
			for _, sp := range a.sev {
				n += int(sp.n)
			}
		}
	}
	return n
}

// Update is EachAccount, except that after fn returns, the changes fn
// made to the findings are written back to the store: every field but the
// account's ID and name, as result.CheckUpdate allows (the findings stay
// in audit.Less order, with known severities and statuses). When only
// Status, FirstSeen, Due and OverdueDays changed, the records are
// rewritten in place;
// otherwise the account's block is written anew at the end of the file
// (the old one is left unused). When fn fails, or CheckUpdate refuses its
// changes, Update stops before writing that account; the accounts before
// it stay updated. This is the contract of result.FindingSet.
func (s *Store) Update(fn func(fs []audit.Finding) error) error {
	return s.each(nil, fn, true)
}

// UpdateIn is Update over the accounts whose IDs pass in; the others are
// not read.
func (s *Store) UpdateIn(in func(accountID string) bool, fn func(fs []audit.Finding) error) error {
	return s.each(in, fn, true)
}

// each reads every account whose ID passes in (every account when in is
// nil) and calls fn with its findings, writing them back if update.
func (s *Store) each(in func(accountID string) bool, fn func(fs []audit.Finding) error, update bool) error {
	if err := s.start(); err != nil {
		return err
	}
	defer s.done()
	for i := range s.accounts {
		a := &s.accounts[i]
		if in != nil && !in(a.id) {
			continue
		}
		fs, err := s.readAccount(a)
		if err != nil {
			return err
		}
		if update {
			s.orig = append(s.orig[:0], fs...)
		}
		if err := fn(fs[:len(fs):len(fs)]); err != nil {
			return err
		}
		if update {
			if err := result.CheckUpdate(s.orig, fs); err != nil {
				return fmt.Errorf("findingstore: %w", err)
			}
			if err := s.writeBack(a, fs); err != nil {
				return err
			}
		}
	}
	return nil
}

// EachSeverity is EachAccount restricted to the findings of severity sev:
// accounts in ID order, each call with that account's findings of sev in
// audit.Less order; accounts without such findings are skipped. It reads
// only those findings from disk. What fn may keep is as for EachAccount.
func (s *Store) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
	return s.EachSeverityIn(sev, nil, fn)
}

// EachSeverityIn is EachSeverity over the accounts whose IDs pass in
// (every account when in is nil); the others are not read.
func (s *Store) EachSeverityIn(sev audit.Severity, in func(accountID string) bool, fn func(fs []audit.Finding) error) error {
	k, ok := slot(sev)
	if !ok {
		return fmt.Errorf("findingstore: unknown severity %d", sev)
	}
	if err := s.start(); err != nil {
		return err
	}
	defer s.done()
	for i := range s.accounts {
		a := &s.accounts[i]
		sp := a.sev[k]
		if sp.n == 0 || in != nil && !in(a.id) {
			continue
		}
		d, err := s.read(sp.off, int(sp.size))
		if err != nil {
			return err
		}
		s.recs = s.recs[:0]
		if err := s.parseRun(&d, a, k, len(d.b)); err != nil {
			return err
		}
		s.out = grow(s.out, len(s.recs))
		for j := range s.recs {
			s.finding(&s.out[j], &d, &s.recs[j], a)
		}
		if err := fn(s.out[:sp.n:sp.n]); err != nil {
			return err
		}
	}
	return nil
}

// start starts an iteration: the file flushed, the index in ID order.
func (s *Store) start() error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		s.err = fmt.Errorf("findingstore: %w", err)
		return s.err
	}
	if !s.sorted {
		slices.SortFunc(s.accounts, func(a, b account) int { return strings.Compare(a.id, b.id) })
		s.sorted = true
	}
	s.busy = true
	return nil
}

// done ends an iteration. It drops the findings decoded last, so that s
// does not keep their block alive between passes.
func (s *Store) done() {
	s.busy = false
	clear(s.out[:cap(s.out)])
	clear(s.orig[:cap(s.orig)])
}

// read reads size bytes at off into s.buf and returns a decoder of them.
func (s *Store) read(off int64, size int) (decoder, error) {
	s.buf = grow(s.buf, size)
	if _, err := s.f.ReadAt(s.buf, off); err != nil {
		return decoder{}, fmt.Errorf("findingstore: %w", err)
	}
	// The one string of the read: every decoded string is cut from it.
	return decoder{b: s.buf, s: string(s.buf)}, nil
}

// readAccount reads a's block and returns its findings in audit.Less
// order; s.order[i] is the index in s.recs of the i-th.
func (s *Store) readAccount(a *account) ([]audit.Finding, error) {
	d, err := s.read(a.off(), a.size())
	if err != nil {
		return nil, err
	}
	// Parse the four sorted runs, then merge them by index.
	var head, end [4]int
	s.recs = s.recs[:0]
	for k, sp := range a.sev {
		head[k] = len(s.recs)
		d.i = int(sp.off - a.off())
		if err := s.parseRun(&d, a, k, d.i+int(sp.size)); err != nil {
			return nil, err
		}
		end[k] = len(s.recs)
	}
	s.order = s.order[:0]
	for range s.recs {
		best := -1
		for k := range head {
			if head[k] < end[k] && (best < 0 || d.less(&s.recs[head[k]], &s.recs[head[best]], s.strs)) {
				best = k
			}
		}
		s.order = append(s.order, int32(head[best]))
		head[best]++
	}
	s.out = grow(s.out, len(s.order))
	for i, r := range s.order {
		s.finding(&s.out[i], &d, &s.recs[r], a)
	}
	return s.out, nil
}

// writeBack stores fs, a's findings as readAccount read them (s.orig)
// and Update's fn changed them, if any changed: the head of each (Status,
// FirstSeen, Due, OverdueDays) in place when nothing else changed, else a
// new block.
func (s *Store) writeBack(a *account, fs []audit.Finding) error {
	dirty := false
	var head [fixedLen]byte
	for i := range fs {
		f := &fs[i]
		if !sameBody(f, &s.orig[i]) {
			return s.write(a, fs)
		}
		h := appendHead(head[:0], f) // its status checked by result.CheckUpdate
		pos := s.recs[s.order[i]].pos
		if rec := s.buf[pos : pos+fixedLen]; !bytes.Equal(rec, h) {
			copy(rec, h)
			dirty = true
		}
	}
	if !dirty {
		return nil
	}
	if _, err := s.f.WriteAt(s.buf[:a.size()], a.off()); err != nil {
		s.err = fmt.Errorf("findingstore: %w", err)
		return s.err
	}
	return nil
}

// sameBody reports whether a and b are the same finding but for their
// Status, FirstSeen, Due and OverdueDays, the fixed-width head of a
// record. A time or an
// exception that is equal but not identical counts as a change (the
// block is then rewritten, which is correct if slower).
func sameBody(a, b *audit.Finding) bool {
	x, y := *a, *b
	x.Status, x.FirstSeen, x.Due, x.OverdueDays = "", time.Time{}, time.Time{}, audit.Days{}
	y.Status, y.FirstSeen, y.Due, y.OverdueDays = "", time.Time{}, time.Time{}, audit.Days{}
	return x == y
}

// record is a parsed record, its strings still offsets into the block.
type record struct {
	pos                            int32 // of the record in the block
	principal, arn, detail         [2]int32
	check, credential, cis, secHub uint32
	exception                      uint32
	sinceNsec                      uint32
	sinceSec                       int64
	age                            int64
	flags                          byte
	sev                            audit.Severity

	id, remediation [2]int32
	owner, ownerSrc uint32
}

// parseRun appends to s.recs the records of a's sub-block k, which d holds
// from d.i to end.
func (s *Store) parseRun(d *decoder, a *account, k, end int) error {
	sev := audit.Severities[k]
	for range a.sev[k].n {
		s.recs = append(s.recs, record{pos: int32(d.i), sev: sev})
		if !d.record(&s.recs[len(s.recs)-1], len(s.strs), len(s.excs)) {
			return fmt.Errorf("findingstore: account %s: corrupt %s record at block byte %d", a.id, sev, s.recs[len(s.recs)-1].pos)
		}
	}
	if d.i != end {
		return fmt.Errorf("findingstore: account %s: corrupt %s block", a.id, sev)
	}
	return nil
}

// finding sets f to the finding of a that r, parsed from d, holds.
func (s *Store) finding(f *audit.Finding, d *decoder, r *record, a *account) {
	*f = audit.Finding{
		AccountID:   a.id,
		AccountName: a.name,
		Principal:   d.s[r.principal[0]:r.principal[1]],
		ARN:         d.s[r.arn[0]:r.arn[1]],
		Check:       s.strs[r.check],
		Severity:    r.sev,
		Credential:  s.strs[r.credential],
		AgeDays:     audit.Days{N: int(r.age), Valid: r.flags&ageValid != 0},
		Detail:      d.s[r.detail[0]:r.detail[1]],
		CIS:         s.strs[r.cis],
		SecurityHub: s.strs[r.secHub],
		Status:      statuses[d.b[r.pos]],
		FirstSeen:   fixedTime(d.b[r.pos+1:]),
		Due:         fixedTime(d.b[r.pos+13:]),
		OverdueDays: audit.Days{
			N:     int(int64(binary.LittleEndian.Uint64(d.b[r.pos+26:]))),
			Valid: d.b[r.pos+25] != 0,
		},
	}
	if r.flags&sinceSet != 0 {
		f.Since = time.Unix(r.sinceSec, int64(r.sinceNsec)).UTC()
	}
	if r.exception > 0 {
		f.Exception = s.excs[r.exception-1]
	}
	f.ID = d.s[r.id[0]:r.id[1]]
	f.Owner, f.OwnerSource = s.strs[r.owner], s.strs[r.ownerSrc]
	f.Remediation = d.s[r.remediation[0]:r.remediation[1]]
}

// decoder parses records from b, whose bytes s also holds: strings are cut
// from s, so decoding them allocates nothing.
type decoder struct {
	b   []byte
	s   string
	i   int
	bad bool // the bytes were not a record
}

// record parses the record at d.i into r, checking its indexes against
// the sizes of the string and exception tables. It reports whether the
// bytes were a record.
func (d *decoder) record(r *record, strs, excs int) bool {
	if len(d.b)-d.i < fixedLen || int(d.b[d.i]) >= len(statuses) || d.b[d.i+25] > 1 {
		return false
	}
	d.i += fixedLen
	r.principal = d.string()
	r.arn = d.string()
	r.check = d.index(strs)
	r.credential = d.index(strs)
	r.cis = d.index(strs)
	r.secHub = d.index(strs)
	r.detail = d.string()
	r.flags = d.byte()
	r.age = d.varint()
	if r.flags&sinceSet != 0 {
		r.sinceSec, r.sinceNsec = d.instant()
	}
	r.exception = d.index(excs + 1)
	r.id = d.string()
	r.owner = d.index(strs)
	r.ownerSrc = d.index(strs)
	r.remediation = d.string()
	return !d.bad
}

// instant reads a time that appendInstant wrote: Unix seconds, then
// nanoseconds.
func (d *decoder) instant() (sec int64, nsec uint32) {
	sec = d.varint()
	return sec, uint32(d.uvarint())
}

// less is audit.Less for two records of one account.
func (d *decoder) less(a, b *record, strs []string) bool {
	if pa, pb := d.s[a.principal[0]:a.principal[1]], d.s[b.principal[0]:b.principal[1]]; pa != pb {
		return pa < pb
	}
	if a.check != b.check {
		return strs[a.check] < strs[b.check]
	}
	return strs[a.credential] < strs[b.credential]
}

func (d *decoder) byte() byte {
	if d.i >= len(d.b) {
		d.bad = true
		return 0
	}
	d.i++
	return d.b[d.i-1]
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.i += n
	return v
}

// string returns the start and end of a length-prefixed string.
func (d *decoder) string() [2]int32 {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.bad = true
		return [2]int32{}
	}
	start := d.i
	d.i += int(n)
	return [2]int32{int32(start), int32(d.i)}
}

// index returns an index less than n.
func (d *decoder) index(n int) uint32 {
	i := d.uvarint()
	if i >= uint64(n) {
		d.bad = true
		return 0
	}
	return uint32(i)
}

// grow returns s resized to n, reallocated (contents lost) if too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Close removes the backing file. It is safe to call twice; every other
// method of a closed Store returns an error. It fails, closing nothing,
// when called from the function passed to an iteration.
func (s *Store) Close() error {
	if s.f == nil {
		return nil
	}
	if s.busy {
		return errBusy
	}
	err := s.f.Close()
	if !s.unlinked {
		err = errors.Join(err, os.Remove(s.f.Name()))
	}
	*s = Store{}
	if err != nil {
		return fmt.Errorf("findingstore: %w", err)
	}
	return nil
}

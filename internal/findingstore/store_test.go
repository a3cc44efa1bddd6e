package findingstore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

var (
	asOf    = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	berlin  = time.FixedZone("CET", 3600)
	excKeys = &audit.Exception{Account: "*", Principal: "svc-*", Check: audit.AccessKeyNotRotated,
		Reason: "vendor rotates", Owner: "ops", ApprovedBy: "cso", Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:3"}
	excRoot = &audit.Exception{Account: "222222222222", Principal: "<root_account>", Check: audit.RootMFADisabled,
		Reason: "break-glass: ключ в сейфе", Owner: "sec", ApprovedBy: "cso", Source: "exceptions.yaml:12"}
)

// fixture returns the findings of several accounts, in no particular
// order, covering every field's edge cases.
func fixture() []audit.Finding {
	accounts := []struct{ id, name string }{
		{"333333333333", "payments – prod ✓"},
		{"111111111111", ""},
		{"222222222222", "Zahlungsverkehr"},
		{"000000000042", "low only"},
	}
	principals := []string{"<root_account>", "", "alice", "svc-build", "ünïcødé-用户", "Bob"}
	statuses := []string{"", audit.StatusNew, audit.StatusPersisting, audit.StatusResolved}
	var fs []audit.Finding
	n := 0
	for ai, a := range accounts {
		for pi, p := range principals {
			for ci, c := range audit.Checks {
				if a.name == "low only" && c.Severity != audit.Low {
					continue
				}
				if (ai+pi+ci)%3 == 0 { // not every principal fails every check
					continue
				}
				n++
				f := audit.Finding{
					AccountID: a.id, AccountName: a.name, Principal: p,
					ARN:   "arn:aws:iam::" + a.id + ":user/" + p,
					Check: c.ID, Severity: c.Severity, Credential: []string{"password", "access_key_1", "access_key_2", "", "сертификат"}[n%5],
					Detail: fmt.Sprintf("%s — detail %d", c.Title, n), CIS: c.CIS, SecurityHub: c.SecurityHub,
					Status: statuses[n%4],
				}
				if n%3 != 0 {
					f.AgeDays = audit.DaysOf(n*7 - 100) // negative ages too
				}
				if n%4 != 0 {
					f.Since = asOf.Add(-time.Duration(n) * 36 * time.Hour).Add(time.Duration(n) * time.Nanosecond).In(berlin)
				}
				if n%5 != 0 {
					f.FirstSeen = asOf.AddDate(0, 0, -n)
				}
				if n%7 != 0 {
					f.ID = f.Key().ID()
					f.Owner, f.OwnerSource = []string{"", "team-a@example.com", "платежи"}[n%3], []string{"", "user-tag:owner", "account-tag:team"}[n%3]
					f.Remediation = fmt.Sprintf("aws iam delete-access-key --user-name %q # %d", p, n)
					f.Due = asOf.AddDate(0, 0, 30-n).In(berlin)
					f.OverdueDays = audit.DaysOf(n % 40)
				} else if n%2 == 0 {
					f.OverdueDays.N = 3 // not valid but not zero
				}
				switch n % 6 {
				case 1:
					f.Exception = excKeys
				case 2:
					e := *excRoot // equal exceptions at different addresses
					f.Exception = &e
				}
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// byAccount splits fs by account, accounts and findings shuffled.
func byAccount(fs []audit.Finding, seed uint64) [][]audit.Finding {
	idx := map[string]int{}
	var groups [][]audit.Finding
	for _, f := range fs {
		i, ok := idx[f.AccountID]
		if !ok {
			i = len(groups)
			idx[f.AccountID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
	}
	return groups
}

func sorted(fs []audit.Finding) []audit.Finding {
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b audit.Finding) int {
		switch {
		case audit.Less(&a, &b):
			return -1
		case audit.Less(&b, &a):
			return 1
		}
		return 0
	})
	return fs
}

// newStore returns a store holding fs, added an account at a time.
func newStore(t testing.TB, fs []audit.Finding) *Store {
	t.Helper()
	s, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, g := range byAccount(fs, 7) {
		if err := s.Add(g); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// diff describes how got differs from want, "" when it does not.
func diff(got, want *audit.Finding) string {
	var d []string
	str := func(name, g, w string) {
		if g != w {
			d = append(d, fmt.Sprintf("%s %q, want %q", name, g, w))
		}
	}
	tm := func(name string, g, w time.Time) {
		if !g.Equal(w) || g.IsZero() != w.IsZero() {
			d = append(d, fmt.Sprintf("%s %v, want %v", name, g, w))
		}
		if !g.IsZero() && g.Location() != time.UTC {
			d = append(d, fmt.Sprintf("%s in %v, want UTC", name, g.Location()))
		}
	}
	str("account", got.AccountID, want.AccountID)
	str("account name", got.AccountName, want.AccountName)
	str("principal", got.Principal, want.Principal)
	str("arn", got.ARN, want.ARN)
	str("check", got.Check, want.Check)
	str("credential", got.Credential, want.Credential)
	str("detail", got.Detail, want.Detail)
	str("cis", got.CIS, want.CIS)
	str("security hub", got.SecurityHub, want.SecurityHub)
	str("status", got.Status, want.Status)
	if got.Severity != want.Severity {
		d = append(d, fmt.Sprintf("severity %v, want %v", got.Severity, want.Severity))
	}
	if got.AgeDays != want.AgeDays {
		d = append(d, fmt.Sprintf("age %+v, want %+v", got.AgeDays, want.AgeDays))
	}
	tm("since", got.Since, want.Since)
	tm("first seen", got.FirstSeen, want.FirstSeen)
	str("id", got.ID, want.ID)
	str("owner", got.Owner, want.Owner)
	str("owner source", got.OwnerSource, want.OwnerSource)
	str("remediation", got.Remediation, want.Remediation)
	tm("due", got.Due, want.Due)
	if got.OverdueDays != want.OverdueDays {
		d = append(d, fmt.Sprintf("overdue %+v, want %+v", got.OverdueDays, want.OverdueDays))
	}
	switch {
	case (got.Exception == nil) != (want.Exception == nil):
		d = append(d, fmt.Sprintf("exception %v, want %v", got.Exception, want.Exception))
	case got.Exception != nil && *got.Exception != *want.Exception:
		d = append(d, fmt.Sprintf("exception %+v, want %+v", *got.Exception, *want.Exception))
	}
	return strings.Join(d, "; ")
}

// compare fails t unless got and want hold the same findings in order.
func compare(t *testing.T, got, want []audit.Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d", len(got), len(want))
	}
	for i := range got {
		if d := diff(&got[i], &want[i]); d != "" {
			t.Fatalf("finding %d (%s %s %s): %s", i, want[i].AccountID, want[i].Principal, want[i].Check, d)
		}
	}
}

// collect copies out every finding passed to fn, checking that each call
// holds one account, accounts strictly ascending.
func collect(t *testing.T, each func(func([]audit.Finding) error) error) (all []audit.Finding, calls int) {
	t.Helper()
	last := ""
	err := each(func(fs []audit.Finding) error {
		calls++
		if len(fs) == 0 {
			t.Errorf("call %d: no findings", calls)
			return nil
		}
		id := fs[0].AccountID
		if calls > 1 && id <= last {
			t.Errorf("account %s after %s", id, last)
		}
		last = id
		for _, f := range fs {
			if f.AccountID != id {
				t.Errorf("account %s in the call of %s", f.AccountID, id)
			}
		}
		all = append(all, fs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all, calls
}

func TestEachAccount(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	if s.Len() != len(fs) {
		t.Errorf("Len = %d, want %d", s.Len(), len(fs))
	}
	got, calls := collect(t, s.EachAccount)
	if calls != 4 {
		t.Errorf("%d calls, want 4", calls)
	}
	compare(t, got, sorted(fs))

	// Equal exceptions share one copy, not the caller's.
	var seen *audit.Exception
	for _, f := range got {
		if f.Exception != nil && *f.Exception == *excRoot {
			if seen != nil && f.Exception != seen {
				t.Fatal("equal exceptions decode to different pointers")
			}
			seen = f.Exception
		}
		if f.Exception == excKeys {
			t.Fatal("the store hands out the caller's exception")
		}
	}
	if seen == nil {
		t.Fatal("fixture has no root exception")
	}

	// A second pass reads the same.
	again, _ := collect(t, s.EachAccount)
	compare(t, again, got)
}

func TestEachSeverity(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	want := sorted(fs)
	for _, sev := range audit.Severities {
		t.Run(sev.String(), func(t *testing.T) {
			var subset []audit.Finding
			accounts := map[string]bool{}
			for _, f := range want {
				if f.Severity == sev {
					subset = append(subset, f)
					accounts[f.AccountID] = true
				}
			}
			got, calls := collect(t, func(fn func([]audit.Finding) error) error { return s.EachSeverity(sev, fn) })
			if calls != len(accounts) {
				t.Errorf("%d calls, want %d (one per account with %s findings)", calls, len(accounts), sev)
			}
			compare(t, got, subset)
		})
	}
	if err := s.EachSeverity(0, func([]audit.Finding) error { return nil }); err == nil {
		t.Error("EachSeverity(0) did not fail")
	}
}

func TestUpdate(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	want := sorted(fs)
	i := 0
	err := s.Update(func(fs []audit.Finding) error {
		for j := range fs {
			f := &fs[j]
			switch i % 3 {
			case 0:
				f.Status = audit.StatusResolved
				f.FirstSeen = time.Time{}
			case 1:
				f.Status = ""
				f.FirstSeen = asOf.Add(time.Duration(i) * time.Nanosecond).In(berlin)
			}
			if i%5 == 0 {
				// Beyond Status and FirstSeen: the block is rewritten.
				f.Detail, f.AgeDays, f.Exception = "changed", audit.DaysOf(-1), nil
				f.Since = asOf.Add(-time.Duration(i) * time.Hour)
			}
			want[i] = *f
			i++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := collect(t, s.EachAccount)
	compare(t, got, want)

	// Appending after an update keeps both.
	extra := audit.Finding{AccountID: "999999999999", Principal: "late", Check: audit.UserInactive, Severity: audit.Medium, Status: audit.StatusNew}
	if err := s.Add([]audit.Finding{extra}); err != nil {
		t.Fatal(err)
	}
	got, _ = collect(t, s.EachAccount)
	compare(t, got, append(want, extra))
}

// TestUpdateHeadInPlace: changing only what a record's fixed-width head
// holds (Status, FirstSeen, Due, OverdueDays), as the comparison with
// earlier runs does, rewrites the records in place: the file does not
// grow, and every value, zero or not, reads back.
func TestUpdateHeadInPlace(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	size := s.end
	want := sorted(fs)
	i := 0
	err := s.Update(func(fs []audit.Finding) error {
		for j := range fs {
			f := &fs[j]
			f.Status = []string{audit.StatusNew, audit.StatusPersisting, audit.StatusResolved, ""}[i%4]
			f.FirstSeen = asOf.Add(-time.Duration(i) * time.Hour).In(berlin)
			switch i % 3 {
			case 0:
				f.Due, f.OverdueDays = time.Time{}, audit.Days{}
			case 1:
				f.Due, f.OverdueDays = asOf.AddDate(0, 0, -i), audit.DaysOf(i)
			case 2:
				f.Due, f.OverdueDays = asOf.AddDate(0, 0, i).Add(time.Nanosecond), audit.DaysOf(0)
			}
			want[i] = *f
			i++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.end != size {
		t.Errorf("store grew from %d to %d bytes: the blocks were rewritten, not updated in place", size, s.end)
	}
	got, _ := collect(t, s.EachAccount)
	compare(t, got, want)
}

// TestSelectAccounts: the In variants read only the accounts that pass,
// and give what filtering the full iteration would.
func TestSelectAccounts(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	want := sorted(fs)
	ids := map[string]bool{}
	for _, f := range want {
		ids[f.AccountID] = true
	}
	for name, in := range map[string]func(string) bool{
		"none":          func(string) bool { return false },
		"all":           func(string) bool { return true },
		"first":         func(id string) bool { return id == want[0].AccountID },
		"not the first": func(id string) bool { return id != want[0].AccountID },
	} {
		t.Run(name, func(t *testing.T) {
			var subset []audit.Finding
			for _, f := range want {
				if in(f.AccountID) {
					subset = append(subset, f)
				}
			}
			asked := map[string]int{}
			counting := func(id string) bool { asked[id]++; return in(id) }
			got, _ := collect(t, func(fn func([]audit.Finding) error) error { return s.EachAccountIn(counting, fn) })
			compare(t, got, subset)
			if len(asked) != len(ids) {
				t.Errorf("asked about %d accounts, want every one of %d", len(asked), len(ids))
			}
			if n := s.LenIn(in); n != len(subset) {
				t.Errorf("LenIn = %d, want %d", n, len(subset))
			}
			for _, sev := range audit.Severities {
				var bySev []audit.Finding
				for _, f := range subset {
					if f.Severity == sev {
						bySev = append(bySev, f)
					}
				}
				got, _ := collect(t, func(fn func([]audit.Finding) error) error { return s.EachSeverityIn(sev, in, fn) })
				compare(t, got, bySev)
			}
			updated := 0
			if err := s.UpdateIn(in, func(fs []audit.Finding) error {
				for _, f := range fs {
					if !in(f.AccountID) {
						t.Errorf("UpdateIn passed account %s", f.AccountID)
					}
				}
				updated += len(fs)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if updated != len(subset) {
				t.Errorf("UpdateIn passed %d findings, want %d", updated, len(subset))
			}
		})
	}
}

func TestUpdateUnknownStatus(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	calls := 0
	err := s.Update(func(fs []audit.Finding) error {
		calls++
		fs[0].Status = audit.StatusResolved
		if calls == 2 {
			fs[1].Status = "gone"
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), `unknown status "gone"`) {
		t.Fatalf("err = %v, want unknown status", err)
	}
	if calls != 2 {
		t.Errorf("%d calls after the error, want 2", calls)
	}
	// The first account was written, the second not at all.
	want := sorted(fs)
	want[0].Status = audit.StatusResolved
	got, _ := collect(t, s.EachAccount)
	compare(t, got, want)
}

func TestAddErrors(t *testing.T) {
	ok := audit.Finding{AccountID: "111111111111", AccountName: "a", Principal: "alice", Check: audit.UserInactive, Severity: audit.Medium}
	with := func(change func(f *audit.Finding)) audit.Finding {
		f := ok
		change(&f)
		return f
	}
	tests := []struct {
		name string
		adds [][]audit.Finding
		want string
	}{
		{"mixed accounts", [][]audit.Finding{{ok, with(func(f *audit.Finding) { f.AccountID = "222222222222" })}}, "accounts 111111111111 and 222222222222"},
		{"mixed names", [][]audit.Finding{{ok, with(func(f *audit.Finding) { f.AccountName = "b" })}}, `named both "a" and "b"`},
		{"duplicate account", [][]audit.Finding{{ok}, {with(func(f *audit.Finding) { f.Principal = "bob" })}}, "added twice"},
		{"unknown status", [][]audit.Finding{{ok, with(func(f *audit.Finding) { f.Status = "open" })}}, `unknown status "open"`},
		{"unknown severity", [][]audit.Finding{{with(func(f *audit.Finding) { f.Severity = 0 })}}, "unknown severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, nil)
			var err error
			for _, fs := range tt.adds {
				if err = s.Add(fs); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			// A refused Add stores nothing.
			want := 0
			if tt.name == "duplicate account" {
				want = 1
			}
			got, _ := collect(t, s.EachAccount)
			if len(got) != want || s.Len() != want {
				t.Errorf("%d findings stored (Len %d), want %d", len(got), s.Len(), want)
			}
		})
	}
}

func TestFnError(t *testing.T) {
	stop := errors.New("stop")
	s := newStore(t, fixture())
	tests := []struct {
		name string
		each func(func([]audit.Finding) error) error
	}{
		{"EachAccount", s.EachAccount},
		{"EachSeverity", func(fn func([]audit.Finding) error) error { return s.EachSeverity(audit.Low, fn) }},
		{"Update", s.Update},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := tt.each(func(fs []audit.Finding) error {
				calls++
				fs[0].Status = audit.StatusResolved // not written: fn failed
				return stop
			})
			if err != stop {
				t.Errorf("err = %v, want fn's error", err)
			}
			if calls != 1 {
				t.Errorf("%d calls, want 1", calls)
			}
		})
	}
	got, _ := collect(t, s.EachAccount)
	compare(t, got, sorted(fixture()))
}

func TestEmptyAndClose(t *testing.T) {
	dir := t.TempDir()
	s, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The file is unlinked at once where the system allows it, so a
	// crash leaves nothing behind; otherwise Close removes it.
	files, _ := filepath.Glob(filepath.Join(dir, "findings-*.spill"))
	want := 0
	if runtime.GOOS == "windows" {
		want = 1
	}
	if len(files) != want {
		t.Fatalf("files %v, want %d findings-*.spill", files, want)
	}
	if err := s.Add(nil); err != nil {
		t.Errorf("Add(nil): %v", err)
	}
	never := func([]audit.Finding) error { t.Error("fn called on an empty store"); return nil }
	if err := s.EachAccount(never); err != nil {
		t.Error(err)
	}
	if err := s.EachSeverity(audit.Critical, never); err != nil {
		t.Error(err)
	}
	if err := s.Update(never); err != nil {
		t.Error(err)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d", s.Len())
	}
	if err := s.Add(fixture()[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("after Close: %v left in %s", left, dir)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.EachAccount(never); err == nil {
		t.Error("EachAccount after Close did not fail")
	}
	if err := s.Add(fixture()[1:2]); err == nil {
		t.Error("Add after Close did not fail")
	}
}

// Adds and reads may interleave: a read sees everything added before it.
func TestAddAfterRead(t *testing.T) {
	groups := byAccount(fixture(), 3)
	s := newStore(t, nil)
	var added []audit.Finding
	for _, g := range groups {
		if err := s.Add(g); err != nil {
			t.Fatal(err)
		}
		added = append(added, g...)
		got, _ := collect(t, s.EachAccount)
		compare(t, got, sorted(added))
	}
}

// Strings of a copied Finding stay valid while the store reuses its buffers.
func TestRetainedFindings(t *testing.T) {
	fs := fixture()
	s := newStore(t, fs)
	var kept []audit.Finding
	keep := func(fs []audit.Finding) error {
		kept = append(kept, fs[0], fs[len(fs)-1])
		return nil
	}
	if err := s.EachAccount(keep); err != nil {
		t.Fatal(err)
	}
	if err := s.EachSeverity(audit.Low, keep); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, calls := collect(t, s.EachAccount); calls == 0 {
			t.Fatal("no accounts")
		}
	}
	firstLast := func(all []audit.Finding) (out []audit.Finding) {
		for i := 0; i < len(all); {
			j := i
			for j < len(all) && all[j].AccountID == all[i].AccountID {
				j++
			}
			out = append(out, all[i], all[j-1])
			i = j
		}
		return out
	}
	all := sorted(fs)
	low := slices.DeleteFunc(slices.Clone(all), func(f audit.Finding) bool { return f.Severity != audit.Low })
	want := append(firstLast(all), firstLast(low)...)
	compare(t, kept, want)
}

// The function passed to an iteration cannot use the store.
func TestReentry(t *testing.T) {
	s := newStore(t, fixture())
	extra := []audit.Finding{{AccountID: "999999999999", Check: audit.UserInactive, Severity: audit.Medium}}
	uses := []struct {
		name string
		use  func() error
	}{
		{"Add", func() error { return s.Add(extra) }},
		{"EachAccount", func() error { return s.EachAccount(func([]audit.Finding) error { return nil }) }},
		{"EachSeverity", func() error { return s.EachSeverity(audit.Low, func([]audit.Finding) error { return nil }) }},
		{"Update", func() error { return s.Update(func([]audit.Finding) error { return nil }) }},
		{"Close", s.Close},
	}
	for _, u := range uses {
		t.Run(u.name, func(t *testing.T) {
			err := s.EachAccount(func([]audit.Finding) error { return u.use() })
			if !errors.Is(err, errBusy) {
				t.Errorf("err = %v, want %v", err, errBusy)
			}
		})
	}
	got, _ := collect(t, s.EachAccount)
	compare(t, got, sorted(fixture()))
}

// A damaged file gives errors, not panics.
func TestCorruptFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(f *os.File, size int64) error
	}{
		{"overwritten", func(f *os.File, size int64) error {
			_, err := f.WriteAt(bytes.Repeat([]byte{0xff}, int(size)), 0)
			return err
		}},
		{"truncated", func(f *os.File, size int64) error { return f.Truncate(size / 2) }},
		{"zeroed", func(f *os.File, size int64) error {
			_, err := f.WriteAt(make([]byte, size), 0)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, fixture())
			if err := s.EachAccount(func([]audit.Finding) error { return nil }); err != nil { // flushes
				t.Fatal(err)
			}
			if err := tt.damage(s.f, s.end); err != nil {
				t.Fatal(err)
			}
			if err := s.EachAccount(func([]audit.Finding) error { return nil }); err == nil {
				t.Error("EachAccount read a damaged file")
			}
			if err := s.EachSeverity(audit.Medium, func([]audit.Finding) error { return nil }); err == nil {
				t.Error("EachSeverity read a damaged file")
			}
		})
	}
}

package result_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/result"
)

// The findings store implements the whole contract, account selection
// included.
var (
	_ result.FindingSet      = (*findingstore.Store)(nil)
	_ result.AccountSelector = (*findingstore.Store)(nil)
)

var contractAsOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// contractFindings are three accounts' findings of every severity, with
// and without exceptions, in audit.Less order.
func contractFindings() []audit.Finding {
	var fs []audit.Finding
	for a, id := range []string{"111111111111", "222222222222", "333333333333"} {
		for p, principal := range []string{"<root_account>", "alice", "bob"} {
			for c, check := range []string{audit.AccessKeyNotRotated, audit.ConsoleMFAMissing, audit.UserInactive} {
				f := audit.Finding{
					AccountID: id, AccountName: fmt.Sprintf("acct-%d", a), Principal: principal,
					ARN:   "arn:aws:iam::" + id + ":user/" + principal,
					Check: check, Severity: audit.Severities[(a+p+c)%len(audit.Severities)],
					Credential: []string{"access_key_1", "password", ""}[c], AgeDays: audit.DaysOf(90 + c),
					Detail: "detail " + principal, CIS: "1.1" + fmt.Sprint(c), SecurityHub: "IAM." + fmt.Sprint(c),
					Since: contractAsOf.AddDate(0, 0, -90-c), Status: audit.StatusNew, FirstSeen: contractAsOf,
				}
				if p == 2 {
					f.Exception = &audit.Exception{Account: id, Principal: principal, Check: check, Reason: "vendor", Expires: contractAsOf.AddDate(0, 3, 0)}
				}
				fs = append(fs, f)
			}
		}
	}
	slices.SortFunc(fs, func(a, b audit.Finding) int {
		if audit.Less(&a, &b) {
			return -1
		}
		if audit.Less(&b, &a) {
			return 1
		}
		return 0
	})
	return fs
}

// implementations build a FindingSet of fs each way the project keeps findings.
var implementations = []struct {
	name string
	make func(t *testing.T, fs []audit.Finding) result.FindingSet
}{
	{"slice", func(t *testing.T, fs []audit.Finding) result.FindingSet { return result.Findings(slices.Clone(fs)) }},
	{"findingstore", func(t *testing.T, fs []audit.Finding) result.FindingSet {
		s, err := findingstore.Create(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := result.Findings(fs).EachAccount(s.Add); err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// readAll copies every finding of set, in order.
func readAll(t *testing.T, set result.FindingSet) []audit.Finding {
	t.Helper()
	var out []audit.Finding
	if err := set.EachAccount(func(fs []audit.Finding) error { out = append(out, fs...); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// same compares findings by value: times by instant, exceptions by content.
func same(a, b audit.Finding) bool {
	if !a.Since.Equal(b.Since) || !a.FirstSeen.Equal(b.FirstSeen) {
		return false
	}
	if (a.Exception == nil) != (b.Exception == nil) || a.Exception != nil && !a.Exception.Expires.Equal(b.Exception.Expires) {
		return false
	}
	if a.Exception != nil {
		ea, eb := *a.Exception, *b.Exception
		ea.Expires, eb.Expires = time.Time{}, time.Time{}
		if ea != eb {
			return false
		}
	}
	a.Since, a.FirstSeen, a.Exception = time.Time{}, time.Time{}, nil
	b.Since, b.FirstSeen, b.Exception = time.Time{}, time.Time{}, nil
	return a == b
}

func expect(t *testing.T, got, want []audit.Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d", len(got), len(want))
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Errorf("finding %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestFindingSetContract runs one test of the FindingSet contract against
// every implementation: order, severities, and Update keeping every
// allowed change and refusing the others without a trace.
func TestFindingSetContract(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Run("read", func(t *testing.T) {
				want := contractFindings()
				set := impl.make(t, want)
				if set.Len() != len(want) {
					t.Errorf("Len = %d, want %d", set.Len(), len(want))
				}
				expect(t, readAll(t, set), want)
				for _, sev := range audit.Severities {
					var got, bySev []audit.Finding
					for _, f := range want {
						if f.Severity == sev {
							bySev = append(bySev, f)
						}
					}
					if err := set.EachSeverity(sev, func(fs []audit.Finding) error {
						if len(fs) == 0 {
							t.Errorf("%s: called with no finding", sev)
						}
						got = append(got, fs...)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					expect(t, got, bySev)
				}
				stop := errors.New("stop")
				calls := 0
				if err := set.EachAccount(func([]audit.Finding) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
					t.Errorf("EachAccount: %d calls, err %v; want 1 call and fn's error", calls, err)
				}
			})

			t.Run("update keeps every field", func(t *testing.T) {
				want := contractFindings()
				set := impl.make(t, want)
				i := 0
				err := set.Update(func(fs []audit.Finding) error {
					for j := range fs {
						f := &fs[j]
						f.Status = []string{audit.StatusPersisting, audit.StatusResolved, ""}[i%3]
						f.FirstSeen = contractAsOf.AddDate(0, -i, 0)
						if i%2 == 0 { // beyond the status: every other field
							f.ARN += "/changed"
							f.Severity = audit.Severities[(i/2)%len(audit.Severities)]
							f.AgeDays = audit.Days{}
							f.Detail = "changed " + strings.Repeat("x", i*40)
							f.CIS, f.SecurityHub = "", "changed"
							f.Since = time.Time{}
							f.Credential += "" // part of the order: kept as is
							if f.Exception == nil {
								f.Exception = &audit.Exception{Account: "*", Principal: "*", Check: f.Check, Reason: "added", Source: "x.yaml:1"}
							} else {
								f.Exception = nil
							}
						}
						want[i] = *f
						i++
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				expect(t, readAll(t, set), want)
				// A second pass sees the first's changes and may change them again.
				if err := set.Update(func(fs []audit.Finding) error {
					for j := range fs {
						fs[j].Detail += "!"
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				for i := range want {
					want[i].Detail += "!"
				}
				expect(t, readAll(t, set), want)
				var high []audit.Finding
				for _, f := range want {
					if f.Severity == audit.High {
						high = append(high, f)
					}
				}
				var got []audit.Finding
				if err := set.EachSeverity(audit.High, func(fs []audit.Finding) error { got = append(got, fs...); return nil }); err != nil {
					t.Fatal(err)
				}
				expect(t, got, high)
			})

			refusals := []struct {
				name    string
				change  func(fs []audit.Finding) error
				wantErr string
			}{
				{"fn fails", func(fs []audit.Finding) error { fs[0].Detail = "lost"; return errors.New("fn failed") }, "fn failed"},
				{"account moved", func(fs []audit.Finding) error { fs[0].AccountID = "999999999999"; return nil }, "moved to account"},
				{"account renamed", func(fs []audit.Finding) error { fs[1].AccountName = "other"; return nil }, "moved to account"},
				{"out of order", func(fs []audit.Finding) error { fs[0].Principal = "zzz"; fs[0].Detail = "lost"; return nil }, "out of report order"},
				{"unknown status", func(fs []audit.Finding) error { fs[0].Status = "gone"; return nil }, `unknown status "gone"`},
				{"unknown severity", func(fs []audit.Finding) error { fs[0].Severity = 0; return nil }, "unknown severity"},
			}
			for _, r := range refusals {
				t.Run("update refuses: "+r.name, func(t *testing.T) {
					orig := contractFindings()
					set := impl.make(t, orig)
					want := slices.Clone(orig)
					calls := 0
					err := set.Update(func(fs []audit.Finding) error {
						calls++
						if calls == 1 { // kept
							for j := range fs {
								fs[j].Status, fs[j].Detail = audit.StatusPersisting, "first account"
							}
							return nil
						}
						return r.change(fs)
					})
					if err == nil || !strings.Contains(err.Error(), r.wantErr) {
						t.Fatalf("err = %v, want %q", err, r.wantErr)
					}
					if calls != 2 {
						t.Errorf("%d calls, want Update to stop at the second account", calls)
					}
					for i := range want {
						if want[i].AccountID == orig[0].AccountID {
							want[i].Status, want[i].Detail = audit.StatusPersisting, "first account"
						}
					}
					expect(t, readAll(t, set), want)
				})
			}
		})
	}
}

package compare

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestChecksNotRunAreUnknown: a finding whose check did not run now (for
// its account, or for its principal) is neither resolved nor lost; a
// finding whose check did not run in the previous run is compared with
// the older run that judged it, so it keeps its first sighting and due
// date. A check not applied at all (the opt-in unused-services turned
// off) counts as not run.
func TestChecksNotRunAreUnknown(t *testing.T) {
	t1 := time.Date(2026, 8, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	t3 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t4 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	admin := func(principal string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: "A", Principal: principal, Check: audit.PolicyFullAdmin, Credential: "policy", Severity: audit.Critical, FirstSeen: firstSeen}
	}
	unused := func(principal string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: "A", Principal: principal, Check: audit.UnusedServices, Credential: "services", Severity: audit.Low, FirstSeen: firstSeen}
	}
	inactive := func(principal string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: "A", Principal: principal, Check: audit.UserInactive, Credential: "user", Severity: audit.Medium, FirstSeen: firstSeen}
	}
	detailsFailed := []audit.NotRun{{Checks: []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused},
		Reason: "iam:GetAccountAuthorizationDetails: Throttling", Failed: true}}
	jobFailed := []audit.NotRun{{Checks: []string{audit.UnusedServices}, Failed: true, Partial: true, Principals: []string{"role/a"},
		Reason: "last-accessed data missing for 1 principal: role/a (job FAILED)"}}
	inlineUnreadable := []audit.NotRun{{Checks: []string{audit.PolicyFullAdmin}, Failed: true, Partial: true,
		NotJudged: []audit.Subject{{Principal: "user/alice", Credential: "inline:X"}},
		Reason:    "not judged for these unreadable policy documents: user/alice inline policy X: not JSON"}}
	// As runs wrote them before NotRun had partial: the principals not
	// asked about over the cap read as partial, not as "not run".
	legacyCap := []audit.NotRun{{Checks: []string{audit.UnusedServices},
		Reason: "3 principals not asked about: over the cap of 50 principals per account (unused_permissions.max_principals_per_account)"}}
	strayOnly := []audit.NotRun{{Checks: []string{audit.UnusedServices}, Failed: true, Partial: true,
		Reason: "1 last-accessed entry refused: another account's ARN"}}
	withUnused := audit.Applied(audit.Thresholds{UnusedPermissionsDays: 90})
	withoutUnused := audit.Applied(audit.Thresholds{})
	run := func(id string, asOf time.Time, checks []audit.CatalogEntry, notRun []audit.NotRun, fs ...audit.Finding) *result.Run {
		slices.SortFunc(fs, func(a, b audit.Finding) int {
			switch {
			case audit.Less(&a, &b):
				return -1
			case audit.Less(&b, &a):
				return 1
			}
			return 0
		})
		return &result.Run{Run: result.RunInfo{ID: id, AsOf: asOf, Checks: checks},
			Accounts: []result.Account{{ID: "A", Status: result.StatusCollected, ChecksNotRun: notRun}},
			Findings: result.Findings(fs)}
	}
	type state struct {
		status    string
		firstSeen time.Time
	}
	tests := []struct {
		name     string
		cur      *result.Run
		earlier  []*result.Run // newest first
		want     map[string]state
		resolved []string
	}{
		{
			name:    "check not run now: its earlier finding is not resolved",
			cur:     run("cur", t4, withUnused, detailsFailed, inactive("bob", time.Time{})),
			earlier: []*result.Run{run("r3", t3, withUnused, nil, admin("policy/Admin", t1), inactive("bob", t2), inactive("gone", t2))},
			want:    map[string]state{"bob": {audit.StatusPersisting, t2}}, resolved: []string{"gone"},
		},
		{
			name: "check not run in the previous run: compared with the older run that ran it",
			cur:  run("cur", t4, withUnused, nil, admin("policy/Admin", time.Time{}), inactive("bob", time.Time{})),
			earlier: []*result.Run{
				run("r3", t3, withUnused, detailsFailed, inactive("bob", t2)),
				run("r2", t2, withUnused, nil, admin("policy/Admin", t1), admin("policy/Fixed", t1), inactive("bob", t2)),
			},
			want:     map[string]state{"policy/Admin": {audit.StatusPersisting, t1}, "bob": {audit.StatusPersisting, t2}},
			resolved: []string{"policy/Fixed"},
		},
		{
			name:     "a principal not judged now: only its finding is unknown",
			cur:      run("cur", t4, withUnused, jobFailed),
			earlier:  []*result.Run{run("r3", t3, withUnused, nil, unused("role/a", t1), unused("role/b", t2))},
			want:     map[string]state{},
			resolved: []string{"role/b"},
		},
		{
			name: "a principal not judged in the previous run: the older run's sighting is kept",
			cur:  run("cur", t4, withUnused, nil, unused("role/a", time.Time{}), unused("role/b", time.Time{})),
			earlier: []*result.Run{
				run("r3", t3, withUnused, jobFailed, unused("role/b", t2)),
				run("r2", t2, withUnused, nil, unused("role/a", t1), unused("role/b", t2)),
			},
			want: map[string]state{"role/a": {audit.StatusPersisting, t1}, "role/b": {audit.StatusPersisting, t2}},
		},
		{
			name: "one credential not judged in the previous run: the principal's others are compared there",
			cur: run("cur", t4, withUnused, nil, audit.Finding{AccountID: "A", Principal: "user/alice", Check: audit.PolicyFullAdmin,
				Credential: "inline:Y", Severity: audit.Critical}),
			earlier: []*result.Run{run("r3", t3, withUnused, inlineUnreadable, audit.Finding{AccountID: "A", Principal: "user/alice",
				Check: audit.PolicyFullAdmin, Credential: "inline:Y", Severity: audit.Critical, FirstSeen: t2})},
			want: map[string]state{"user/alice": {audit.StatusPersisting, t2}},
		},
		{
			name: "entries of runs written before partial existed",
			cur:  run("cur", t4, withUnused, nil, unused("role/a", time.Time{})),
			earlier: []*result.Run{
				run("r3", t3, withUnused, legacyCap, unused("role/a", t2)),
				run("r2", t2, withUnused, legacyCap, unused("role/a", t2)),
			},
			want: map[string]state{"role/a": {audit.StatusPersisting, t2}},
		},
		{
			name:     "refused file entries only: the check judged every principal",
			cur:      run("cur", t4, withUnused, strayOnly),
			earlier:  []*result.Run{run("r3", t3, withUnused, nil, unused("role/a", t1))},
			want:     map[string]state{},
			resolved: []string{"role/a"},
		},
		{
			name:    "opt-in check off now: its findings are not resolved",
			cur:     run("cur", t4, withoutUnused, nil),
			earlier: []*result.Run{run("r3", t3, withUnused, nil, unused("role/a", t1))},
			want:    map[string]state{},
		},
		{
			name: "opt-in check off in the previous run: the run before it is the baseline",
			cur:  run("cur", t4, withUnused, nil, unused("role/a", time.Time{})),
			earlier: []*result.Run{
				run("r3", t3, withoutUnused, nil),
				run("r2", t2, withUnused, nil, unused("role/a", t1)),
			},
			want: map[string]state{"role/a": {audit.StatusPersisting, t1}},
		},
		{
			name: "runs written before checks were listed applied every check",
			cur:  run("cur", t4, withUnused, nil, unused("role/a", time.Time{})),
			earlier: []*result.Run{
				run("r3", t3, nil, nil, unused("role/a", t2)),
				run("r2", t2, withUnused, nil, unused("role/a", t1)),
			},
			want: map[string]state{"role/a": {audit.StatusPersisting, t2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var earlier []io.Reader
			for _, r := range tt.earlier {
				earlier = append(earlier, asJSON(t, r))
			}
			if err := Runs(tt.cur, earlier...); err != nil {
				t.Fatal(err)
			}
			got := map[string]state{}
			for _, f := range tt.cur.Findings.(result.Findings) {
				got[f.Principal] = state{f.Status, f.FirstSeen}
			}
			for p, w := range tt.want {
				if g := got[p]; g.status != w.status || !g.firstSeen.Equal(w.firstSeen) {
					t.Errorf("%s: %s first seen %s, want %s %s", p, g.status, g.firstSeen, w.status, w.firstSeen)
				}
			}
			var resolved []string
			for _, r := range tt.cur.Resolved {
				resolved = append(resolved, r.Principal)
			}
			if !slices.Equal(resolved, tt.resolved) {
				t.Errorf("resolved %v, want %v", resolved, tt.resolved)
			}
		})
	}
}

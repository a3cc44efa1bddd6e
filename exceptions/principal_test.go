package exceptions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// exceptionFile is an exceptions file of one entry for any account.
func exceptionFile(principal, check string) string {
	return fmt.Sprintf(`exceptions:
  - account: "*"
    principal: %q
    check: %s
    reason: r
    owner: o
    approved_by: a
    expires: 2027-01-01
`, principal, check)
}

// TestPrincipalPatterns: "*" in an exception used to stop at a slash
// (path.Match), so `principal: "*"` covered no role-unused,
// policy-full-admin or unused-services finding, whose principals are
// role/…, user/…, group/… and policy/…. A * now crosses slashes, and a
// name without a slash names a user (a role for role-unused) in the
// checks that name principals by kind, as officers write them.
func TestPrincipalPatterns(t *testing.T) {
	tests := []struct {
		name, principal, check string
		matches                []string // principals of findings of check
		misses                 []string
	}{
		{"star covers roles", "*", audit.RoleUnused, []string{"role/ci-deploy", "role/a/b"}, nil},
		{"star covers every kind of policy-full-admin", "*", audit.PolicyFullAdmin,
			[]string{"user/maria.admin", "group/admins", "role/break-glass", "policy/AllAccess"}, nil},
		{"star covers users and roles of unused-services", "*", audit.UnusedServices, []string{"user/bob", "role/etl"}, nil},
		{"star covers users of credential-report checks", "*", audit.AccessKeyNotRotated, []string{"alice", "<root_account>"}, nil},
		{"star covers account-level checks", "*", audit.PasswordPolicyMaxAge, []string{""}, nil},
		{"every role", "role/*", audit.PolicyFullAdmin, []string{"role/a", "role/"}, []string{"user/a", "policy/role"}},
		{"roles by prefix", "role/ci-*", audit.RoleUnused, []string{"role/ci-deploy", "role/ci-"}, []string{"role/cd-deploy", "role/xci-a"}},
		{"star in the middle crosses the slash", "*/ci-*", audit.UnusedServices, []string{"role/ci-a", "user/ci-b"}, []string{"role/cd-a"}},
		{"question mark crosses the slash", "role/a?b", audit.RoleUnused, []string{"role/a/b", "role/a-b"}, []string{"role/a//b"}},
		{"a bare glob names users only", "*-admin", audit.PolicyFullAdmin, []string{"user/ops-admin"},
			[]string{"role/ops-admin", "group/db-admin", "policy/Break-glass-admin"}},
		{"a bare glob in unused-services", "*etl", audit.UnusedServices, []string{"user/prod-etl"}, []string{"role/prod-etl"}},
		{"a bare ?* is no star", "?*", audit.PolicyFullAdmin, []string{"user/alice"}, []string{"policy/AllAccess"}},
		{"stars alone cover every kind", "**", audit.PolicyFullAdmin, []string{"user/a", "role/b", "group/c", "policy/d"}, nil},
		{"exact name stays exact", "role/ci", audit.RoleUnused, []string{"role/ci"}, []string{"role/ci-deploy", "role/c", "user/role/ci"}},
		{"exact user stays exact", "alice", audit.ConsoleMFAMissing, []string{"alice"}, []string{"alice2", "xalice", "user/alice"}},
		{"class", "svc-[ab]*", audit.AccessKeyUnused, []string{"svc-a1", "svc-b"}, []string{"svc-c", "svc-"}},
		{"negated class", "svc-[^a]", audit.AccessKeyUnused, []string{"svc-b", "svc-/"}, []string{"svc-a", "svc-bb"}},
		{"range", "role/v[0-9]", audit.RoleUnused, []string{"role/v7"}, []string{"role/va", "role/v10"}},
		{"escaped star is literal", `svc-\*`, audit.AccessKeyUnused, []string{"svc-*"}, []string{"svc-a"}},
		{"escaped backslash is literal", `svc\\*`, audit.AccessKeyUnused, []string{`svc\`, `svc\x`}, []string{"svc", "svcx"}},
		{"regexp characters are literal", "a.b+(c)|d$", audit.AccessKeyUnused, []string{"a.b+(c)|d$"}, []string{"aXb+(c)|d$", "a.bb(c)"}},
		{"regexp characters in a glob are literal", "a.b*", audit.AccessKeyUnused, []string{"a.b", "a.bc"}, []string{"aXb"}},
		{"glob is anchored", "svc", audit.AccessKeyUnused, []string{"svc"}, []string{"svc-a", "a-svc"}},

		// A name without a slash, in a check naming principals by kind.
		{"bare user in policy-full-admin", "maria.admin", audit.PolicyFullAdmin,
			[]string{"user/maria.admin"}, []string{"role/maria.admin", "group/maria.admin", "policy/maria.admin", "user/maria.admin2"}},
		{"bare user glob in unused-services", "svc-*", audit.UnusedServices,
			[]string{"user/svc-etl"}, []string{"role/svc-etl"}},
		{"bare role in role-unused", "ci-deploy", audit.RoleUnused, []string{"role/ci-deploy"}, []string{"role/ci-deploy-2"}},
		{"bare role glob in role-unused", "ci-*", audit.RoleUnused, []string{"role/ci-a"}, []string{"role/cd-a"}},
		{"kind written out", "user/maria.admin", audit.PolicyFullAdmin, []string{"user/maria.admin"}, []string{"maria.admin", "role/maria.admin"}},
		{"user/ means nothing to credential-report checks", "maria", audit.ConsoleMFAMissing, []string{"maria"}, []string{"user/maria"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Parse([]byte(exceptionFile(tt.principal, tt.check)), "x.yaml", asOf, DefaultMaxDays)
			if err != nil || len(list) != 1 {
				t.Fatalf("Parse(principal %q) = %v, %v", tt.principal, list, err)
			}
			for _, principals := range []struct {
				list []string
				want bool
			}{{tt.matches, true}, {tt.misses, false}} {
				for _, p := range principals.list {
					f := audit.Finding{AccountID: "111111111111", Principal: p, Check: tt.check}
					if got := Matches(&list[0], &f); got != principals.want {
						t.Errorf("Matches(principal %q, finding of %q) = %v, want %v", tt.principal, p, got, principals.want)
					}
					fs := []audit.Finding{f}
					uses := Apply(fs, list, asOf)
					if fs[0].Open() == principals.want || (uses[0].Matched == 1) != principals.want {
						t.Errorf("Apply(principal %q, finding of %q): open %v, matched %d; want covered %v",
							tt.principal, p, fs[0].Open(), uses[0].Matched, principals.want)
					}
				}
			}
			// The check still has to agree.
			other := audit.Finding{AccountID: "111111111111", Principal: firstOr(tt.matches, ""), Check: audit.RootMFADisabled}
			if Matches(&list[0], &other) {
				t.Errorf("Matches(principal %q) covers a finding of another check", tt.principal)
			}
		})
	}
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// TestPrincipalPatternsHostile: malformed globs are refused with the
// line, as before; very long ones are refused without compiling them;
// a pattern that would backtrack exponentially in a naive matcher
// matches in linear time.
func TestPrincipalPatternsHostile(t *testing.T) {
	tests := []struct {
		name, principal, want string
	}{
		{"open class", "svc-[", `x.yaml:3: principal "svc-[": invalid pattern`},
		{"lone bracket", "[", `x.yaml:3: principal "[": invalid pattern`},
		{"trailing backslash", `svc\`, `x.yaml:3: principal "svc\\": invalid pattern`},
		{"empty class", "[]", `x.yaml:3: principal "[]": invalid pattern`},
		{"unescaped dash", "[-a]", `x.yaml:3: principal "[-a]": invalid pattern`},
		{"empty range", "[z-a]", `x.yaml:3: principal "[z-a]": invalid pattern: the range 'z'-'a' is empty`},
		{"very long", strings.Repeat("a*", 600), `x.yaml:3: principal "a*a*a*`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Parse([]byte(exceptionFile(tt.principal, audit.AccessKeyUnused)), "x.yaml", asOf, DefaultMaxDays)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(principal %.40q) = %d exceptions, error %v; want %q", tt.principal, len(list), err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte(exceptionFile(strings.Repeat("a*", 600), audit.AccessKeyUnused)), "x.yaml", asOf, DefaultMaxDays); err == nil ||
		!strings.Contains(err.Error(), "1200 bytes long, want at most 1024") {
		t.Errorf("Parse(1,200-byte principal) error = %v, want the bound named", err)
	}

	// At the bound: accepted, and a miss against a long principal is fast.
	long := strings.Repeat("*a", maxPrincipalLen/2-1) + "*b"
	list, err := Parse([]byte(exceptionFile(long, audit.AccessKeyUnused)), "x.yaml", asOf, DefaultMaxDays)
	if err != nil {
		t.Fatalf("Parse(%d-byte principal) error = %v", len(long), err)
	}
	fs := []audit.Finding{{AccountID: "111111111111", Principal: strings.Repeat("a", 5000), Check: audit.AccessKeyUnused}}
	start := time.Now()
	if uses := Apply(fs, list, asOf); uses[0].Matched != 0 || !fs[0].Open() {
		t.Errorf("Apply(%q…) matched %d, want 0", long[:10], uses[0].Matched)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Apply took %v against a 5,000-character principal", d)
	}
}

package exceptions

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

var asOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

const valid = `# accepted risks
exceptions:
  - account: "222222222222"
    principal: svc-*
    check: access-key-not-rotated
    reason: vendor cannot rotate until Q2
    owner: payments@example.com
    approved_by: ciso@example.com
    expires: 2027-03-31
  - account: "*"
    principal: "*"
    check: password-policy-max-age
    reason: NIST 800-63B discourages forced rotation
    owner: iam@example.com
    approved_by: ciso@example.com
    expires: 2026-10-31
  - account: "333333333333"
    principal: nobody
    check: console-mfa-missing
    reason: kept for the record
    owner: iam@example.com
    approved_by: ciso@example.com
    expires: 2026-12-31
`

func TestParseValid(t *testing.T) {
	list, err := Parse([]byte(valid), "exceptions.yaml", asOf, DefaultMaxDays)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("Parse() = %d exceptions, want 3", len(list))
	}
	e := list[0]
	if e.Account != "222222222222" || e.Principal != "svc-*" || e.Source != "exceptions.yaml:3" ||
		!e.Expires.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Parse()[0] = %+v", e)
	}
}

func TestParseInvalid(t *testing.T) {
	entry := func(mod string) string {
		base := map[string]string{
			"account": `"222222222222"`, "principal": "alice", "check": "console-mfa-missing",
			"reason": "r", "owner": "o", "approved_by": "a", "expires": "2027-01-01",
		}
		order := []string{"account", "principal", "check", "reason", "owner", "approved_by", "expires"}
		k, v, _ := strings.Cut(mod, "=")
		var b strings.Builder
		b.WriteString("exceptions:\n")
		first := true
		for _, key := range order {
			val := base[key]
			if key == k {
				if v == "" {
					continue
				}
				val = v
			}
			prefix := "    "
			if first {
				prefix, first = "  - ", false
			}
			b.WriteString(prefix + key + ": " + val + "\n")
		}
		if _, known := base[k]; !known && k != "" {
			b.WriteString("    " + k + ": " + v + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name, data, want string
	}{
		{"unknown check", entry("check=no-such-check"), `x.yaml:4: unknown check "no-such-check"`},
		{"missing reason", entry("reason="), "x.yaml:2: missing reason"},
		{"missing expiry", entry("expires="), "x.yaml:2: missing expires"},
		{"missing owner", entry("owner="), "x.yaml:2: missing owner"},
		{"expiry too far ahead", entry("expires=2028-01-01"), "x.yaml:8: expires 2028-01-01 is more than 365 days after 2026-11-01"},
		{"bad date", entry("expires=next year"), `x.yaml:8: expires "next year"`},
		{"bad account", entry("account=prod"), `x.yaml:2: account "prod"`},
		{"bad glob", entry("principal=svc-["), `x.yaml:3: principal "svc-["`},
		{"unknown field", entry("ticket=SEC-1"), `x.yaml:9: unknown field "ticket"`},
		{"not a list", "exceptions: yes\n", "x.yaml:1: exceptions must be a list"},
		{"unknown top-level key", "accepted:\n  - {}\n", `x.yaml:1: unknown key "accepted"`},
		{"not YAML", "exceptions: [\n", "x.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), "x.yaml", asOf, DefaultMaxDays)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want it to contain %q\n%s", err, tt.want, tt.data)
			}
		})
	}
}

// TestParseRefusesRepeatedKeys: a YAML file that says a thing twice is
// refused with the line of the second, rather than one silently winning.
// A second "exceptions:" key used to drop the first list without a word.
func TestParseRefusesRepeatedKeys(t *testing.T) {
	entry := `  - account: "222222222222"
    principal: alice
    check: console-mfa-missing
    reason: r
    owner: o
    approved_by: a
    expires: 2027-01-01
`
	tests := []struct {
		name, data, want string
	}{
		{"exceptions twice", "exceptions:\n" + entry + "exceptions:\n" + entry, `x.yaml:9: key "exceptions" is defined twice (first at line 1)`},
		{"field twice in an entry", "exceptions:\n" + entry + "    expires: 2099-01-01\n", `x.yaml:9: key "expires" is defined twice (first at line 8)`},
		{"account twice, quoted and not", "exceptions:\n" + entry + "    \"account\": \"*\"\n", `x.yaml:9: key "account" is defined twice (first at line 2)`},
		{"second document", "exceptions:\n" + entry + "---\nexceptions: []\n", "x.yaml:9: a second YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Parse([]byte(tt.data), "x.yaml", asOf, DefaultMaxDays)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() = %d exceptions, error %v; want %q\n%s", len(list), err, tt.want, tt.data)
			}
		})
	}
}

// TestParseMaxDaysHasNoOff: 0 or a negative bound used to switch the
// expiry limit off, so an exception on a critical check could run to
// 9999-12-31. Every bound below 1 is refused; 1 allows tomorrow only.
func TestParseMaxDaysHasNoOff(t *testing.T) {
	forever := `exceptions:
  - account: "*"
    principal: "*"
    check: root-access-key-active
    reason: r
    owner: o
    approved_by: a
    expires: 9999-12-31
`
	tomorrow := strings.Replace(forever, "9999-12-31", "2026-11-02", 1)
	dayAfter := strings.Replace(forever, "9999-12-31", "2026-11-03", 1)
	tests := []struct {
		name    string
		data    string
		maxDays int
		want    string // "" when valid
	}{
		{"zero", forever, 0, "exceptions_max_days 0: want 1 or more"},
		{"negative", forever, -1, "exceptions_max_days -1: want 1 or more"},
		{"zero with a near expiry", tomorrow, 0, "exceptions_max_days 0"},
		{"forever with the default", forever, DefaultMaxDays, "x.yaml:8: expires 9999-12-31 is more than 365 days"},
		{"one day: tomorrow", tomorrow, 1, ""},
		{"one day: the day after", dayAfter, 1, "x.yaml:8: expires 2026-11-03 is more than 1 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Parse([]byte(tt.data), "x.yaml", asOf, tt.maxDays)
			if tt.want == "" {
				if err != nil || len(list) != 1 {
					t.Fatalf("Parse() = %v, %v; want one exception", list, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() = %d exceptions, error %v; want %q", len(list), err, tt.want)
			}
		})
	}
}

func TestParseReportsEveryInvalidEntry(t *testing.T) {
	data := "exceptions:\n  - account: x\n  - check: y\n"
	_, err := Parse([]byte(data), "x.yaml", asOf, DefaultMaxDays)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "x.yaml:2") || !strings.Contains(err.Error(), "x.yaml:3") {
		t.Errorf("Parse() error = %v, want both entries named", err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, data := range []string{"", "exceptions:\n", "exceptions: []\n"} {
		list, err := Parse([]byte(data), "x.yaml", asOf, DefaultMaxDays)
		if err != nil || len(list) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want nothing", data, list, err)
		}
	}
}

func TestApply(t *testing.T) {
	list, err := Parse([]byte(valid), "exceptions.yaml", asOf, DefaultMaxDays)
	if err != nil {
		t.Fatal(err)
	}
	findings := []audit.Finding{
		{AccountID: "222222222222", Principal: "svc-legacy-etl", Check: audit.AccessKeyNotRotated, Credential: "access_key_1"},
		{AccountID: "222222222222", Principal: "deploy-bot", Check: audit.AccessKeyNotRotated, Credential: "access_key_1"},
		{AccountID: "111111111111", Principal: "svc-legacy-etl", Check: audit.AccessKeyNotRotated, Credential: "access_key_1"},
		{AccountID: "222222222222", Principal: "", Check: audit.PasswordPolicyMaxAge, Credential: "account"},
	}
	uses := Apply(findings, list, asOf)
	wantOpen := []bool{false, true, true, true}
	for i, f := range findings {
		if f.Open() != wantOpen[i] {
			t.Errorf("finding %d (%s/%s) open = %v, want %v", i, f.AccountID, f.Principal, f.Open(), wantOpen[i])
		}
	}
	if findings[0].Exception == nil || findings[0].Exception.Reason != "vendor cannot rotate until Q2" {
		t.Errorf("covered finding lacks its justification: %+v", findings[0].Exception)
	}
	want := []struct {
		status  string
		matched int
	}{{Active, 1}, {Expired, 1}, {Stale, 0}}
	for i, w := range want {
		if uses[i].Status != w.status || uses[i].Matched != w.matched {
			t.Errorf("exception %d: %s matched %d, want %s matched %d", i, uses[i].Status, uses[i].Matched, w.status, w.matched)
		}
	}
}

func TestInForceThroughExpiryDay(t *testing.T) {
	e := audit.Exception{Expires: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 1, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := InForce(&e, tt.at); got != tt.want {
			t.Errorf("InForce(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

package awsfake

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

// Synthetic returns a deterministic organization of n accounts (IDs from
// 100000000000 up, the first one the management account) spread over a
// small OU tree, whose credential reports, as of asOf, hold a mix of
// healthy and risky users: old and unused keys, users without MFA, root
// keys. Password policies vary: strong, weak, absent, not readable.
// Every account has small authorization details, a summary and virtual
// MFA devices (SyntheticPosture).
func Synthetic(n int, asOf time.Time) Org {
	org := Org{
		ID: "o-synthetic01", RootID: "r-synt",
		OUs: []OU{
			{ID: "ou-synt-prod0000", Name: "prod"},
			{ID: "ou-synt-prodweb0", Name: "web", Parent: "ou-synt-prod0000"},
			{ID: "ou-synt-dev00000", Name: "dev"},
			{ID: "ou-synt-sandbox0", Name: "sandbox"},
		},
	}
	parents := []string{"", "ou-synt-prod0000", "ou-synt-prodweb0", "ou-synt-dev00000", "ou-synt-sandbox0"}
	for i := range n {
		id := strconv.Itoa(100000000000 + i)
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		a := Account{
			ID: id, Name: fmt.Sprintf("synthetic-%04d", i), Email: "aws+" + id + "@example.com",
			Parent: parents[i%len(parents)],
			Report: syntheticReport(id, asOf, rng),
		}
		a.Details, a.Summary, a.VirtualMFA = SyntheticPosture(id, asOf, 4, 3)
		switch i % 4 {
		case 0:
			a.Policy = passwordpolicy.Result{State: passwordpolicy.Present, Policy: strongPolicy()}
		case 1:
			a.Policy = passwordpolicy.Result{State: passwordpolicy.Present, Policy: passwordpolicy.Policy{MinimumPasswordLength: intPtr(8)}}
		case 2:
			a.Policy = passwordpolicy.Result{State: passwordpolicy.Absent}
		}
		org.Accounts = append(org.Accounts, a)
	}
	if n > 0 {
		org.Accounts[0].Parent = ""
		org.ManagementAccount = org.Accounts[0].ID
	}
	return org
}

func intPtr(n int) *int { return &n }

func strongPolicy() passwordpolicy.Policy {
	f := false
	return passwordpolicy.Policy{
		MinimumPasswordLength: intPtr(14), RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true,
		ExpirePasswords: true, MaxPasswordAge: intPtr(90), PasswordReusePrevention: intPtr(24), HardExpiry: &f,
	}
}

// reportHeader is the 22-column credential report header.
var reportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
	"cert_2_active", "cert_2_last_rotated",
}

// syntheticReport renders a credential report of a root row and 0 to 5 users.
func syntheticReport(id string, asOf time.Time, rng *rand.Rand) []byte {
	daysAgo := func(max int) string {
		return asOf.AddDate(0, 0, -rng.IntN(max)-1).Format(time.RFC3339)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(reportHeader)
	rootUsed, rootKey := "no_information", []string{"false", "N/A", "N/A", "N/A", "N/A"}
	if rng.IntN(3) == 0 {
		rootUsed = daysAgo(30)
	}
	if rng.IntN(5) == 0 {
		rootKey = []string{"true", daysAgo(900), daysAgo(60), "us-east-1", "s3"}
	}
	root := []string{"<root_account>", "arn:aws:iam::" + id + ":root", daysAgo(2000), "not_supported", rootUsed,
		"not_supported", "not_supported", strconv.FormatBool(rng.IntN(4) != 0)}
	root = append(root, rootKey...)
	root = append(root, "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A")
	w.Write(root)
	for u := range rng.IntN(6) {
		name := fmt.Sprintf("user%d", u)
		row := []string{name, "arn:aws:iam::" + id + ":user/" + name, daysAgo(1500)}
		if rng.IntN(2) == 0 {
			row = append(row, "true", daysAgo(200), daysAgo(300), "N/A")
		} else {
			row = append(row, "false", "N/A", "N/A", "N/A")
		}
		row = append(row, strconv.FormatBool(rng.IntN(2) == 0))
		for range 2 {
			if rng.IntN(2) == 0 {
				row = append(row, "true", daysAgo(400), daysAgo(150), "eu-west-1", "ec2")
			} else {
				row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
			}
		}
		row = append(row, "false", "N/A", "false", "N/A")
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// WriteDir writes org in the dir: source layout: <id>.csv,
// <id>.password-policy.json (none when the policy is NotCollected), the
// posture files of the inputs the account has, and
// accounts.json with names, states and paths. LoadDir reads it back.
func WriteDir(org Org, dir string) error {
	org, err := org.withDefaults()
	if err != nil {
		return err
	}
	type entry struct {
		ID     string `json:"Id"`
		Name   string
		Email  string
		State  string   `json:",omitempty"`
		Status string   `json:",omitempty"`
		Paths  []string `json:",omitempty"`
	}
	var doc struct{ Accounts []entry }
	for i := range org.Accounts {
		a := &org.Accounts[i]
		e := entry{ID: a.ID, Name: a.Name, Email: a.Email, State: a.State, Status: a.Status, Paths: []string{org.path(a)}}
		if a.ID == org.ManagementAccount {
			// LoadDir takes the first account of accounts.json as the management account.
			doc.Accounts = append([]entry{e}, doc.Accounts...)
		} else {
			doc.Accounts = append(doc.Accounts, e)
		}
		if err := os.WriteFile(filepath.Join(dir, a.ID+".csv"), a.Report, 0o644); err != nil {
			return err
		}
		if err := writePosture(dir, a); err != nil {
			return err
		}
		if pol := passwordpolicy.MarshalCLIOutput(a.Policy); pol != nil {
			if err := os.WriteFile(filepath.Join(dir, a.ID+".password-policy.json"), pol, 0o644); err != nil {
				return err
			}
		}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "accounts.json"), append(data, '\n'), 0o644)
}

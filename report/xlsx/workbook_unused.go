package xlsx

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/reporter-dev/reporter/result"
)

// UnusedAccess is one row of the Unused access sheet: a service granted
// to a principal and not used within the unused-services limit. The
// auditor writes an account's rows as a JSON array to the file named by
// Evidence.UnusedAccess.
type UnusedAccess struct {
	Principal string `json:"principal"` // user/<name> or role/<name>
	ARN       string `json:"arn"`
	Namespace string `json:"service_namespace"`
	Service   string `json:"service_name"`
	// LastAccessed is nil when the service was never used within IAM's
	// tracking period (400 days); Days is then nil too.
	LastAccessed *time.Time `json:"last_accessed"`
	Days         *int       `json:"days"`
}

// unusedAccess writes the Unused access sheet: one row per principal and
// unused service, account by account, read from each account's file. It
// is written only when the run had the unused-services check on.
func (w *workbook) unusedAccess(r *result.Run, evidence []Evidence) error {
	limit := r.Run.Thresholds.UnusedPermissionsDays
	if limit <= 0 {
		return nil
	}
	cols := []column{
		{"Account ID", 15}, {"Account name", 22}, {"Principal", 32}, {"Service namespace", 22}, {"Service name", 34},
		{"Last accessed (UTC)", 21}, {fmt.Sprintf("Days unused (limit %d)", limit), 12},
	}
	return w.streamTable("Unused access", "UnusedAccess", cols, func(add func([]any) error) error {
		for _, e := range evidence {
			if e.UnusedAccess == "" {
				continue
			}
			data, err := os.ReadFile(e.UnusedAccess)
			if err != nil {
				return fmt.Errorf("account %s: %w", e.AccountID, err)
			}
			var rows []UnusedAccess
			if err := json.Unmarshal(data, &rows); err != nil {
				return fmt.Errorf("account %s: %s: %w", e.AccountID, e.UnusedAccess, err)
			}
			for _, u := range rows {
				var last, days any = "never", nil
				if u.LastAccessed != nil {
					last = w.dateCell(*u.LastAccessed)
				}
				if u.Days != nil {
					days = *u.Days
				}
				if err := add([]any{e.AccountID, e.AccountName, u.Principal, u.Namespace, u.Service, last, days}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

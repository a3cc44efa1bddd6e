package app

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/report/xlsx"
)

// unusedAccessSuffix names an account's judged unused services in the
// run folder's evidence/: the rows of the workbook's Unused access sheet,
// kept on disk so that memory does not grow with the organization.
const unusedAccessSuffix = ".unused-access.json"

// saveUnusedAccess writes the unused services of the account's open
// unused-services findings (those an exception covers are left out, as
// from every sheet of open findings) to evidence/ and points the
// account's workbook evidence to the file. Nothing is written when there
// is none.
func (a *auditor) saveUnusedAccess(account string, findings []audit.Finding, unused []audit.UnusedAccess) error {
	if len(unused) == 0 {
		return nil
	}
	open := map[string]bool{}
	for i := range findings {
		if findings[i].Check == audit.UnusedServices && findings[i].Open() {
			open[findings[i].Principal] = true
		}
	}
	rows := make([]xlsx.UnusedAccess, 0, len(unused))
	for _, u := range unused {
		if !open[u.Principal] {
			continue
		}
		for _, s := range u.Services {
			row := xlsx.UnusedAccess{Principal: u.Principal, ARN: u.ARN, Namespace: s.Namespace, Service: s.Name}
			if !s.LastAccessed.IsZero() {
				t := s.LastAccessed
				row.LastAccessed, row.Days = &t, &s.Days.N
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	n := len(a.evidence)
	if n == 0 || a.evidence[n-1].AccountID != account {
		return nil // an account without a report has no findings
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	path := filepath.Join(a.dir, "evidence", account+unusedAccessSuffix)
	if err := perm.WriteFile(path, data); err != nil {
		return fmt.Errorf("save unused access of account %s: %w", account, err)
	}
	a.evidence[n-1].UnusedAccess = path
	return nil
}

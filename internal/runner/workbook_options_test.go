package runner

import (
	"testing"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/report/xlsx"
)

// TestWorkbookOptions: the setting's 0 ("never copy the reports") is the
// renderer's negative limit, since the renderer's 0 means its default.
func TestWorkbookOptions(t *testing.T) {
	for _, tc := range []struct{ setting, want int }{
		{config.DefaultMaxCredentialRows, xlsx.DefaultMaxCredentialRows},
		{5, 5},
		{0, -1},
	} {
		if got := workbookOptions(config.Workbook{MaxCredentialRows: tc.setting}).MaxCredentialRows; got != tc.want {
			t.Errorf("max_credential_rows %d: renderer limit %d, want %d", tc.setting, got, tc.want)
		}
	}
}

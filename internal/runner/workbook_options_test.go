package runner

import (
	"testing"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/report/xlsx"
)

// TestWorkbookOptions: a setting's 0 ("never copy the reports", "never
// repeat the findings") is the renderer's negative limit, since the
// renderer's 0 means its default; each setting maps onto its own limit.
func TestWorkbookOptions(t *testing.T) {
	for _, tc := range []struct{ setting, want int }{
		{config.DefaultMaxCredentialRows, xlsx.DefaultMaxCredentialRows},
		{5, 5},
		{0, -1},
	} {
		got := workbookOptions(config.Workbook{MaxCredentialRows: tc.setting, MaxFamilyRows: 7})
		if got.MaxCredentialRows != tc.want || got.MaxFamilyRows != 7 {
			t.Errorf("max_credential_rows %d: renderer limits %+v, want MaxCredentialRows %d and MaxFamilyRows 7", tc.setting, got, tc.want)
		}
	}
	for _, tc := range []struct{ setting, want int }{
		{config.DefaultMaxFamilyRows, xlsx.DefaultMaxFamilyRows},
		{5, 5},
		{0, -1},
	} {
		got := workbookOptions(config.Workbook{MaxCredentialRows: 3, MaxFamilyRows: tc.setting})
		if got.MaxFamilyRows != tc.want || got.MaxCredentialRows != 3 {
			t.Errorf("max_family_rows %d: renderer limits %+v, want MaxFamilyRows %d and MaxCredentialRows 3", tc.setting, got, tc.want)
		}
	}
	if got := workbookOptions(config.Default().Workbook); got.MaxCredentialRows != xlsx.DefaultMaxCredentialRows || got.MaxFamilyRows != xlsx.DefaultMaxFamilyRows {
		t.Errorf("default settings: renderer limits %+v, want the renderer's defaults", got)
	}
}

package audit

import (
	"os"
	"strings"
	"testing"
)

// TestChecksPageLinksEveryFix keeps docs/checks.md in step with the
// catalog: its How to fix table links each check's documentation.
func TestChecksPageLinksEveryFix(t *testing.T) {
	data, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, c := range Catalog() {
		if !strings.Contains(page, "| `"+c.ID+"` |") || !strings.Contains(page, "]("+c.DocURL+")") {
			t.Errorf("docs/checks.md: the How to fix table lacks %s or its documentation %s", c.ID, c.DocURL)
		}
	}
}

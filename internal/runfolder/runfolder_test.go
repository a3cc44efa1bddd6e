package runfolder

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		id     string
		wantN  int
		wantOK bool
	}{
		{"20261101T060000Z", 1, true},
		{"20261101T060000Z-2", 2, true},
		{"20261101T060000Z-10", 10, true},
		{"20261101T060000Z-0", 0, false},
		{"20261101T060000Z-", 0, false},
		{"20261101T060000Z-x", 0, false},
		{"20261101T060000Z-2-3", 0, false},
		{"20261101T060000Z–2", 0, false}, // an en dash
		{"20261301T060000Z", 0, false},   // month 13
		{"20261101T060000", 0, false},
		{"latest", 0, false},
		{"../20261101T060000Z", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, n, err := ParseID(tt.id)
		if (err == nil) != tt.wantOK || tt.wantOK && (!got.Equal(asOf) || n != tt.wantN) {
			t.Errorf("ParseID(%q) = %s, %d, %v; want ok %v, n %d", tt.id, got, n, err, tt.wantOK, tt.wantN)
		}
		if tt.wantOK && NewID(got, n) != tt.id {
			t.Errorf("NewID(ParseID(%q)) = %q", tt.id, NewID(got, n))
		}
	}
	if id := NewID(time.Date(2026, 11, 1, 7, 0, 0, 0, time.FixedZone("CET", 3600)), 1); id != "20261101T060000Z" {
		t.Errorf("NewID of 07:00 CET = %s, want the UTC time", id)
	}
}

func TestLess(t *testing.T) {
	want := []string{"20261031T235959Z", "20261101T060000Z", "20261101T060000Z-2", "20261101T060000Z-10", "20261102T000000Z"}
	got := []string{"20261101T060000Z-10", "20261102T000000Z", "20261101T060000Z", "20261031T235959Z", "20261101T060000Z-2"}
	slices.SortFunc(got, func(a, b string) int {
		switch {
		case Less(a, b):
			return -1
		case Less(b, a):
			return 1
		}
		return 0
	})
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
	if Rerun("20261101T060000Z-10") != 10 || Rerun("20261101T060000Z") != 1 || Rerun("x-5") != 1 {
		t.Error("Rerun is wrong")
	}
}

func TestLayout(t *testing.T) {
	asOf := time.Date(2026, 1, 31, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)) // 2026-02-01 04:30 UTC
	if got := Key("audits/org", asOf, "20260201T043000Z"); got != "audits/org/2026/02/20260201T043000Z/" {
		t.Errorf("Key = %q", got)
	}
	if got := Key("", asOf, "20260201T043000Z"); got != "2026/02/20260201T043000Z/" {
		t.Errorf("Key without prefix = %q", got)
	}
	if got, want := Dir("out", asOf, "20260201T043000Z"), filepath.Join("out", "2026", "02", "20260201T043000Z"); got != want {
		t.Errorf("Dir = %q, want %q", got, want)
	}
}

// TestCreate: a second run of the same as-of gets -2, and an existing
// folder is never reused.
func TestCreate(t *testing.T) {
	out := t.TempDir()
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	var ids []string
	for range 3 {
		dir, id, err := Create(out, asOf)
		if err != nil {
			t.Fatal(err)
		}
		if dir != Dir(out, asOf, id) {
			t.Errorf("Create = %s, want %s", dir, Dir(out, asOf, id))
		}
		ids = append(ids, id)
	}
	if want := []string{"20261101T060000Z", "20261101T060000Z-2", "20261101T060000Z-3"}; !slices.Equal(ids, want) {
		t.Errorf("IDs %v, want %v", ids, want)
	}
	// A file where the month folder belongs: a clear error.
	blocked := t.TempDir()
	if err := os.WriteFile(filepath.Join(blocked, "2026"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Create(blocked, asOf); err == nil || errors.Is(err, ErrExists) {
		t.Errorf("Create under a file = %v, want the file's error", err)
	}
}

func TestFindLatest(t *testing.T) {
	out := t.TempDir()
	for _, p := range []string{
		"2026/10/20261031T060000Z", "2026/11/20261101T060000Z", "2026/11/20261101T060000Z-2",
		"2026/11/20261101T060000Z-10", "2026/11/20261102T060000Z-incomplete", "2026/11/20261103T060000Z",
	} {
		d := filepath.Join(out, filepath.FromSlash(p))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		manifest := "{}"
		if strings.HasSuffix(p, "-10") {
			// The newest run failed: it is still the latest, never
			// skipped for an older, better-looking run.
			manifest = `{"run_id":"20261101T060000Z-10","status":"incomplete","files":[]}`
		}
		if !strings.Contains(p, "incomplete") && !strings.HasSuffix(p, "20261103T060000Z") {
			if err := os.WriteFile(filepath.Join(d, ManifestName), []byte(manifest), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := Find(out, Latest)
	if want := filepath.Join(out, "2026", "11", "20261101T060000Z-10"); err != nil || got != want {
		t.Errorf("Find(latest) = %q, %v, want %q", got, err, want)
	}
	if got, err := Find(out, "20261031T060000Z"); err != nil || got != filepath.Join(out, "2026", "10", "20261031T060000Z") {
		t.Errorf("Find(20261031T060000Z) = %q, %v", got, err)
	}
	for _, id := range []string{"20250101T000000Z", "..", "2026/11/x", "*"} {
		if got, err := Find(out, id); err == nil {
			t.Errorf("Find(%q) = %q, want an error", id, got)
		}
	}
	if _, err := Find(t.TempDir(), Latest); err == nil || !strings.Contains(err.Error(), "no complete run") {
		t.Errorf("Find(latest) in an empty folder = %v", err)
	}
}

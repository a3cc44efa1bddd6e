package runfolder

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildManifestWith: a file written through a HashWriter gets the
// entry BuildManifest would give it; a known entry whose size matches the
// file is taken as it is (the file is not read again), one whose size
// does not is hashed from the file; files not known are hashed.
func TestBuildManifestWith(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "teams", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) ManifestFile {
		f, err := os.Create(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		hw := NewHashWriter(f)
		// In pieces, as a buffered writer flushes.
		for _, piece := range strings.SplitAfter(text, " ") {
			if _, err := io.WriteString(hw, piece); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return hw.Entry(name)
	}
	known := map[string]ManifestFile{
		"findings.json":    write("findings.json", `{"findings": [1, 2, 3]}`),
		"teams/a/audit.md": write("teams/a/audit.md", "# team a, and more words"),
	}
	if err := os.WriteFile(filepath.Join(dir, "audit.xlsx"), []byte("not hashed while written"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain, err := BuildManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	with, err := BuildManifestWith(dir, known)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != 3 || len(with) != 3 {
		t.Fatalf("entries %v and %v, want 3 each", plain, with)
	}
	for i := range plain {
		if plain[i] != with[i] {
			t.Errorf("entry %d: hashed while written %+v, read again %+v", i, with[i], plain[i])
		}
	}

	// A known entry of the file's size is used as it is: here a forged
	// hash shows it was not read. One of another size is not used.
	forged := known["findings.json"]
	forged.SHA256 = strings.Repeat("0", 64)
	stale := known["teams/a/audit.md"]
	stale.Size++
	stale.SHA256 = strings.Repeat("1", 64)
	with, err = BuildManifestWith(dir, map[string]ManifestFile{"findings.json": forged, "teams/a/audit.md": stale})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range with {
		switch e.Path {
		case "findings.json":
			if e != forged {
				t.Errorf("findings.json: %+v, want the known entry %+v", e, forged)
			}
		case "teams/a/audit.md":
			if e != known["teams/a/audit.md"] {
				t.Errorf("teams/a/audit.md: %+v, want it hashed from the file (%+v)", e, known["teams/a/audit.md"])
			}
		}
	}
}

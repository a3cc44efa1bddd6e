package archive_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/runfolder"
)

// editManifest rewrites the manifest of a run folder through edit.
func editManifest(t *testing.T, dir string, edit func(*runfolder.Manifest)) {
	t.Helper()
	m, err := runfolder.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	if err := runfolder.WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

// entry is the manifest entry of data at path.
func entry(path string, data []byte) runfolder.ManifestFile {
	sum := sha256.Sum256(data)
	return runfolder.ManifestFile{Path: path, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

func TestVerifyFolder(t *testing.T) {
	secret := []byte("root:x:0:0:root:/root:/bin/bash\n")
	tests := []struct {
		name string
		// tamper changes the run folder; out is the folder above it.
		tamper func(t *testing.T, r runFolder, out string)
		// wantProblems are prefixes of problems that must all be found;
		// none means the folder must verify.
		wantProblems []string
		wantMatched  int
	}{
		{name: "intact", tamper: func(*testing.T, runFolder, string) {}, wantMatched: 6},
		{
			name: "altered file", wantMatched: 5,
			tamper: func(t *testing.T, r runFolder, _ string) {
				write(t, filepath.Join(r.Dir, "evidence", "111111111111.csv"), []byte("user,arn\n"))
			},
			wantProblems: []string{"evidence/111111111111.csv: size 9 sha256 "},
		},
		{
			name: "missing file", wantMatched: 5,
			tamper: func(t *testing.T, r runFolder, _ string) {
				if err := os.Remove(filepath.Join(r.Dir, "audit.md")); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"audit.md: missing"},
		},
		{
			name: "extra file", wantMatched: 6,
			tamper: func(t *testing.T, r runFolder, _ string) {
				write(t, filepath.Join(r.Dir, "evidence", "999999999999.csv"), []byte("user,arn\n"))
			},
			wantProblems: []string{"evidence/999999999999.csv: not in the manifest"},
		},
		{
			name: "file replaced by a link to identical bytes elsewhere", wantMatched: 5,
			tamper: func(t *testing.T, r runFolder, out string) {
				path := filepath.Join(r.Dir, "evidence", "222222222222.csv")
				outside := filepath.Join(out, "copy.csv")
				write(t, outside, r.Files["evidence/222222222222.csv"])
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, path); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"evidence/222222222222.csv: a symbolic link", "evidence/222222222222.csv: missing"},
		},
		{
			name: "manifest entries that leave the folder", wantMatched: 6,
			tamper: func(t *testing.T, r runFolder, out string) {
				// The target exists with the listed bytes: a verifier
				// that followed the entry would call it a match.
				write(t, filepath.Join(out, "secret.txt"), secret)
				rel, err := filepath.Rel(r.Dir, filepath.Join(out, "secret.txt"))
				if err != nil {
					t.Fatal(err)
				}
				abs := filepath.Join(out, "secret.txt")
				editManifest(t, r.Dir, func(m *runfolder.Manifest) {
					m.Files = append(m.Files, entry(filepath.ToSlash(rel), secret), entry(abs, secret),
						entry("evidence/../../../../secret.txt", secret), entry("../../etc/passwd", secret))
				})
			},
			wantProblems: []string{
				"../../../secret.txt: refused: manifest entry",
				"/", // the absolute entry
				"evidence/../../../../secret.txt: refused",
				"../../etc/passwd: refused",
			},
		},
		{
			name: "entry listed twice", wantMatched: 6,
			tamper: func(t *testing.T, r runFolder, _ string) {
				editManifest(t, r.Dir, func(m *runfolder.Manifest) { m.Files = append(m.Files, m.Files[0]) })
			},
			wantProblems: []string{"audit.md: listed twice in the manifest"},
		},
		{
			name: "entry without a real SHA-256", wantMatched: 5,
			tamper: func(t *testing.T, r runFolder, _ string) {
				editManifest(t, r.Dir, func(m *runfolder.Manifest) { m.Files[0].SHA256 = "../../etc/passwd" })
			},
			wantProblems: []string{`audit.md: the manifest's sha256 "../../etc/passwd" is not a hex SHA-256`},
		},
		{
			name: "no manifest",
			tamper: func(t *testing.T, r runFolder, _ string) {
				if err := os.Remove(filepath.Join(r.Dir, runfolder.ManifestName)); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"manifest.json: missing", "audit.md: no readable manifest lists it"},
		},
		{
			name: "manifest is not JSON",
			tamper: func(t *testing.T, r runFolder, _ string) {
				write(t, filepath.Join(r.Dir, runfolder.ManifestName), []byte("<html>"))
			},
			wantProblems: []string{"manifest.json: manifest: ", "findings.json: no readable manifest lists it"},
		},
		{
			name: "manifest is a link",
			tamper: func(t *testing.T, r runFolder, out string) {
				path := filepath.Join(r.Dir, runfolder.ManifestName)
				if err := os.Rename(path, filepath.Join(out, "elsewhere.json")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(out, "elsewhere.json"), path); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"manifest.json: a symbolic link", "manifest.json: not a regular file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			r := writeRun(t, out, "20261101T060000Z")
			tt.tamper(t, r, out)
			c, err := archive.VerifyFolder(r.Dir)
			if err != nil {
				t.Fatalf("VerifyFolder = %v", err)
			}
			if c.OK() != (len(tt.wantProblems) == 0) {
				t.Errorf("VerifyFolder OK = %t, problems %q; want %d problems", c.OK(), c.Problems, len(tt.wantProblems))
			}
			if len(tt.wantProblems) > 0 && len(c.Problems) < len(tt.wantProblems) {
				t.Errorf("VerifyFolder problems = %q, want at least %d", c.Problems, len(tt.wantProblems))
			}
			for _, want := range tt.wantProblems {
				if !hasPrefix(c.Problems, want) {
					t.Errorf("VerifyFolder problems = %q, want one starting %q", c.Problems, want)
				}
			}
			if c.Matched != tt.wantMatched {
				t.Errorf("VerifyFolder matched %d files, want %d", c.Matched, tt.wantMatched)
			}
			if c.OK() && c.ManifestSHA256 == "" {
				t.Error("VerifyFolder gives no SHA-256 of the manifest")
			}
		})
	}
}

func TestVerifyFolderNotAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	write(t, file, []byte("x"))
	for _, dir := range []string{file, filepath.Join(t.TempDir(), "absent")} {
		if _, err := archive.VerifyFolder(dir); err == nil {
			t.Errorf("VerifyFolder(%s) = nil error, want one", dir)
		}
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestVerifyFolderTeamFiles: a team's files are verified like the rest:
// one replaced, added or removed is found.
func TestVerifyFolderTeamFiles(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"team workbook replaced", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "teams", "payments", "audit.xlsx"), []byte("forged"))
		}, "teams/payments/audit.xlsx: size 6 sha256 "},
		{"team folder added", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "teams", "auditors", "audit.md"), []byte("# all clear\n"))
		}, "teams/auditors/audit.md: not in the manifest"},
		{"team report removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "teams", "payments", "audit.md")); err != nil {
				t.Fatal(err)
			}
		}, "teams/payments/audit.md: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := writeTeamRun(t, t.TempDir(), "20261101T060000Z")
			if c, err := archive.VerifyFolder(r.Dir); err != nil || !c.OK() {
				t.Fatalf("VerifyFolder before = %+v, %v; want it intact", c, err)
			}
			tt.tamper(t, r.Dir)
			c, err := archive.VerifyFolder(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.OK() || !hasPrefix(c.Problems, tt.want) {
				t.Errorf("VerifyFolder problems = %q, want one starting %q", c.Problems, tt.want)
			}
		})
	}
}

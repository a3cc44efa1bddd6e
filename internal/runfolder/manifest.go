// Package runfolder is the layout of a run on disk: run IDs (new, parse,
// order), the folder OUT/YYYY/MM/RUN-ID, finding the latest run, and
// manifest.json, written last, listing every artifact with its SHA-256.
package runfolder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/result"
)

// ManifestName is the file written last into a run folder. A folder
// without it is an incomplete run.
const ManifestName = "manifest.json"

// ManifestFile is one artifact listed in a manifest.
type ManifestFile struct {
	Path   string `json:"path"` // slash-separated, relative to the run folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// Manifest lists every artifact of a run with its size and SHA-256.
type Manifest struct {
	RunID   string    `json:"run_id"`
	AsOf    time.Time `json:"as_of"`
	Version string    `json:"version,omitempty"`
	// Status is the run's status (RunComplete, RunPartial, RunIncomplete);
	// empty in manifests written before statuses were recorded.
	Status  string          `json:"status,omitempty"`
	Summary *result.Summary `json:"summary,omitempty"`
	Files   []ManifestFile  `json:"files"`
}

// RunStatus returns the run's status, derived from the summary for
// manifests written before statuses were recorded.
func (m *Manifest) RunStatus() string { return result.StatusOf(m.Status, "", m.Summary) }

// Failed reports whether the run is no audit result: incomplete, or no
// account audited (see the function Failed).
func (m *Manifest) Failed() bool { return result.Failed(m.RunStatus(), m.Summary) }

// BuildManifest hashes every file under dir except the manifest itself.
func BuildManifest(dir string) ([]ManifestFile, error) {
	return BuildManifestWith(dir, nil)
}

// BuildManifestWith is BuildManifest, except that a file known lists
// (by its manifest path) with the size it has on disk is not read again:
// its entry is known's. A run hashes the files it writes as it writes
// them (HashWriter) and passes their entries here.
func BuildManifestWith(dir string, known map[string]ManifestFile) ([]ManifestFile, error) {
	var files []ManifestFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == ManifestName {
			return nil
		}
		if k, ok := known[rel]; ok {
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Mode().IsRegular() && info.Size() == k.Size {
				files = append(files, ManifestFile{Path: rel, Size: k.Size, SHA256: k.SHA256})
				return nil
			}
		}
		size, sum, err := HashFile(path)
		if err != nil {
			return err
		}
		files = append(files, ManifestFile{Path: rel, Size: size, SHA256: sum})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// HashFile returns the size and hex SHA-256 of the file at path.
func HashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return Hash(f)
}

// Hash returns the number of bytes read from r and their hex SHA-256, as
// a manifest entry records them.
func Hash(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// HashWriter passes what is written to it on to its writer, hashing
// it as a manifest entry records it.
type HashWriter struct {
	w    io.Writer
	h    hash.Hash
	size int64
}

// NewHashWriter returns a HashWriter that writes to w.
func NewHashWriter(w io.Writer) *HashWriter { return &HashWriter{w: w, h: sha256.New()} }

// Write implements io.Writer: only the bytes w accepted are hashed.
func (hw *HashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.size += int64(n)
	return n, err
}

// Entry returns the manifest entry of what was written, under path.
func (hw *HashWriter) Entry(path string) ManifestFile {
	return ManifestFile{Path: path, Size: hw.size, SHA256: hex.EncodeToString(hw.h.Sum(nil))}
}

// WriteManifest writes m as dir/manifest.json, atomically.
func WriteManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+ManifestName+".tmp")
	if err := perm.WriteFile(tmp, append(data, '\n')); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestName))
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	return ParseManifest(data)
}

// ParseManifest parses a manifest document.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.RunID == "" {
		return nil, errors.New("manifest: no run_id")
	}
	return &m, nil
}

// VerifyDir checks every file of the manifest in dir, and that dir holds no
// file the manifest does not list. It returns one error per problem.
func VerifyDir(dir string) ([]error, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	actual, err := BuildManifest(dir)
	if err != nil {
		return nil, err
	}
	have := map[string]ManifestFile{}
	for _, f := range actual {
		have[f.Path] = f
	}
	var problems []error
	for _, want := range m.Files {
		got, ok := have[want.Path]
		switch {
		case !ok:
			problems = append(problems, fmt.Errorf("%s: missing", want.Path))
		case got.Size != want.Size || got.SHA256 != want.SHA256:
			problems = append(problems, fmt.Errorf("%s: size %d sha256 %s, manifest says size %d sha256 %s", want.Path, got.Size, got.SHA256, want.Size, want.SHA256))
		}
		delete(have, want.Path)
	}
	for p := range have {
		problems = append(problems, fmt.Errorf("%s: not in the manifest", p))
	}
	return problems, nil
}

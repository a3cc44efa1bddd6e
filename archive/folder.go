package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

// maxManifestSize bounds the manifest.json VerifyFolder reads: a run of
// 5,000 accounts has a manifest of about 1.5 MB.
const maxManifestSize = 64 << 20

// FolderCheck is the outcome of VerifyFolder.
type FolderCheck struct {
	// Dir is the folder checked.
	Dir string `json:"dir"`
	// Manifest is nil when manifest.json is missing or unreadable.
	Manifest *runfolder.Manifest `json:"manifest,omitempty"`
	// ManifestSHA256 is the hex SHA-256 of manifest.json, to compare with
	// the archived manifest (`reporter archive verify`).
	ManifestSHA256 string `json:"manifest_sha256,omitempty"`
	// Matched counts the files that match their manifest entry.
	Matched int `json:"matched"`
	// Problems are "PATH: problem"; empty when the folder matches.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether the folder holds exactly the files of its manifest.
func (c *FolderCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyFolder checks a run folder on disk (a local run or one fetched
// with `archive get`) against its own manifest.json: every listed file
// must be there with its size and SHA-256, and nothing else may be.
// It never follows a symbolic link and never opens a manifest entry that
// is not a plain path inside the folder. The error is for a folder that
// cannot be read at all; what is wrong with its content is in Problems.
func VerifyFolder(dir string) (*FolderCheck, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// The folder named by the user may itself be a link; what is inside
	// it is never followed.
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	c := &FolderCheck{Dir: abs}
	problem := func(path, format string, args ...any) {
		c.Problems = append(c.Problems, path+": "+fmt.Sprintf(format, args...))
	}

	found, err := folderFiles(abs, problem)
	if err != nil {
		return nil, err
	}
	data, err := readManifest(root)
	if err != nil {
		problem(runfolder.ManifestName, "%v", err)
		for _, p := range sortedKeys(found) {
			problem(p, "no readable manifest lists it")
		}
		return c, nil
	}
	sum := sha256.Sum256(data)
	c.ManifestSHA256 = hex.EncodeToString(sum[:])
	m, err := runfolder.ParseManifest(data)
	if err != nil {
		problem(runfolder.ManifestName, "%v", err)
		for _, p := range sortedKeys(found) {
			problem(p, "no readable manifest lists it")
		}
		return c, nil
	}
	c.Manifest = m

	listed := map[string]bool{}
	for _, f := range m.Files {
		if err := safeManifestPath(f.Path); err != nil {
			problem(f.Path, "%v", err)
			continue
		}
		if listed[f.Path] {
			problem(f.Path, "listed twice in the manifest")
			continue
		}
		listed[f.Path] = true
		if raw, err := hex.DecodeString(f.SHA256); err != nil || len(raw) != sha256.Size {
			problem(f.Path, "the manifest's sha256 %q is not a hex SHA-256", f.SHA256)
			continue
		}
		if !found[f.Path] {
			problem(f.Path, "missing")
			continue
		}
		size, got, err := hashIn(root, f.Path)
		if err != nil {
			problem(f.Path, "cannot be read: %v", err)
			continue
		}
		if size != f.Size || got != f.SHA256 {
			problem(f.Path, "size %d sha256 %s, the manifest says size %d sha256 %s", size, got, f.Size, f.SHA256)
			continue
		}
		c.Matched++
	}
	for _, p := range sortedKeys(found) {
		if !listed[p] {
			problem(p, "not in the manifest")
		}
	}
	return c, nil
}

// folderFiles returns the regular files under dir by slash path, the
// manifest excluded. Links and other non-regular entries are problems
// and are not followed.
func folderFiles(dir string, problem func(path, format string, args ...any)) (map[string]bool, error) {
	found := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			problem(rel, "a symbolic link (to %q); a run folder holds none, and it is not followed", target)
		case d.IsDir():
		case !d.Type().IsRegular():
			problem(rel, "not a regular file (%s)", d.Type())
		case rel != runfolder.ManifestName:
			found[rel] = true
		}
		return nil
	})
	return found, err
}

// readManifest reads manifest.json inside root; it must be a regular file.
func readManifest(root *os.Root) ([]byte, error) {
	fi, err := root.Lstat(runfolder.ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("missing: nothing to check the folder against")
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s); not read", fi.Mode().Type())
	}
	if fi.Size() > maxManifestSize {
		return nil, fmt.Errorf("%d bytes, more than any manifest (%d); not read", fi.Size(), maxManifestSize)
	}
	f, err := root.Open(runfolder.ManifestName)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxManifestSize+1))
}

// hashIn returns the size and hex SHA-256 of the file at the slash path
// rel inside root; root refuses any path that leaves it.
func hashIn(root *os.Root, rel string) (int64, string, error) {
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return runfolder.Hash(f)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

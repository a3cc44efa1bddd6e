package runfolder

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/internal/perm"
)

// IDLayout is the time part of a run ID: the run's as-of in UTC. A
// re-run with the same as-of adds -2, -3… (20261101T060000Z-2).
const IDLayout = "20060102T150405Z"

// Latest names the newest complete run wherever a run ID is asked for.
const Latest = "latest"

// IDPattern matches a run ID: YYYYMMDDTHHMMSSZ, optionally with -N.
var IDPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$`)

// ErrExists means every candidate run folder name is taken.
var ErrExists = errors.New("run folder already exists")

// NewID returns the ID of the n-th run with this as-of: the as-of for
// the first, with -n after it for the others.
func NewID(asOf time.Time, n int) string {
	base := asOf.UTC().Format(IDLayout)
	if n > 1 {
		return base + "-" + strconv.Itoa(n)
	}
	return base
}

// ParseID returns the as-of and re-run number (1 for the first run) of a
// run ID.
func ParseID(id string) (asOf time.Time, n int, err error) {
	bad := fmt.Errorf("run ID %q: want YYYYMMDDTHHMMSSZ, optionally with -N (e.g. 20261101T060000Z-2)", id)
	if !IDPattern.MatchString(id) {
		return time.Time{}, 0, bad
	}
	base, suffix, rerun := strings.Cut(id, "-")
	asOf, err = time.Parse(IDLayout, base)
	if err != nil {
		return time.Time{}, 0, bad
	}
	n = 1
	if rerun {
		if n, err = strconv.Atoi(suffix); err != nil || n < 1 {
			return time.Time{}, 0, bad
		}
	}
	return asOf, n, nil
}

// Rerun returns the re-run number of a run ID: 1 for 20261101T060000Z
// (and for anything that is no run ID), N for 20261101T060000Z-N.
func Rerun(id string) int {
	if _, n, err := ParseID(id); err == nil {
		return n
	}
	return 1
}

// Less orders run IDs in time: by as-of, then re-run number
// (…Z, …Z-2, …Z-10). Strings that are not run IDs sort as strings,
// after the run IDs they do not compare with as run IDs.
func Less(a, b string) bool {
	ta, na, errA := ParseID(a)
	tb, nb, errB := ParseID(b)
	switch {
	case errA != nil || errB != nil:
		return a < b
	case !ta.Equal(tb):
		return ta.Before(tb)
	}
	return na < nb
}

// Month is the YYYY/MM part of a run's place, slash-separated: a run
// folder is OUT/YYYY/MM/RUN-ID, an archived run PREFIX/YYYY/MM/RUN-ID/.
func Month(asOf time.Time) string {
	return asOf.UTC().Format("2006") + "/" + asOf.UTC().Format("01")
}

// Dir returns the folder of run id with this as-of under out.
func Dir(out string, asOf time.Time, id string) string {
	return filepath.Join(out, filepath.FromSlash(Month(asOf)), id)
}

// Key returns the key prefix of run id under an archive prefix, ending in "/".
func Key(prefix string, asOf time.Time, id string) string {
	return path.Join(prefix, Month(asOf), id) + "/"
}

// Create makes a new run folder OUT/YYYY/MM/RUN-ID with owner-only
// permissions, adding -2, -3… to the ID when a run with the same as-of
// already exists, so no earlier run is ever overwritten.
func Create(out string, asOf time.Time) (dir, id string, err error) {
	parent := filepath.Dir(Dir(out, asOf, "x"))
	if err := perm.MkdirAll(parent); err != nil {
		return "", "", fmt.Errorf("create output folder: %w", err)
	}
	for n := 1; n < 1000; n++ {
		id = NewID(asOf, n)
		dir = filepath.Join(parent, id)
		err := perm.Mkdir(dir)
		if err == nil {
			return dir, id, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", "", fmt.Errorf("create run folder: %w", err)
		}
	}
	return "", "", fmt.Errorf("%w: %s", ErrExists, filepath.Join(parent, NewID(asOf, 1)))
}

// monthGlob is the pattern of OUT/YYYY/MM.
func monthGlob(out string) string {
	return filepath.Join(out, "[0-9][0-9][0-9][0-9]", "[0-9][0-9]")
}

// Entries returns every entry OUT/YYYY/MM/* under out, folder or not,
// complete run or not, in no particular order.
func Entries(out string) ([]string, error) {
	return filepath.Glob(filepath.Join(monthGlob(out), "*"))
}

// Complete returns the folders under out (OUT/YYYY/MM/RUN-ID) that hold
// a manifest, in no particular order: the runs that completed.
func Complete(out string) ([]string, error) {
	manifests, err := filepath.Glob(filepath.Join(monthGlob(out), "*", ManifestName))
	if err != nil {
		return nil, err
	}
	for i := range manifests {
		manifests[i] = filepath.Dir(manifests[i])
	}
	return manifests, nil
}

// Find returns the folder OUT/YYYY/MM/RUN-ID of id, or of the most
// recent complete run (one with a manifest) for Latest.
func Find(out, id string) (string, error) {
	if id == Latest {
		dirs, err := Complete(out)
		if err != nil {
			return "", err
		}
		if len(dirs) == 0 {
			return "", fmt.Errorf("no complete run under %s (looked for %s)", out, filepath.Join(out, "YYYY", "MM", "RUN-ID", ManifestName))
		}
		return slices.MaxFunc(dirs, func(a, b string) int {
			switch a, b := filepath.Base(a), filepath.Base(b); {
			case Less(a, b):
				return -1
			case Less(b, a):
				return 1
			}
			return 0
		}), nil
	}
	if id == "." || id == ".." || strings.ContainsAny(id, `/\*?[]`) {
		return "", fmt.Errorf("run ID %q: want a run folder name such as 20261101T060000Z, or %s", id, Latest)
	}
	dirs, err := filepath.Glob(filepath.Join(monthGlob(out), id))
	if err != nil {
		return "", err
	}
	switch len(dirs) {
	case 0:
		return "", fmt.Errorf("run %s not found under %s (looked for %s)", id, out, filepath.Join(out, "YYYY", "MM", id))
	case 1:
		return dirs[0], nil
	}
	return "", fmt.Errorf("run %s is ambiguous under %s: %s", id, out, strings.Join(dirs, ", "))
}

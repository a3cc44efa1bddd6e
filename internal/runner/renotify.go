package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// DeliveryError is a run that was read but could not be delivered.
type DeliveryError struct{ Err error }

// Error returns the wrapped error's text.
func (e *DeliveryError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Renotify posts the digest of a stored run again: the run folder
// OUT/YYYY/MM/RUN-ID of runID ("latest": the most recent run with a
// manifest), or the folder runID names when it is a path,
// checked against its manifest first. The digest points at the local
// folder (the archive location is not stored in it). A notifier that
// cannot be built is a *ConfigError, a failed post a *DeliveryError; any
// other error means the run could not be found or read. opts tune the
// Slack notifier.
func Renotify(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer, runID string, opts ...slack.Option) error {
	dir, err := findRun(cfg.Out, runID)
	if err != nil {
		return err
	}
	run, store, err := ReadRun(dir, cfg.Out)
	if err != nil {
		return err
	}
	defer store.Close()
	notifiers, err := Notifiers(cfg, stdout, log, opts...)
	if err != nil {
		return &ConfigError{err}
	}
	res := &app.Result{Dir: dir, Run: run}
	if err := app.Deliver(ctx, log.With("run_id", run.Run.ID), res, nil, notifiers); err != nil {
		return &DeliveryError{err}
	}
	return nil
}

// findRun returns the run folder of arg: a run ID or "latest" under out,
// or else, when arg is a path (it holds a path separator), that folder,
// such as one `reporter archive get` downloaded.
func findRun(out, arg string) (string, error) {
	if !strings.ContainsAny(arg, `/`+string(filepath.Separator)) {
		return runfolder.Find(out, arg)
	}
	fi, err := os.Stat(filepath.Join(arg, runfolder.ManifestName))
	if err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a run folder: it has no %s (give a RUN-ID, latest, or the path of a run folder)", arg, runfolder.ManifestName)
	}
	return filepath.Clean(arg), nil
}

// ReadRun checks a run folder against its manifest and reads its
// findings.json, the findings into a store in tmpDir (as a run keeps
// them: memory does not grow with their number). The caller closes the
// store once the run is delivered.
func ReadRun(dir, tmpDir string) (*result.Run, *findingstore.Store, error) {
	problems, err := runfolder.VerifyDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("run folder %s has no %s: the run did not complete", dir, runfolder.ManifestName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run folder %s: %w", dir, err)
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("run folder %s does not match its manifest, refusing to post it: %w", dir, errors.Join(problems...))
	}
	f, err := os.Open(filepath.Join(dir, "findings.json"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	store, err := findingstore.Create(tmpDir)
	if err != nil {
		return nil, nil, err
	}
	run, err := jsonfile.ReadStreaming(f, store.Add)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	run.Findings = store
	return run, store, nil
}

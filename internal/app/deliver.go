package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/reporter-dev/reporter/result"
)

// Archiver stores a finished run folder durably. It is called after the
// manifest is written; the local folder is kept whatever it returns.
type Archiver interface {
	Archive(ctx context.Context, dir string, run *result.Run) (result.Location, error)
}

// Notifier tells people about a finished run. It is called after the
// archiver, so a notification can point at the archive. A notifier must
// never lose or alter the run's artifacts.
type Notifier interface {
	// Name identifies the notifier in logs and errors, e.g. "slack".
	Name() string
	Notify(ctx context.Context, run *result.Run, loc result.Location) error
}

// Deliver archives the run, then notifies. Every step runs even if an
// earlier one failed; the errors are joined.
func Deliver(ctx context.Context, log *slog.Logger, res *Result, archiver Archiver, notifiers []Notifier) error {
	res.Location = result.Location{Dir: res.Dir}
	var errs []error
	if archiver != nil {
		loc, err := archiver.Archive(ctx, res.Dir, res.Run)
		if err != nil {
			log.Error("archive failed; the run folder is kept", "dir", res.Dir, "err", err)
			errs = append(errs, fmt.Errorf("archive: %w", err))
			res.ArchiveFailed = true
		} else {
			loc.Dir = res.Dir
			res.Location = loc
			log.Info("run archived", "uri", loc.ArchiveURI)
		}
	}
	for _, n := range notifiers {
		if err := n.Notify(ctx, res.Run, res.Location); err != nil {
			log.Error("notification failed", "notifier", n.Name(), "err", err)
			errs = append(errs, fmt.Errorf("notify %s: %w", n.Name(), err))
			res.FailedNotifiers = append(res.FailedNotifiers, n.Name())
		} else {
			log.Info("notification sent", "notifier", n.Name())
		}
	}
	res.DeliveryErr = errors.Join(errs...)
	return res.DeliveryErr
}

package progress

import (
	"log/slog"
	"math"
	"time"
)

// Log returns the emit function of progress.Report: one info
// line "audit progress" with the accounts done, the total (when known),
// the rate and the time left.
func Log(log *slog.Logger) func(Status) {
	return func(s Status) {
		attrs := []any{"done", s.Done}
		if s.Total > 0 {
			attrs = append(attrs, "total", s.Total)
		}
		attrs = append(attrs, "elapsed", s.Elapsed.Round(time.Second).String())
		if s.Rate > 0 {
			attrs = append(attrs, "accounts_per_second", math.Round(s.Rate*100)/100)
		}
		if s.ETA > 0 {
			attrs = append(attrs, "eta", s.ETA.String())
		}
		log.Info("audit progress", attrs...)
	}
}

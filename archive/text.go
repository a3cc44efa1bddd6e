package archive

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// The texts `reporter archive list`, `archive verify` and `verify` print:
// an auditor reads them, so they use the archive's own words (manifest,
// retention, tampered) and say what was and was not shown.

// WriteRuns writes runs as a table: run ID, as-of, coverage, open
// findings in all and by severity, status ("-" where a run has no
// manifest).
func WriteRuns(w io.Writer, runs []Run) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "RUN ID\tAS OF\tCOVERAGE\tOPEN")
	for _, sev := range audit.Severities {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(sev.String()))
	}
	fmt.Fprintln(tw, "\tSTATUS")
	for _, r := range runs {
		if !r.Complete() {
			fmt.Fprintf(tw, "%s\t%s\t-\t-%s\t%s\n", r.ID, r.AsOf().Format(time.RFC3339), strings.Repeat("\t-", len(audit.Severities)), r.Status())
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Manifest.AsOf.UTC().Format(time.RFC3339), summaryColumns(r.Manifest.Summary), r.Status())
	}
	return tw.Flush()
}

// summaryColumns formats coverage, open findings and open findings by
// severity of a manifest's summary, tab-separated.
func summaryColumns(s *result.Summary) string {
	if s == nil {
		return "-\t-" + strings.Repeat("\t-", len(audit.Severities))
	}
	audited, expected := s.Coverage()
	cov := fmt.Sprintf("%d/%d", audited, expected)
	if expected > 0 {
		cov += fmt.Sprintf(" (%d%%)", audited*100/expected)
	}
	open := s.Open
	if open == 0 && s.Excepted == 0 {
		open = s.Findings // manifests written before exceptions existed
	}
	cols := []string{cov, fmt.Sprint(open)}
	for _, sev := range audit.Severities {
		cols = append(cols, fmt.Sprint(s.BySeverity[sev.String()]))
	}
	return strings.Join(cols, "\t")
}

// WriteText writes the verification for people: one line per object
// (status, size, SHA-256, retention, and with versioning the version
// written with the run), the retention, notes and warnings, then every
// problem or what was verified.
func (v *Verification) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Run %s at %s\n", v.Run.ID, v.Run.URI)
	versioned := v.Versioning != VersioningOff
	if versioned {
		fmt.Fprintf(w, "Bucket versioning: %s; the run is judged by the versions written when it was archived.\n", v.Versioning)
	} else {
		fmt.Fprintln(w, "Bucket versioning: off; only the current objects can be checked.")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "STATUS\tPATH\tSIZE\tSHA-256\tRETENTION")
	if versioned {
		fmt.Fprint(tw, "\tWRITTEN\tVERSIONS")
	}
	fmt.Fprintln(tw)
	for _, o := range v.Objects {
		status := "ok"
		if len(o.Problems) > 0 {
			status = "FAILED"
		}
		ret := "none"
		if o.LockMode != "" {
			ret = o.LockMode + " until " + o.RetainUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s", status, o.Path, o.Size, or(o.SHA256, "-"), ret)
		if versioned {
			written := "-"
			if !o.Written.IsZero() {
				written = o.Written.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "\t%s\t%d", written, len(o.Versions))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	modes, earliest, unlocked := v.Retention()
	switch {
	case len(modes) == 0:
		fmt.Fprintln(w, "Retention: none (no Object Lock retention on the objects)")
	default:
		fmt.Fprintf(w, "Retention: %s, earliest end %s", strings.Join(modes, " and "), earliest.Format(time.RFC3339))
		if unlocked > 0 {
			fmt.Fprintf(w, "; %d objects without retention", unlocked)
		}
		fmt.Fprintln(w)
	}
	for _, o := range v.Objects {
		for _, n := range o.Notes {
			fmt.Fprintf(w, "Note: %s: %s\n", o.Path, n)
		}
	}
	for _, n := range v.Notes {
		fmt.Fprintln(w, "WARNING: "+n)
	}
	if problems := v.Problems(); len(problems) > 0 {
		if tampered := v.Tampered(); len(tampered) > 0 {
			fmt.Fprintf(w, "TAMPERED: changed or deleted after the run was archived: %s\n", strings.Join(tampered, ", "))
		}
		if planted := v.Planted(); len(planted) > 0 {
			fmt.Fprintf(w, "PLANTED: written under the run's prefix before it was uploaded, with other content: %s\n", strings.Join(planted, ", "))
		}
		fmt.Fprintf(w, "VERIFICATION FAILED: %d problems\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(w, "  "+p)
		}
		return
	}
	if versioned {
		fmt.Fprintf(w, "Verified: %d objects are the versions archived with the run: they match the first manifest.json and their stored SHA-256; "+
			"none missing, none extra, none replaced or deleted since.\n", len(v.Objects))
		return
	}
	fmt.Fprintf(w, "Verified: %d objects match the manifest and their stored SHA-256; none missing, none extra.\n", len(v.Objects))
}

// WriteText writes the check for people: the run, the manifest's
// SHA-256, then every problem or how many files match, and what the
// check does not show.
func (c *FolderCheck) WriteText(w io.Writer) {
	if c.Manifest != nil {
		fmt.Fprintf(w, "Run %s (as of %s) in %s\n", c.Manifest.RunID, c.Manifest.AsOf.UTC().Format(time.RFC3339), c.Dir)
	} else {
		fmt.Fprintf(w, "Folder %s\n", c.Dir)
	}
	if c.ManifestSHA256 != "" {
		fmt.Fprintf(w, "manifest.json sha256 %s\n", c.ManifestSHA256)
	}
	if !c.OK() {
		fmt.Fprintf(w, "VERIFICATION FAILED: %d problems (%d files match)\n", len(c.Problems), c.Matched)
		for _, p := range c.Problems {
			fmt.Fprintln(w, "  "+p)
		}
		return
	}
	fmt.Fprintf(w, "Verified: %d files match manifest.json; none missing, none extra.\n", c.Matched)
	fmt.Fprintln(w, "This shows the folder matches its own manifest. To show the manifest is the archived one, "+
		"compare its sha256 above with manifest.json in 'reporter archive verify RUN-ID'.")
}

// or is s, or fallback when s is empty.
func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

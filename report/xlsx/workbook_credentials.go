package xlsx

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/internal/thousands"
)

// credentials streams every collected report's rows, as received, or,
// when they are more than w.maxCredentialRows, writes a sheet that says
// so and points to the evidence files instead.
func (w *workbook) credentials(evidence []Evidence) error {
	rows := 0
	for _, e := range evidence {
		rows += e.Rows
	}
	if rows > w.maxCredentialRows {
		return w.credentialsPointer(rows, len(evidence))
	}
	// Each column at least as wide as its name (AWS's names have no
	// space to wrap at) and as its values.
	cols := []column{{"Account ID", 15}, {"Account name", 22}}
	kinds := credentialKinds()
	for i, c := range credreport.Columns {
		width := 14.0
		switch {
		case c == "arn":
			width = 45
		case kinds[i] == credentialDate:
			width = 20
		}
		cols = append(cols, column{c, max(width, float64(len(c)+2))})
	}
	next := evidenceRows(evidence)
	return w.streamLaidOut("Credentials", "Credentials", cols, layout{empty: "No credential reports"}, func(add func([]any) error) error {
		for {
			row, err := next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			w.typeCredentials(row[2:], kinds)
			if err := add(row); err != nil {
				return err
			}
		}
	})
}

// evidenceRows returns an iterator over every data row of every evidence
// file, each prefixed with the account ID and name and laid out in the
// canonical column order. It returns io.EOF after the last row.
//
// A row is cheap to write: an empty field, like a column the file lacks,
// is nil, for which no cell is written at all (an empty string would be
// an empty string cell), and the frequent values are boxed without
// allocating. The iterator reuses the row it returns, so a caller must
// be done with it before the next call: the sheet writer and the CSV
// writer copy what they keep.
func evidenceRows(evidence []Evidence) func() ([]any, error) {
	i := 0
	var (
		file  *os.File
		cr    *csv.Reader
		index []int // canonical column -> position in this file, -1 if absent
		br    = bufio.NewReaderSize(nil, 64<<10)
		row   = make([]any, 2+len(credreport.Columns))
	)
	return func() ([]any, error) {
		for {
			if cr == nil {
				if i == len(evidence) {
					return nil, io.EOF
				}
				ev := evidence[i]
				var err error
				if file, err = os.Open(ev.Path); err != nil {
					return nil, err
				}
				br.Reset(file)
				cr = csv.NewReader(br)
				cr.ReuseRecord = true
				header, err := cr.Read()
				if err != nil {
					file.Close()
					cr = nil
					return nil, fmt.Errorf("%s: %w", ev.Path, err)
				}
				index = canonicalIndex(header)
				row[0], row[1] = ev.AccountID, ev.AccountName
			}
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				file.Close()
				cr = nil
				i++
				continue
			}
			if err != nil {
				file.Close()
				cr = nil
				return nil, fmt.Errorf("%s: %w", evidence[i].Path, err)
			}
			for c, pos := range index {
				row[2+c] = nil
				if pos >= 0 && pos < len(rec) {
					row[2+c] = field(rec[pos])
				}
			}
			return row, nil
		}
	}
}

// field boxes a credential report field for a row: nil when empty, and
// the values most cells hold without an allocation.
func field(s string) any {
	switch s {
	case "":
		return nil
	case "N/A":
		return "N/A"
	case "false":
		return "false"
	case "true":
		return "true"
	case "not_supported":
		return "not_supported"
	case "no_information":
		return "no_information"
	}
	return s
}

// credentialKind is how the Credentials sheet types a column's values.
type credentialKind uint8

const (
	credentialText credentialKind = iota
	credentialDate                // an ISO 8601 time: an Excel date
	credentialBool                // true or false: a boolean
)

// credentialKinds types each of credreport.Columns by its name, as AWS
// documents the report: *_time, *_last_used, *_last_changed,
// *_next_rotation, *_last_rotated and *_last_used_date hold times,
// *_enabled and *_active booleans; the others are text.
func credentialKinds() []credentialKind {
	kinds := make([]credentialKind, len(credreport.Columns))
	for i, c := range credreport.Columns {
		for _, suffix := range []string{"_time", "_last_used", "_last_changed", "_next_rotation", "_last_rotated", "_last_used_date"} {
			if strings.HasSuffix(c, suffix) {
				kinds[i] = credentialDate
			}
		}
		if strings.HasSuffix(c, "_enabled") || strings.HasSuffix(c, "_active") {
			kinds[i] = credentialBool
		}
	}
	return kinds
}

// typeCredentials turns a row's report fields (laid out as
// credreport.Columns) into typed cells in place: times into Excel dates
// (UTC), true and false into booleans. AWS's special values (N/A,
// no_information, not_supported) stay text, as written, like a value
// that is not what its column should hold: nothing is lost or guessed.
// The CSV rendering keeps every field as written.
func (w *workbook) typeCredentials(fields []any, kinds []credentialKind) {
	if w.csv != nil {
		return
	}
	for i, v := range fields {
		s, ok := v.(string)
		if !ok || kinds[i] == credentialText {
			continue
		}
		switch kinds[i] {
		case credentialDate:
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				fields[i] = w.dateCell(t)
			}
		case credentialBool:
			switch {
			case strings.EqualFold(s, "true"):
				fields[i] = true
			case strings.EqualFold(s, "false"):
				fields[i] = false
			}
		}
	}
}

// credentialsPointer writes the Credentials sheet of a run whose
// credential reports are too many rows to copy: why the rows are not
// there, and where they are.
func (w *workbook) credentialsPointer(rows, reports int) error {
	limit := "more than the " + thousands.Format(w.maxCredentialRows) + " this workbook copies"
	if w.maxCredentialRows == 0 {
		limit = "and this workbook is set to copy none"
	}
	lines := []string{
		"Credentials: not copied into this workbook",
		fmt.Sprintf("This run's %s credential reports hold %s rows, %s"+
			" (setting workbook.max_credential_rows, flag --workbook-max-credential-rows).",
			thousands.Format(reports), thousands.Format(rows), limit),
		"The reports are in the run folder's evidence/ folder, byte for byte as AWS returned them:" +
			" evidence/ACCOUNT-ID.csv, one per account, each listed with its size and SHA-256 in manifest.json.",
		"Every open finding is on the Findings sheet (and, up to workbook.max_family_rows open findings, on its family's sheet:" +
			" Inactive users, Unrotated keys, MFA gaps, Root account, Permissions, Password policy), every excepted one on Excepted;" +
			" the Accounts sheet counts each account's users and findings.",
	}
	return w.noteSheet("Credentials", lines)
}

func canonicalIndex(header []string) []int {
	pos := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = trimBOM(h)
		}
		pos[h] = i
	}
	index := make([]int, len(credreport.Columns))
	for i, c := range credreport.Columns {
		if p, ok := pos[c]; ok {
			index[i] = p
		} else {
			index[i] = -1
		}
	}
	return index
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\ufeff" {
		return s[3:]
	}
	return s
}

package jsonfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestReadJSONFindings reads a findings.json both ways: ReadStreaming
// returns what Read does, with the findings handed over one account
// at a time instead of kept.
func TestReadJSONFindings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	run := previousTestRun(r, 300)
	for i := range slice(run) {
		slice(run)[i].AccountID = []string{"111111111111", "222222222222", "333333333333"}[i%3]
	}
	slices.SortStableFunc(slice(run), func(a, b audit.Finding) int { return strings.Compare(a.AccountID, b.AccountID) })
	run.Accounts = []result.Account{{ID: "111111111111", Name: "one", Status: result.StatusCollected}, {ID: "222222222222", Status: result.StatusFailed, Error: "AccessDenied"}}
	run.Changes = &result.Changes{PreviousRunID: "20261001T060000Z", PreviousAsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}
	run.Resolved = []audit.Finding{{AccountID: "111111111111", Check: audit.UserInactive, Severity: audit.Medium, Status: audit.StatusResolved}}
	run.Exceptions = []audit.ExceptionUse{{Exception: audit.Exception{Reason: "break-glass", Owner: "ops"}, Status: "active", Matched: 2}}
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := Write(&doc, run); err != nil {
		t.Fatal(err)
	}
	whole, err := Read(bytes.NewReader(doc.Bytes()))
	if err != nil {
		t.Fatal(err)
	}

	wholeFindings := slice(whole)
	whole.Findings = nil
	for name, reader := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(doc.Bytes()) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(doc.Bytes())) },
		"halves":   func() io.Reader { return iotest.HalfReader(bytes.NewReader(doc.Bytes())) },
	} {
		t.Run(name, func(t *testing.T) { checkReadJSONFindings(t, reader(), whole, wholeFindings) })
	}
}

// checkReadJSONFindings reads doc with ReadStreaming and compares with
// whole (without findings) and wholeFindings.
func checkReadJSONFindings(t *testing.T, doc io.Reader, whole *result.Run, wholeFindings []audit.Finding) {
	var got []audit.Finding
	var accounts []string
	streamed, err := ReadStreaming(doc, func(fs []audit.Finding) error {
		for _, f := range fs {
			if f.AccountID != fs[0].AccountID {
				t.Errorf("a group mixes accounts %s and %s", fs[0].AccountID, f.AccountID)
			}
		}
		accounts = append(accounts, fs[0].AccountID)
		got = append(got, fs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"111111111111", "222222222222", "333333333333"}; !slices.Equal(accounts, want) {
		t.Errorf("groups %v, want %v", accounts, want)
	}
	if len(got) != len(wholeFindings) {
		t.Fatalf("%d findings streamed, want %d", len(got), len(wholeFindings))
	}
	for i := range got {
		if !sameFinding(&got[i], &wholeFindings[i]) {
			t.Fatalf("finding %d:\ngot  %#v\nwant %#v", i, got[i], wholeFindings[i])
		}
	}
	if streamed.Findings != nil {
		t.Errorf("the streamed run keeps %d findings", streamed.Findings.Len())
	}
	if !reflect.DeepEqual(streamed, whole) {
		t.Errorf("the rest of the run differs:\ngot  %+v\nwant %+v", streamed, whole)
	}
}

func TestReadJSONFindingsErrors(t *testing.T) {
	finding := func(account string) string {
		return `{"account_id": "` + account + `", "check": "user_inactive", "severity": "medium"}`
	}
	// Each error is located: the value at fault and the byte offset.
	for name, tt := range map[string]struct{ doc, want, pointer string }{
		"accounts apart":      {string(previousDoc("[" + finding("1") + ", " + finding("2") + ", " + finding("1") + "]")), "not together", ""},
		"truncated":           {string(previousDoc("[" + finding("1")))[:90], "ends early", "/findings/0"},
		"not an object":       {`[]`, `want "{", found [`, ""},
		"findings not a list": {`{"run": {"id": "p", "as_of": "2026-10-01T06:00:00Z"}, "findings": {}}`, `want "[", found {`, "/findings"},
		"findings null":       {string(previousDoc("null")), `want "[", found null`, "/findings"},
		"findings first":      {`{"findings": [], "run": {"id": "p", "as_of": "2026-10-01T06:00:00Z"}}`, "before the run", "/findings"},
		"run not an object":   {`{"run": [], "findings": []}`, "cannot unmarshal array", "/run"},
		"broken after":        {strings.TrimSuffix(string(previousDoc("[]")), "}") + `, "x": }`, "invalid character '}'", "/x"},
		"duplicate member":    {strings.TrimSuffix(string(previousDoc("[]")), "}") + `, "resolved": []}`, "duplicate", "/resolved"},
		"text after":          {string(previousDoc("[]")) + ` {}`, "text after the document", ""},
		"garbage after":       {string(previousDoc("[]")) + ` x`, "invalid character 'x'", ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadStreaming(strings.NewReader(tt.doc), func([]audit.Finding) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if name != "accounts apart" {
				checkLocated(t, []byte(tt.doc), err, tt.pointer)
			}
		})
	}
	// No findings at all (no list or an empty one) is a run without findings.
	for _, doc := range []string{`{"run": {"id": "p", "as_of": "2026-10-01T06:00:00Z"}}`, string(previousDoc("[]"))} {
		calls := 0
		run, err := ReadStreaming(strings.NewReader(doc), func([]audit.Finding) error { calls++; return nil })
		if err != nil || run.Run.ID != "p" || calls != 0 {
			t.Errorf("%s: run %+v, %d calls, error %v", doc, run, calls, err)
		}
	}
}

// slice returns the findings of a run held in memory.
func slice(r *result.Run) result.Findings {
	fs, _ := r.Findings.(result.Findings)
	return fs
}

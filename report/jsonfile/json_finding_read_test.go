package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// sameFinding reports whether a and b are equal, times and their
// locations included.
func sameFinding(a, b *audit.Finding) bool {
	return reflect.DeepEqual(a, b)
}

// readAllPrevious reads doc's findings with next until it reports false
// or an error, then the rest of the document, and returns the findings
// and the error (nil when the whole document was read).
// r wraps the document's reader (nil: read it whole).
func readAllPrevious(doc []byte, r func(io.Reader) io.Reader) ([]audit.Finding, error) {
	var rd io.Reader = bytes.NewReader(doc)
	if r != nil {
		rd = r(rd)
	}
	p, err := NewReader(rd)
	if err != nil {
		return nil, err
	}
	var fs []audit.Finding
	for {
		var f audit.Finding
		ok, err := p.Next(&f)
		if err != nil {
			if ok2, err2 := p.Next(&f); ok2 || err2 == nil || err2.Error() != err.Error() {
				return fs, fmt.Errorf("next after %v: %v, %v", err, ok2, err2)
			}
			return fs, err
		}
		if !ok {
			if ok, err := p.Next(&f); ok || err != nil {
				return fs, errors.New("next after the end")
			}
			_, err := p.rest()
			return fs, err
		}
		fs = append(fs, f)
	}
}

// chunkings are the ways the tests feed a document to the reader.
var chunkings = map[string]func(io.Reader) io.Reader{
	"whole":    nil,
	"halves":   func(r io.Reader) io.Reader { return iotest.HalfReader(iotest.DataErrReader(r)) },
	"one byte": iotest.OneByteReader,
}

// previousDoc wraps findings text in a findings.json document.
func previousDoc(findings string) []byte {
	return []byte(`{"run": {"id": "p", "as_of": "2026-10-01T06:00:00Z"}, "accounts": [], "findings": ` +
		findings + `, "resolved": []}`)
}

// findingsStart is where previousDoc's list starts.
var findingsStart = int64(bytes.Index(previousDoc("[]"), []byte("[]")))

// checkLocated checks that err is a FindingsError inside doc: its
// offset within it and its pointer under pointer ("" for any).
func checkLocated(t testing.TB, doc []byte, err error, pointer string) *FindingsError {
	t.Helper()
	var fe *FindingsError
	if !errors.As(err, &fe) {
		t.Fatalf("document %q: error %v (%T), want a *FindingsError", doc, err, err)
	}
	if fe.Offset < 0 || fe.Offset > int64(len(doc)) {
		t.Fatalf("document %q: error at byte %d, outside the %d bytes", doc, fe.Offset, len(doc))
	}
	if pointer != "" && fe.Pointer != pointer {
		t.Fatalf("document %q: error %q at %q, want at %q", doc, err, fe.Pointer, pointer)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("findings.json at byte %d", fe.Offset)) {
		t.Fatalf("error %q does not say where it is", err)
	}
	return fe
}

// checkReadFindings writes fs as findings.json does and reads the list
// back, in every chunking: the findings must be what encoding/json
// reads (Read). A finding encoding/json rejects (a severity without
// a name) must be rejected too, located at its severity.
func checkReadFindings(t *testing.T, fs []audit.Finding) {
	t.Helper()
	list := []byte("[")
	var want []audit.Finding
	bad := -1
	for i := range fs {
		data, err := appendFindingJSON(nil, &fs[i])
		if err != nil {
			continue // not written: a time MarshalJSON rejects
		}
		var w audit.Finding
		if err := json.Unmarshal(data, &w); err != nil && bad < 0 {
			bad = len(want)
		}
		if len(want) > 0 {
			list = append(list, ",\n    "...)
		}
		list = append(list, data...)
		want = append(want, w)
	}
	doc := previousDoc(string(append(list, ']')))
	for name, chunk := range chunkings {
		got, err := readAllPrevious(doc, chunk)
		if bad >= 0 {
			checkLocated(t, doc, err, fmt.Sprintf("/findings/%d/severity", bad))
			want = want[:bad]
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: read %d findings, want %d", name, len(got), len(want))
		}
		for i := range got {
			if !sameFinding(&got[i], &want[i]) {
				t.Fatalf("%s: finding %d\ngot  %#v\nwant %#v", name, i, got[i], want[i])
			}
		}
	}
}

func TestReadFindingCases(t *testing.T) {
	for name, f := range findingCases() {
		t.Run(name, func(t *testing.T) { checkReadFindings(t, []audit.Finding{f}) })
	}
}

func TestReadFindingRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2025, 7))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	fs := make([]audit.Finding, 0, 100)
	for range n / 100 {
		fs = fs[:0]
		for range 100 {
			f := randJSONFinding(r)
			f.Severity = audit.Severities[r.IntN(len(audit.Severities))]
			fs = append(fs, f)
		}
		checkReadFindings(t, fs)
	}
}

// TestReadFindingInputs feeds hand-written findings: what encoding/json
// reads is read the same, and what it rejects is rejected with its
// place. json v2 is stricter than encoding/json where findings.json
// never goes: those inputs are listed apart, with the reason.
func TestReadFindingInputs(t *testing.T) {
	// Read as encoding/json reads them.
	same := []string{
		`{}`,
		" \t\r\n{ \t\r\n} \t\r\n",
		`{"account_id":"A","severity":"low","age_days":3}`,
		`{"account_id":"A","bogus":1,"more":{"x":[1,{"y":"]}"}]}}`,
		`{"exception":{"unknown":"a","reason":"r"}}`,
		`{"age_days":null,"since":null,"first_seen":null,"exception":null,"status":null,"severity":null}`,
		`{"detail":"\u00e9\u65e5\ud83d\ude80\/\"\\\b\f\n\r\t\u0000\u001f\u007f"}`,
		`{"detail":"\uDBFF\uDFFF\uFFFD\uFFFE"}`,
		`{"account_\u0069d":"A"}`,
		"{\"detail\":\"a\x7fb\"}",
		`{"age_days":-0}`,
		`{"age_days":0}`,
		`{"age_days":-9223372036854775808}`,
		`{"age_days":9223372036854775807}`,
		`{"since":"2024-06-01T12:00:00+00:00"}`,
		`{"since":"2024-06-01T12:00:00-00:00"}`,
		`{"since":"2024-06-01T12:00:00+05:30"}`,
		`{"since":"2024-06-01T12:00:00.1234567891234Z"}`,
		`{"since":"2024-06-01T12:00:00.000000000Z"}`,
		`{"since":"2024-06-01T12:00:00.5+23:59"}`,
		`{"since":"0000-01-01T00:00:00Z"}`,
		`{"since":"0001-01-01T00:00:00Z"}`,
		`{"exception":{}}`,
		`{"exception":{"expires":null,"account":null}}`,
		`{"exception":{"source":"s","expires":"2026-12-31T00:00:00Z","approved_by":"x","owner":"o","reason":"r","check":"c","principal":"p","account":"a"}}`,
		`{"status":"new","first_seen":"2024-01-02T00:00:00Z","since":"2023-05-17T09:41:02Z","security_hub":"IAM.3","cis":"1.14","detail":"d","age_days":412,"credential":"access_key_1","severity":"critical","check":"c","arn":"a","principal":"p","account_name":"n","account_id":"1"}`,
	}
	for _, in := range same {
		var want audit.Finding
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", in, err)
		}
		doc := previousDoc("[" + in + "]")
		got, err := readAllPrevious(doc, nil)
		if err != nil || len(got) != 1 || !sameFinding(&got[0], &want) {
			t.Errorf("%s: read %#v, %v; want %#v", in, got, err, want)
		}
	}

	// Rejected, with the pointer of the value at fault. Those marked
	// v1 encoding/json took; findings.json never holds them (Write
	// writes names exactly once, valid UTF-8, RFC 3339 times).
	rejected := []struct{ in, pointer string }{
		{`null`, "/findings/0"}, // v1: a zero finding
		{`[]`, "/findings/0"},
		{`"x"`, "/findings/0"},
		{`1`, "/findings/0"},
		{`{`, "/findings/0"},
		{`}`, "/findings/0"},
		{`{}}`, "/findings/1"},
		{`{} {}`, "/findings"},
		{`{},`, "/findings"},
		{`{"a"}`, "/findings/0/a"},
		{`{"account_id":"A","account_id":"B"}`, "/findings/0/account_id"},                    // v1: the last
		{`{"exception":{},"exception":null}`, "/findings/0/exception"},                       // v1: the last
		{`{"exception":{"reason":"a","reason":"b"}}`, "/findings/0/exception/reason"},        // v1: the last
		{`{"account_id":"A","account_\u0069d":"B"}`, "/findings/0/account_id"},               // v1: the last
		{`{"detail":"\ud800"}`, "/findings/0/detail"},                                        // v1: U+FFFD
		{`{"detail":"\udc00\ud800"}`, "/findings/0/detail"},                                  // v1: U+FFFD
		{`{"detail":"\ud800\u0041"}`, "/findings/0/detail"},                                  // v1: U+FFFD
		{"{\"detail\":\"\xff\xfe\xc3(\xed\xa0\x80\xf4\x90\x80\x80\"}", "/findings/0/detail"}, // v1: U+FFFD
		{`{"since":"2024-06-01T12:00:00+24:00"}`, "/findings/0/since"},                       // v1: +24:00
		{`{"since":"2024-06-01T12:00:00+05:60"}`, "/findings/0/since"},                       // v1: +06:00
		{`{"since":"2024-06-01T12:00:00,5Z"}`, "/findings/0/since"},                          // v1: .5
		{`{"since":"2024-06-01T1:00:00Z"}`, "/findings/0/since"},                             // v1: 01:00
		{`{"exception":[]}`, "/findings/0/exception"},
		{`{"exception":"x"}`, "/findings/0/exception"},
		{`{"account_id":1}`, "/findings/0/account_id"},
		{`{"account_id":true}`, "/findings/0/account_id"},
		{`{"account_id":["x"]}`, "/findings/0/account_id"},
		{`{"account_id":{}}`, "/findings/0/account_id"},
		{`{"age_days":"3"}`, "/findings/0/age_days"},
		{`{"age_days":1.5}`, "/findings/0/age_days"},
		{`{"age_days":1e3}`, "/findings/0/age_days"},
		{`{"age_days":1.0}`, "/findings/0/age_days"},
		{`{"age_days":01}`, "/findings/0"},
		{`{"age_days":-}`, "/findings/0/age_days"},
		{`{"age_days":--1}`, "/findings/0/age_days"},
		{`{"age_days":+1}`, "/findings/0/age_days"},
		{`{"age_days":9223372036854775808}`, "/findings/0/age_days"},
		{`{"age_days":-9223372036854775809}`, "/findings/0/age_days"},
		{`{"age_days":true}`, "/findings/0/age_days"},
		{`{"age_days":{}}`, "/findings/0/age_days"},
		{`{"age_days":nul}`, "/findings/0/age_days"},
		{`{"age_days":nulll}`, "/findings/0"},
		{`{"severity":"Low"}`, "/findings/0/severity"},
		{`{"severity":"severity(0)"}`, "/findings/0/severity"},
		{`{"severity":""}`, "/findings/0/severity"},
		{`{"severity":3}`, "/findings/0/severity"},
		{`{"since":""}`, "/findings/0/since"},
		{`{"since":"2024-06-01"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:00"}`, "/findings/0/since"},
		{`{"since":"2024-06-01t12:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:00z"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:00+0530"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:00.Z"}`, "/findings/0/since"},
		{`{"since":"2024-02-30T12:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2023-02-29T12:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2024-13-01T12:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T24:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:60Z"}`, "/findings/0/since"},
		{`{"since":"10000-06-01T12:00:00Z"}`, "/findings/0/since"},
		{`{"since":"2024-06-01T12:00:00Z "}`, "/findings/0/since"},
		{`{"since":1}`, "/findings/0/since"},
		{`{"since":{}}`, "/findings/0/since"},
		{`{"exception":{"expires":"soon"}}`, "/findings/0/exception/expires"},
		{`{"detail":"\x"}`, "/findings/0/detail"},
		{`{"detail":"\'"}`, "/findings/0/detail"},
		{`{"detail":"\u12"}`, "/findings/0/detail"},
		{`{"detail":"\u12G4"}`, "/findings/0/detail"},
		{`{"detail":"\ud800\u12G4"}`, "/findings/0/detail"},
		{"{\"detail\":\"a\nb\"}", "/findings/0/detail"},
		{"{\"detail\":\"a\x00b\"}", "/findings/0/detail"},
		{`{"detail":"abc}`, "/findings/0"},
		{`{"detail" "x"}`, "/findings/0/detail"},
		{`{"detail":"x" "cis":"y"}`, "/findings/0"},
		{`{"detail":"x",}`, "/findings/0"},
		{`{,"detail":"x"}`, "/findings/0"},
		{`{"detail":"x"]`, "/findings"},
		{`{"detail"::"x"}`, "/findings/0/detail"},
		{"{\"exception\": {\"owner\": \"x\"{\n        \"account\": \"y\"}}", "/findings/0/exception"},
		{"{\"detail\":\"x\"}\x00", "/findings"},
		{"\v{}", "/findings/0"},
	}
	for _, tt := range rejected {
		doc := previousDoc("[" + tt.in + "]")
		for name, chunk := range chunkings {
			got, err := readAllPrevious(doc, chunk)
			if len(got) != 0 && tt.pointer != "/findings/1" && tt.pointer != "/findings" {
				t.Errorf("%s (%s): read %d findings before the error", tt.in, name, len(got))
			}
			fe := checkLocated(t, doc, err, tt.pointer)
			if fe.Offset < findingsStart {
				t.Errorf("%s (%s): error at byte %d, before the list at %d", tt.in, name, fe.Offset, findingsStart)
			}
		}
	}

	// Member names are matched exactly, as json v2 does: v1 also took
	// them in another case. A name in another case is an unknown member,
	// ignored like any other (findings.json only ever adds members).
	for in, want := range map[string]audit.Finding{
		`{"Account_ID":"A","check":"c"}`:        {Check: "c"},
		`{"exception":{"Reason":"a"}}`:          {Exception: &audit.Exception{}},
		`{"ACCOUNT_ID":"X","account_id":"Y"}`:   {AccountID: "Y"},
		`{"since":"2024\u002d06-01T12:00:00Z"}`: {Since: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}, // v1 rejected the escape
	} {
		got, err := readAllPrevious(previousDoc("["+in+"]"), nil)
		if err != nil || len(got) != 1 || !sameFinding(&got[0], &want) {
			t.Errorf("%s: read %#v, %v; want %#v", in, got, err, want)
		}
	}
}

// TestFindingsErrorText checks the wording of a located error: the
// place once, in front, then the cause.
func TestFindingsErrorText(t *testing.T) {
	for in, want := range map[string]string{
		`{"age_days":"3"}`: "findings.json at byte 95 /findings/0/age_days: cannot read JSON string as audit.Days: json: cannot unmarshal string into Go value of type int",
		`{"severity":"x"}`: `findings.json at byte 95 /findings/0/severity: cannot read JSON string as audit.Severity: unknown severity "x"`,
		`{"a":1,"a":2}`:    "findings.json at byte 90 /findings/0/a: duplicate object member name",
		`{"detail":"x" 1}`: "findings.json at byte 97 /findings/0: invalid character '1' after object value (expecting ',' or '}')",
		`7`:                "findings.json at byte 83 /findings/0: a finding must be an object, found number",
	} {
		_, err := readAllPrevious(previousDoc("["+in+"]"), nil)
		if err == nil || err.Error() != want {
			t.Errorf("%s: error\n%v\nwant\n%s", in, err, want)
		}
	}
}

func previousTestRun(r *rand.Rand, n int) *result.Run {
	run := &result.Run{Run: result.RunInfo{ID: "prev", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}}
	for range n {
		f := randJSONFinding(r)
		if _, err := appendFindingJSON(nil, &f); err != nil {
			continue // Write cannot write it
		}
		f.Severity = audit.Severities[r.IntN(len(audit.Severities))]
		run.Findings = append(slice(run), f)
	}
	return run
}

// TestPreviousNextDocument reads a whole findings.json as Write
// writes it: the findings are those Read reads.
func TestPreviousNextDocument(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	run := previousTestRun(r, 400)
	for _, f := range findingCases() {
		if _, err := appendFindingJSON(nil, &f); err == nil && f.Severity >= audit.Low && f.Severity <= audit.Critical {
			run.Findings = append(slice(run), f)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	whole, err := Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for name, chunk := range chunkings {
		got, err := readAllPrevious(doc, chunk)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(slice(whole)) {
			t.Fatalf("%s: read %d findings, want %d", name, len(got), len(slice(whole)))
		}
		for i := range got {
			if !sameFinding(&got[i], &slice(whole)[i]) {
				t.Fatalf("%s: finding %d:\ngot  %#v\nwant %#v", name, i, got[i], slice(whole)[i])
			}
		}
	}
}

// checkDocument reads doc in every chunking and checks what holds for
// any input: the same result each time; an error is a located
// FindingsError; a document read without error is valid JSON.
func checkDocument(t testing.TB, doc []byte) ([]audit.Finding, error) {
	t.Helper()
	want, wantErr := readAllPrevious(doc, nil)
	for name, chunk := range chunkings {
		if chunk == nil {
			continue
		}
		got, err := readAllPrevious(doc, chunk)
		// The same findings and the same place of the error; its text
		// may quote what follows, which depends on what was read.
		if (err == nil) != (wantErr == nil) || offset(err) != offset(wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("document %q (%s): %d findings, error %v; read whole: %d, %v", doc, name, len(got), err, len(want), wantErr)
		}
	}
	if wantErr != nil {
		checkLocated(t, doc, wantErr, "")
	} else if !json.Valid(doc) {
		t.Fatalf("document %q is no JSON, but its findings were read", doc)
	}
	return want, wantErr
}

// offset is where err says the problem is, or -1.
func offset(err error) int64 {
	var fe *FindingsError
	if errors.As(err, &fe) {
		return fe.Offset
	}
	return -1
}

// TestPreviousNextDocuments reads lists of every kind, well formed or
// not, and documents without a list.
func TestPreviousNextDocuments(t *testing.T) {
	sample, _ := appendFindingJSON(nil, &audit.Finding{AccountID: "A", Severity: audit.Low, Detail: "d"})
	s := string(sample)
	want, _ := Read(bytes.NewReader(previousDoc("[" + s + "]")))
	one := slice(want)[0]
	for list, n := range map[string]int{
		`[]`: 0, `[ ]`: 0, `[` + s + `]`: 1, `[` + s + `,` + s + `]`: 2, " [\n" + s + " ,\n\t" + s + "\r\n]": 2,
		`[{}]`: 1, `[{},{}]`: 2,
	} {
		doc := previousDoc(list)
		got, err := checkDocument(t, doc)
		if err != nil || len(got) != n {
			t.Errorf("%s: read %d findings, %v; want %d", list, len(got), err, n)
		}
		for _, f := range got {
			if f.AccountID != "" && !sameFinding(&f, &one) {
				t.Errorf("%s: read %#v, want %#v", list, f, one)
			}
		}
	}
	// Broken lists: an error, after the findings before the fault.
	for list, before := range map[string]int{
		`[null]`: 0, `[null,` + s + `]`: 0, `[` + s + `,null]`: 1, `[null null]`: 0,
		`[1]`: 0, `[1x]`: 0, `[1 ` + s + `]`: 0, `["x"]`: 0, `[true]`: 0, `[[]]`: 0, `[[` + s + `]]`: 0, `[-]`: 0, `[nul]`: 0, `[nulx]`: 0,
		`[}`: 0, `[` + s + `}`: 1, `[` + s + ` ` + s + `]`: 1, `[` + s + `x]`: 1, `[` + s + `,]`: 1, `[` + s + `,}`: 1, `[,` + s + `]`: 0,
		`[` + s + `,,` + s + `]`: 1, `[{"account_id":"A"]`: 0, `[{"account_id":"A"]]`: 0, `[{"account_id" "A"}]`: 0,
		`[{"account_id":1}, ` + s + `]`: 0, `[{"severity":"nope"}]`: 0, `[{"since":"yesterday"}]`: 0,
		`[{"Account_ID":"X","account_id":"Y","account_id":"Z"}]`: 0, `[{"bogus":[1,{"a":"]}"}],"bogus":2}]`: 0,
		`[{"account_id":"A\"}]`: 0, `[{"account_id":"A\` + "\n" + `"}]`: 0,
		"[{\"account_id\":\"A\nB\"}]": 0, `[{"detail":"\u00"}]`: 0, `[{"detail":"\q"}]`: 0,
		`[{"age_days":1.5}]`: 0, `[{"age_days":12345678901234567890}]`: 0,
	} {
		for _, doc := range [][]byte{previousDoc(list), bytes.TrimSuffix(previousDoc(list), []byte(`, "resolved": []}`))} {
			got, err := checkDocument(t, doc)
			if err == nil || len(got) != before {
				t.Errorf("%q: read %d findings, %v; want %d and an error", doc, len(got), err, before)
			}
		}
	}
	// The same lists cut short, at the end of the document, also fail.
	for _, doc := range []string{``, `{`, `[]`, `{"findings": []}`, `{"run": {"as_of": "2026-10-01T06:00:00Z"}, "findings": null}`,
		`{"run": {"as_of": "2026-10-01T06:00:00Z"}, "run": {}, "findings": []}`, `{"run": 1}`, `{"accounts": {}}`} {
		if _, err := readAllPrevious([]byte(doc), nil); err == nil {
			t.Errorf("%s: read without error", doc)
		}
	}
	// A document without findings has none.
	if got, err := checkDocument(t, []byte(`{"run": {"as_of": "2026-10-01T06:00:00Z"}}`)); err != nil || len(got) != 0 {
		t.Errorf("no findings: read %d, %v", len(got), err)
	}
}

// TestPreviousNextTruncated cuts a small document at every length: each
// cut is an error (located inside what is left), and each finding read
// before it is whole.
func TestPreviousNextTruncated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	run := previousTestRun(r, 6)
	run.Findings = append(slice(run), jsonFindingSample())
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	whole, err := Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(doc, "\n"))
	for n := range end {
		cut := doc[:n]
		_, err := ReadStreaming(bytes.NewReader(cut), func([]audit.Finding) error { return nil })
		if err == nil {
			t.Fatalf("document cut at %d of %d read without error", n, len(doc))
		}
		got, _ := checkDocument(t, cut)
		for i := range got {
			if !sameFinding(&got[i], &slice(whole)[i]) {
				t.Fatalf("cut at %d: finding %d\ngot  %#v\nwant %#v", n, i, got[i], slice(whole)[i])
			}
		}
	}
}

// TestPreviousNextCorrupted changes bytes of a document at random.
func TestPreviousNextCorrupted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	run := previousTestRun(r, 5)
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	start := bytes.Index(doc, []byte(`"findings"`))
	n := 3000
	if testing.Short() {
		n = 300
	}
	special := []byte(`{}[]",:\ 0-1eEnul` + "\n\x00\xff")
	for range n {
		d := bytes.Clone(doc)
		for range 1 + r.IntN(3) {
			i := start + r.IntN(len(d)-start)
			if r.IntN(2) == 0 {
				d[i] = special[r.IntN(len(special))]
			} else {
				d[i] = byte(r.IntN(256))
			}
		}
		checkDocument(t, d)
	}
}

// TestPreviousNextReadError checks a reader that fails mid-document:
// its error comes through, located.
func TestPreviousNextReadError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	if err := Write(&buf, previousTestRun(r, 20)); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	boom := errors.New("boom")
	for _, n := range []int{len(doc) / 3, len(doc) / 2, len(doc) - 10} {
		_, err := readAllPrevious(doc[:n], func(r io.Reader) io.Reader { return io.MultiReader(r, iotest.ErrReader(boom)) })
		if !errors.Is(err, boom) {
			t.Fatalf("cut at %d: error %v, want boom", n, err)
		}
		checkLocated(t, doc[:n], err, "")
	}
}

// TestPreviousNextLarge has a finding of about 1.5 MB (six times the
// reader's 256 KiB buffer, as escaped JSON) between ordinary ones: it is
// read whole. (Several MiB take minutes under the race detector.)
func TestPreviousNextLarge(t *testing.T) {
	f := jsonFindingSample()
	big := f
	big.Detail = strings.Repeat("x<\u00e9>", 1<<18)
	run := &result.Run{Run: result.RunInfo{ID: "p", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)},
		Findings: result.Findings{f, big, f}}
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	for name, chunk := range chunkings {
		if name == "one byte" {
			// A byte at a time through several MiB takes minutes under
			// the race detector; the one-byte case reads a 64 KiB
			// finding below instead.
			continue
		}
		got, err := readAllPrevious(buf.Bytes(), chunk)
		if err != nil || len(got) != 3 || got[1].Detail != big.Detail || !sameFinding(&got[2], &got[0]) {
			t.Fatalf("%s: read %d findings, error %v", name, len(got), err)
		}
	}
	big.Detail = strings.Repeat("x<\u00e9>", 1<<14)
	run.Findings = result.Findings{f, big, f}
	buf.Reset()
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	got, err := readAllPrevious(buf.Bytes(), chunkings["one byte"])
	if err != nil || len(got) != 3 || got[1].Detail != big.Detail || !sameFinding(&got[2], &got[0]) {
		t.Fatalf("one byte: read %d findings, error %v", len(got), err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// TestPreviousNextStreams checks that the findings are read as they are
// asked for, not the document first: when the first finding of a
// 20 MB document is returned, little more than it has been read.
func TestPreviousNextStreams(t *testing.T) {
	run := &result.Run{Run: result.RunInfo{ID: "p", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}}
	f := jsonFindingSample()
	for range 40000 {
		run.Findings = append(slice(run), f)
	}
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: bytes.NewReader(buf.Bytes())}
	p, err := NewReader(cr)
	if err != nil {
		t.Fatal(err)
	}
	var got audit.Finding
	if ok, err := p.Next(&got); !ok || err != nil {
		t.Fatalf("next = %v, %v", ok, err)
	}
	if cr.n > 1<<20 || cr.n >= int64(buf.Len())/10 {
		t.Errorf("%d of %d bytes read for the first finding", cr.n, buf.Len())
	}
	for {
		ok, err := p.Next(&got)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	if cr.n != int64(buf.Len()) {
		t.Errorf("%d of %d bytes read at the end", cr.n, buf.Len())
	}
}

// FuzzPreviousNext reads any list: the same in every chunking, a
// located error or valid JSON.
func FuzzPreviousNext(f *testing.F) {
	sample, _ := appendFindingJSON(nil, &audit.Finding{AccountID: "A", Severity: audit.Low, Detail: "d\n"})
	f.Add("[" + string(sample) + "]")
	f.Add(`[{}, null, {"age_days": 1}]`)
	f.Add(`[{"account_id":"A"]`)
	f.Add(`[{"detail":"\ud800\udc00\ud800","age_days":-0,"exception":null}]`)
	f.Add(`[{"since":"2024-06-01T12:00:00.123+05:30","severity":null}]`)
	for _, fd := range findingCases() {
		if data, err := appendFindingJSON(nil, &fd); err == nil {
			f.Add("[" + string(data) + "]")
		}
	}
	f.Fuzz(func(t *testing.T, list string) {
		checkDocument(t, previousDoc(list))
	})
}

// benchPreviousDoc is a findings.json of n findings, 500 an account, as
// a run writes them.
func benchPreviousDoc(b *testing.B, n int) []byte {
	run := &result.Run{Run: result.RunInfo{ID: "p", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}}
	checks := []string{audit.AccessKeyNotRotated, audit.AccessKeyUnused, audit.ConsoleMFAMissing, audit.UserInactive}
	for i := range n {
		f := jsonFindingSample()
		f.AccountID = fmt.Sprintf("%012d", 100000000000+i/500)
		f.Principal = fmt.Sprintf("user-%05d", i/4)
		f.ARN = "arn:aws:iam::" + f.AccountID + ":user/" + f.Principal
		f.Check = checks[i%4]
		f.AgeDays = audit.DaysOf(i % 1000)
		audit.DefaultSLA().SetActionable(&f, run.Run.AsOf)
		if i%10 == 0 {
			f.Exception = &audit.Exception{Account: "*", Principal: "user-*", Check: f.Check, Reason: "accepted",
				Owner: "team", ApprovedBy: "ciso", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:3"}
		}
		run.Findings = append(slice(run), f)
	}
	var buf bytes.Buffer
	if err := Write(&buf, run); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkPreviousNext reads a findings.json of 20,000 findings with
// next ("new"), and with encoding/json's Decoder ("old", the reader
// before any of ours) for scale on a busy machine.
func BenchmarkPreviousNext(b *testing.B) {
	const n = 20000
	doc := benchPreviousDoc(b, n)
	bench := func(b *testing.B, read func(io.Reader) int) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if got := read(bytes.NewReader(doc)); got != n {
				b.Fatalf("read %d findings, want %d", got, n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/finding")
	}
	b.Run("old", func(b *testing.B) {
		bench(b, func(r io.Reader) int {
			run, err := Read(r)
			if err != nil {
				b.Fatal(err)
			}
			return len(slice(run))
		})
	})
	for _, skip := range []bool{false, true} {
		name := "new"
		if skip {
			name = "new-skip-derived"
		}
		b.Run(name, func(b *testing.B) {
			bench(b, func(r io.Reader) int {
				p, err := NewReader(r)
				if err != nil {
					b.Fatal(err)
				}
				if skip {
					p.SkipDerived()
				}
				count := 0
				for {
					var f audit.Finding
					ok, err := p.Next(&f)
					if err != nil {
						b.Fatal(err)
					}
					if !ok {
						return count
					}
					count++
				}
			})
		})
	}
}

// BenchmarkReadJSONFindings reads the same document as ReadStreaming
// does for notify: the findings one account at a time, then the rest.
func BenchmarkReadJSONFindings(b *testing.B) {
	const n = 20000
	doc := benchPreviousDoc(b, n)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		if _, err := ReadStreaming(bytes.NewReader(doc), func(fs []audit.Finding) error { count += len(fs); return nil }); err != nil || count != n {
			b.Fatalf("read %d findings, %v", count, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/finding")
}

// TestReaderSkipDerived: with SkipDerived, Next reads every member but
// those a run derives (id, remediation, due, overdue_days), which are
// left zero; a syntax error in one of them is still an error.
func TestReaderSkipDerived(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	full := audit.Finding{
		AccountID: "111111111111", AccountName: "prod", Principal: "user/alice", ARN: "arn:aws:iam::111111111111:user/alice",
		Check: audit.UserInactive, Severity: audit.Medium, Credential: "user", AgeDays: audit.DaysOf(120), Detail: "d",
		CIS: "1.12", SecurityHub: "IAM.8", Since: asOf.AddDate(0, -4, 0), Status: audit.StatusPersisting, FirstSeen: asOf.AddDate(0, -1, 0),
		Exception: &audit.Exception{Account: "*", Principal: "user/alice", Check: audit.UserInactive, Reason: "r", Owner: "o", Expires: asOf},
		ID:        "0123456789abcdef0123", Owner: "team-a", OwnerSource: "route", Due: asOf.AddDate(0, 2, 0), OverdueDays: audit.DaysOf(3),
		Remediation: "aws iam delete-login-profile --user-name 'alice'",
	}
	run := &result.Run{Run: result.RunInfo{ID: "r", AsOf: asOf}, Findings: result.Findings{full}}
	var doc bytes.Buffer
	if err := Write(&doc, run); err != nil {
		t.Fatal(err)
	}
	p, err := NewReader(bytes.NewReader(doc.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	p.SkipDerived()
	var got audit.Finding
	if ok, err := p.Next(&got); !ok || err != nil {
		t.Fatalf("Next = %v, %v", ok, err)
	}
	want := full
	want.ID, want.Remediation, want.Due, want.OverdueDays = "", "", time.Time{}, audit.Days{}
	if got.Exception == nil || *got.Exception != *want.Exception {
		t.Errorf("exception %+v, want %+v", got.Exception, want.Exception)
	}
	got.Exception, want.Exception = nil, nil
	if !got.Since.Equal(want.Since) || !got.FirstSeen.Equal(want.FirstSeen) {
		t.Errorf("times %v %v, want %v %v", got.Since, got.FirstSeen, want.Since, want.FirstSeen)
	}
	got.Since, got.FirstSeen, want.Since, want.FirstSeen = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("Next =\n%+v\nwant\n%+v", got, want)
	}
	if ok, err := p.Next(&got); ok || err != nil {
		t.Errorf("after the only finding: Next = %v, %v", ok, err)
	}

	// A skipped member is still checked as JSON.
	broken := `{"run": {"id": "r", "as_of": "2026-11-01T06:00:00Z"}, "findings": [{"account_id": "1", "severity": "low", "remediation": tru}]}`
	p, err = NewReader(strings.NewReader(broken))
	if err != nil {
		t.Fatal(err)
	}
	p.SkipDerived()
	if _, err := p.Next(&got); err == nil {
		t.Error("a skipped member with invalid JSON was accepted")
	}
}

// TestSkipDerivedHidesOnlyDerived: the decoding type of SkipDerived
// hides exactly the derived fields of audit.Finding, by their JSON names,
// so that a field added to Finding is read by it too.
func TestSkipDerivedHidesOnlyDerived(t *testing.T) {
	tagOf := func(f reflect.StructField) string { name, _, _ := strings.Cut(f.Tag.Get("json"), ","); return name }
	finding := map[string]string{}
	ft := reflect.TypeFor[audit.Finding]()
	for i := range ft.NumField() {
		finding[ft.Field(i).Name] = tagOf(ft.Field(i))
	}
	st := reflect.TypeFor[findingSkipDerived]()
	var hidden []string
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous {
			continue
		}
		if finding[f.Name] != tagOf(f) {
			t.Errorf("%s hides %q, but Finding.%s is %q", f.Name, tagOf(f), f.Name, finding[f.Name])
		}
		hidden = append(hidden, f.Name)
	}
	if got := strings.Join(hidden, " "); got != "ID Remediation Due OverdueDays" {
		t.Errorf("hidden fields %s, want ID Remediation Due OverdueDays", got)
	}
}

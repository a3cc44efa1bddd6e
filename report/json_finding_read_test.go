package report

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
)

// unmarshalFinding is what parseFindingJSON must agree with.
func unmarshalFinding(data []byte) (audit.Finding, error) {
	var f audit.Finding
	err := json.Unmarshal(data, &f)
	return f, err
}

// sameFinding reports whether a and b are equal, times and their
// locations included.
func sameFinding(a, b *audit.Finding) bool {
	return reflect.DeepEqual(a, b)
}

// checkParse checks parseFindingJSON against json.Unmarshal on data and
// returns whether the fast path took it.
func checkParse(t testing.TB, data []byte) bool {
	t.Helper()
	want, wantErr := unmarshalFinding(data)
	var got audit.Finding
	if !parseFindingJSON(data, &got) {
		return false
	}
	if wantErr != nil {
		t.Fatalf("parseFindingJSON took %q, which json.Unmarshal rejects: %v", data, wantErr)
	}
	if !sameFinding(&got, &want) {
		t.Fatalf("parseFindingJSON(%q)\ngot  %#v\nwant %#v", data, got, want)
	}
	return true
}

// checkParseFinding encodes f as findings.json does and checks that the
// fast path reads it back as json.Unmarshal does; every encoding that
// json.Unmarshal accepts must take the fast path.
func checkParseFinding(t *testing.T, f *audit.Finding) {
	t.Helper()
	data, err := appendFindingJSON(nil, f)
	if err != nil {
		return // not written: a time MarshalJSON rejects
	}
	_, wantErr := unmarshalFinding(data)
	if !checkParse(t, data) && wantErr == nil {
		t.Fatalf("parseFindingJSON declined its own encoding %s", data)
	}
}

func jsonReadCases() map[string]audit.Finding {
	local := time.Now().Location()
	_, off := time.Now().Zone()
	plus := time.FixedZone("plus", 5*3600+30*60)
	minus := time.FixedZone("minus", -(9*3600 + 15*60))
	zero := time.FixedZone("zero", 0)
	localOff := time.FixedZone("like local", off)
	exc := &audit.Exception{
		Account: "*", Principal: "svc-*", Check: audit.AccessKeyNotRotated,
		Reason: "vendor <integration> & \"legacy\"\n", Owner: "team-a", ApprovedBy: "ciso",
		Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:12",
	}
	edit := func(fn func(f *audit.Finding)) audit.Finding {
		f := jsonFindingSample()
		fn(&f)
		return f
	}
	all := ""
	for b := range 256 {
		all += string([]byte{byte(b)})
	}
	return map[string]audit.Finding{
		"zero":        {},
		"sample":      jsonFindingSample(),
		"html":        edit(func(f *audit.Finding) { f.Detail = "<script>alert('x')</script> & more" }),
		"quotes":      edit(func(f *audit.Finding) { f.Principal = `a"b\c/d` }),
		"short esc":   edit(func(f *audit.Finding) { f.Detail = "a\nb\rc\td\be\ff" }),
		"controls":    edit(func(f *audit.Finding) { f.Detail = "\x00\x01\x1a\x1f\x7f end" }),
		"invalid":     edit(func(f *audit.Finding) { f.Detail = "a\xffb\xc3(c\xe2\x82d\xf0\x9f\x98e\xed\xa0\x80" }),
		"multibyte":   edit(func(f *audit.Finding) { f.AccountName = "Zürich 日本 🚀 \u00a0\ufeff\U0010ffff" }),
		"u2028":       edit(func(f *audit.Finding) { f.Detail = "a\u2028b\u2029c\u202a" }),
		"replacement": edit(func(f *audit.Finding) { f.Detail = "\ufffd literal" }),
		"all bytes":   edit(func(f *audit.Finding) { f.AccountID, f.Detail, f.Status = all, strings.Repeat(all, 3), all }),
		"age null":    edit(func(f *audit.Finding) { f.AgeDays = audit.Days{N: 7} }),
		"age zero":    edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(0) }),
		"age neg":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(-42) }),
		"age 18":      edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(999999999999999999) }),
		"age 19":      edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(1000000000000000000) }),
		"age max":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(int(^uint(0) >> 1)) }),
		"age min":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(-int(^uint(0)>>1) - 1) }),
		"sev low":     edit(func(f *audit.Finding) { f.Severity = audit.Low }),
		"sev high":    edit(func(f *audit.Finding) { f.Severity = audit.High }),
		"sev crit":    edit(func(f *audit.Finding) { f.Severity = audit.Critical }),
		"sev zero":    edit(func(f *audit.Finding) { f.Severity = 0 }),
		"sev unknown": edit(func(f *audit.Finding) { f.Severity = 200 }),
		"no since":    edit(func(f *audit.Finding) { f.Since = time.Time{} }),
		"no status":   edit(func(f *audit.Finding) { f.Status = "" }),
		"no first":    edit(func(f *audit.Finding) { f.FirstSeen = time.Time{} }),
		"nanos":       edit(func(f *audit.Finding) { f.Since = time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC) }),
		"nanos trail": edit(func(f *audit.Finding) { f.Since = time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC) }),
		"nanos one":   edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 2, 29, 23, 59, 59, 1, time.UTC) }),
		"zone plus":   edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 500, plus) }),
		"zone minus":  edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 6, 1, 12, 0, 0, 0, minus) }),
		"zone zero":   edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 6, 1, 12, 0, 0, 0, zero) }),
		"zone local":  edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, local) }),
		"zone winter": edit(func(f *audit.Finding) { f.Since = time.Date(2024, 1, 1, 12, 0, 0, 0, local) }),
		"zone like":   edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, localOff) }),
		"monotonic":   edit(func(f *audit.Finding) { f.FirstSeen = time.Now() }),
		"year 0":      edit(func(f *audit.Finding) { f.Since = time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC) }),
		"year 1":      edit(func(f *audit.Finding) { f.Since = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"year 1900":   edit(func(f *audit.Finding) { f.Since = time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC) }),
		"year 2000":   edit(func(f *audit.Finding) { f.Since = time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC) }),
		"year 9999":   edit(func(f *audit.Finding) { f.Since = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }),
		"year 10000":  edit(func(f *audit.Finding) { f.Since = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"exception":   edit(func(f *audit.Finding) { f.Exception = exc }),
		"exception zero": edit(func(f *audit.Finding) {
			f.Exception = &audit.Exception{}
		}),
		"exception only": {Exception: exc},
		"exception zoned": edit(func(f *audit.Finding) {
			e := *exc
			e.Expires = time.Date(2027, 1, 1, 0, 0, 0, 7, minus)
			e.Source = "exc\u2029.yaml:<1>"
			f.Exception = &e
		}),
	}
}

func TestParseFindingJSONCases(t *testing.T) {
	for name, f := range jsonReadCases() {
		t.Run(name, func(t *testing.T) { checkParseFinding(t, &f) })
	}
}

func TestParseFindingJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2025, 7))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		f := randJSONFinding(r)
		checkParseFinding(t, &f)
	}
}

// TestParseFindingJSONInputs feeds hand-written objects: the fast path
// must either take them and agree with json.Unmarshal, or decline them.
func TestParseFindingJSONInputs(t *testing.T) {
	fast := []string{
		`{}`,
		" \t\r\n{ \t\r\n} \t\r\n",
		`{"account_id":"A","severity":"low","age_days":3}`,
		`{"age_days":null,"since":null,"first_seen":null,"exception":null,"status":null,"severity":null}`,
		`{"detail":"\u00e9\u65e5\ud83d\ude80\/\"\\\b\f\n\r\t\u0000\u001f\u007f"}`,
		`{"detail":"\ud800"}`,
		`{"detail":"\udc00\ud800"}`,
		`{"detail":"\ud800\u0041"}`,
		`{"detail":"\ud800\ud800\udc00"}`,
		`{"detail":"\uDBFF\uDFFF\uFFFD\uFFFE"}`,
		`{"detail":"\ud800\\u0041"}`,
		"{\"detail\":\"a\x7fb\"}",
		"{\"detail\":\"\xff\xfe\xc3(\xe2\x82\xf0\x9f\x98\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80\"}",
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
	for _, in := range fast {
		if !checkParse(t, []byte(in)) {
			t.Errorf("parseFindingJSON declined %s", in)
		}
	}
	// Inputs the fast path leaves to json.Unmarshal, which takes some
	// (the value there is what it gives) and rejects the rest.
	declined := []string{
		``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `}`, `{}}`, `{} {}`, `{},`, `{"a"}`,
		`{"account_id":"A","bogus":1}`,
		`{"Account_ID":"A"}`,
		`{"ACCOUNT_ID":"A"}`,
		`{"account_\u0069d":"A"}`,
		`{"account_id":"A","account_id":"B"}`,
		`{"exception":{},"exception":null}`,
		`{"exception":{"reason":"a","reason":"b"}}`,
		`{"exception":{"Reason":"a"}}`,
		`{"exception":{"unknown":"a"}}`,
		`{"exception":[]}`,
		`{"exception":"x"}`,
		`{"account_id":1}`,
		`{"account_id":true}`,
		`{"account_id":["x"]}`,
		`{"account_id":{}}`,
		`{"age_days":"3"}`,
		`{"age_days":1.5}`,
		`{"age_days":1e3}`,
		`{"age_days":1.0}`,
		`{"age_days":01}`,
		`{"age_days":-}`,
		`{"age_days":--1}`,
		`{"age_days":+1}`,
		`{"age_days":9223372036854775808}`,
		`{"age_days":-9223372036854775809}`,
		`{"age_days":true}`,
		`{"age_days":nul}`,
		`{"age_days":nulll}`,
		`{"severity":"Low"}`,
		`{"severity":"lo\u0077"}`,
		`{"severity":"severity(0)"}`,
		`{"severity":""}`,
		`{"severity":3}`,
		`{"since":""}`,
		`{"since":"2024-06-01"}`,
		`{"since":"2024-06-01T12:00:00"}`,
		`{"since":"2024-06-01t12:00:00Z"}`,
		`{"since":"2024-06-01T12:00:00z"}`,
		`{"since":"2024-06-01T12:00:00+24:00"}`,
		`{"since":"2024-06-01T12:00:00+05:60"}`,
		`{"since":"2024-06-01T12:00:00+0530"}`,
		`{"since":"2024-06-01T12:00:00.Z"}`,
		`{"since":"2024-06-01T12:00:00,5Z"}`,
		`{"since":"2024-06-01T1:00:00Z"}`,
		`{"since":"2024-02-30T12:00:00Z"}`,
		`{"since":"2023-02-29T12:00:00Z"}`,
		`{"since":"2024-13-01T12:00:00Z"}`,
		`{"since":"2024-06-01T24:00:00Z"}`,
		`{"since":"2024-06-01T12:00:60Z"}`,
		`{"since":"10000-06-01T12:00:00Z"}`,
		`{"since":"2024\u002d06-01T12:00:00Z"}`,
		`{"since":"2024-06-01T12:00:00Z "}`,
		`{"since":1}`,
		`{"since":{}}`,
		`{"detail":"\x"}`,
		`{"detail":"\'"}`,
		`{"detail":"\u12"}`,
		`{"detail":"\u12G4"}`,
		`{"detail":"\ud800\u12G4"}`,
		"{\"detail\":\"a\nb\"}",
		"{\"detail\":\"a\x00b\"}",
		`{"detail":"abc}`,
		`{"detail":"abc\"}`,
		`{"detail" "x"}`,
		`{"detail":"x" "cis":"y"}`,
		`{"detail":"x",}`,
		`{,"detail":"x"}`,
		`{"detail":"x"]`,
		`{"detail"::"x"}`,
		"{\"cis\": \"x\"{\n      \"account_id\": \"y\"}",
		"{\"cis\": \"x\",\n      \"account_id\": \"y\"{\n      \"account_name\": \"z\"}",
		"{\"exception\": {\"owner\": \"x\"{\n        \"account\": \"y\"}}",
		"{\n      \"exception\": {\n        \"account\": \"y\"{\n        \"account\": \"y\"}}",
		"{\"detail\":\"x\"}\x00",
		"{\"detail\":\"x\"}\v",
		"\v{}",
	}
	for _, in := range declined {
		data := []byte(in)
		if checkParse(t, data) {
			// Taking it is fine when json.Unmarshal agrees (checked);
			// these are meant to be declined, so say so.
			t.Errorf("parseFindingJSON took %q, expected it declined", in)
		}
	}
}

// oldPreviousRun is the findings reader before parseFindingJSON: a
// json.Decoder for the whole document. The tests compare next with it.
type oldPreviousRun struct {
	dec    *json.Decoder
	inList bool
}

func oldOpenPrevious(r io.Reader) (*oldPreviousRun, error) {
	p := &oldPreviousRun{dec: json.NewDecoder(r)}
	var run RunInfo
	var accounts []Account
	if err := expectDelim(p.dec, '{'); err != nil {
		return nil, err
	}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("findings.json: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "run":
			if err := p.dec.Decode(&run); err != nil {
				return nil, fmt.Errorf("findings.json run: %w", err)
			}
		case "accounts":
			if err := p.dec.Decode(&accounts); err != nil {
				return nil, fmt.Errorf("findings.json accounts: %w", err)
			}
		case "findings":
			if run.AsOf.IsZero() {
				return nil, errors.New("findings.json: findings come before the run they belong to")
			}
			if err := expectDelim(p.dec, '['); err != nil {
				return nil, err
			}
			p.inList = true
			return p, nil
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("findings.json %s: %w", key, err)
			}
		}
	}
	return p, nil
}

func (p *oldPreviousRun) next(f *audit.Finding) (bool, error) {
	if !p.inList {
		return false, nil
	}
	if !p.dec.More() {
		p.inList = false
		if _, err := p.dec.Token(); err != nil { // ]
			return false, fmt.Errorf("findings.json findings: %w", err)
		}
		return false, nil
	}
	if err := p.dec.Decode(f); err != nil {
		return false, fmt.Errorf("findings.json findings: %w", err)
	}
	return true, nil
}

// readAllPrevious reads doc's findings with next until it reports false
// or an error, and returns what it read and the error text.
func readAllPrevious(doc []byte, chunked bool) ([]audit.Finding, string) {
	var r io.Reader = bytes.NewReader(doc)
	if chunked {
		r = iotest.HalfReader(iotest.DataErrReader(r))
	}
	p, err := openPrevious(r)
	if err != nil {
		return nil, "open: " + err.Error()
	}
	var fs []audit.Finding
	for {
		var f audit.Finding
		ok, err := p.next(&f)
		if err != nil {
			return fs, err.Error()
		}
		if !ok {
			if ok, err := p.next(&f); ok || err != nil {
				return fs, "next after the end"
			}
			return fs, ""
		}
		fs = append(fs, f)
	}
}

func oldReadAllPrevious(doc []byte) ([]audit.Finding, string) {
	p, err := oldOpenPrevious(bytes.NewReader(doc))
	if err != nil {
		return nil, "open: " + err.Error()
	}
	var fs []audit.Finding
	for {
		var f audit.Finding
		ok, err := p.next(&f)
		if err != nil {
			return fs, err.Error()
		}
		if !ok {
			return fs, ""
		}
		fs = append(fs, f)
	}
}

// checkPrevious compares next with the old reader on doc, fed whole and
// in small pieces.
func checkPrevious(t testing.TB, doc []byte) {
	t.Helper()
	want, wantErr := oldReadAllPrevious(doc)
	for _, chunked := range []bool{false, true} {
		got, gotErr := readAllPrevious(doc, chunked)
		if gotErr != wantErr {
			t.Fatalf("document %q (chunked %v):\nerror %q\nwant  %q", doc, chunked, gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("document %q (chunked %v): %d findings, want %d", doc, chunked, len(got), len(want))
		}
		for i := range got {
			if !sameFinding(&got[i], &want[i]) {
				t.Fatalf("document %q (chunked %v): finding %d\ngot  %#v\nwant %#v", doc, chunked, i, got[i], want[i])
			}
		}
	}
}

func previousTestRun(r *rand.Rand, n int) *Run {
	run := &Run{Run: RunInfo{ID: "prev", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}}
	for range n {
		f := randJSONFinding(r)
		if _, err := appendFindingJSON(nil, &f); err != nil {
			continue // WriteJSON cannot write it
		}
		f.Severity = audit.Severities[r.IntN(len(audit.Severities))]
		run.Findings = append(run.Findings, f)
	}
	return run
}

func TestPreviousNextDocument(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	run := previousTestRun(r, 400)
	for _, f := range jsonReadCases() {
		if _, err := appendFindingJSON(nil, &f); err == nil && f.Severity >= audit.Low && f.Severity <= audit.Critical {
			run.Findings = append(run.Findings, f)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	whole, err := ReadJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, chunked := range []bool{false, true} {
		got, gotErr := readAllPrevious(doc, chunked)
		if gotErr != "" {
			t.Fatal(gotErr)
		}
		if len(got) != len(whole.Findings) {
			t.Fatalf("read %d findings, want %d", len(got), len(whole.Findings))
		}
		for i := range got {
			if !sameFinding(&got[i], &whole.Findings[i]) {
				t.Fatalf("finding %d:\ngot  %#v\nwant %#v", i, got[i], whole.Findings[i])
			}
		}
	}
	checkPrevious(t, doc)
}

// previousDoc wraps findings text in a findings.json document.
func previousDoc(findings string) []byte {
	return []byte(`{"run": {"id": "p", "as_of": "2026-10-01T06:00:00Z"}, "accounts": [], "findings": ` +
		findings + `, "resolved": []}`)
}

// TestPreviousNextDocuments compares next with the old reader on lists
// of every kind, well formed or not.
func TestPreviousNextDocuments(t *testing.T) {
	sample, _ := appendFindingJSON(nil, &audit.Finding{AccountID: "A", Severity: audit.Low, Detail: "d"})
	s := string(sample)
	lists := []string{
		`[]`, `[ ]`, `[` + s + `]`, `[` + s + `,` + s + `]`, " [\n" + s + " ,\n\t" + s + "\r\n]",
		`[{}]`, `[{},{}]`, `[null]`, `[null,` + s + `]`, `[` + s + `,null]`, `[null null]`,
		`[1]`, `[1x]`, `[1 ` + s + `]`, `["x"]`, `[true]`, `[[]]`, `[[` + s + `]]`, `[-]`, `[nul]`, `[nulx]`,
		`[}`, `[` + s + `}`, `[` + s + ` ` + s + `]`, `[` + s + `x]`, `[` + s + `,]`, `[` + s + `,}`, `[,` + s + `]`,
		`[` + s + `,,` + s + `]`, `[{"account_id":"A"]`, `[{"account_id":"A"]]`, `[{"account_id" "A"}]`,
		`[{"account_id":1}, ` + s + `]`, `[{"severity":"nope"}]`, `[{"since":"yesterday"}]`,
		`[{"Account_ID":"X","ACCOUNT_ID":"Y"}]`, `[{"bogus":[1,{"a":"]}"}]}]`,
		`[{"account_id":"A\"}]`, `[{"account_id":"A\\"}]`, `[{"account_id":"A\` + "\n" + `"}]`,
		"[{\"account_id\":\"A\nB\"}]", `[{"detail":"\u00"}]`, `[{"detail":"\q"}]`,
		`[{"age_days":1.5}]`, `[{"age_days":12345678901234567890}]`,
	}
	for _, l := range lists {
		checkPrevious(t, previousDoc(l))
		// The same list cut short: at the end of the document.
		checkPrevious(t, previousDoc(l)[:len(previousDoc(l))-len(`, "resolved": []}`)])
	}
	for _, doc := range []string{``, `{}`, `{"findings": []}`, `{"run": {"as_of": "2026-10-01T06:00:00Z"}, "findings": null}`} {
		checkPrevious(t, []byte(doc))
	}
}

// TestPreviousNextTruncated cuts a small document at every length.
func TestPreviousNextTruncated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	run := previousTestRun(r, 6)
	run.Findings = append(run.Findings, jsonFindingSample())
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	// Cut inside the list, the document is an error; cut before it,
	// openPrevious may take it for one without findings.
	start := bytes.Index(doc, []byte(`"findings": [`)) + len(`"findings": [`)
	end := bytes.Index(doc, []byte("\n  ],\n  \"resolved\"")) + len("\n  ]")
	for n := range len(doc) + 1 {
		checkPrevious(t, doc[:n])
		_, gotErr := readAllPrevious(doc[:n], false)
		if start <= n && n < end && gotErr == "" {
			t.Fatalf("document cut at %d of %d read without error", n, len(doc))
		}
	}
}

// TestPreviousNextCorrupted changes bytes of a document at random.
func TestPreviousNextCorrupted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	run := previousTestRun(r, 5)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
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
		checkPrevious(t, d)
	}
}

// TestPreviousNextReadError checks a reader that fails mid-document.
func TestPreviousNextReadError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, previousTestRun(r, 20)); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	boom := errors.New("boom")
	for _, n := range []int{len(doc) / 3, len(doc) / 2, len(doc) - 10} {
		read := func(open func(io.Reader) (func(*audit.Finding) (bool, error), error)) string {
			next, err := open(io.MultiReader(bytes.NewReader(doc[:n]), iotest.ErrReader(boom)))
			if err != nil {
				return err.Error()
			}
			for {
				var f audit.Finding
				ok, err := next(&f)
				if err != nil {
					if !errors.Is(err, boom) {
						return "not boom: " + err.Error()
					}
					return err.Error()
				}
				if !ok {
					return ""
				}
			}
		}
		got := read(func(r io.Reader) (func(*audit.Finding) (bool, error), error) {
			p, err := openPrevious(r)
			if err != nil {
				return nil, err
			}
			return p.next, nil
		})
		want := read(func(r io.Reader) (func(*audit.Finding) (bool, error), error) {
			p, err := oldOpenPrevious(r)
			if err != nil {
				return nil, err
			}
			return p.next, nil
		})
		if got != want {
			t.Errorf("cut at %d: error %q, want %q", n, got, want)
		}
	}
}

// TestPreviousNextLarge has one finding larger than maxFindingJSON, read
// by the json.Decoder fallback, between ordinary ones.
func TestPreviousNextLarge(t *testing.T) {
	f := jsonFindingSample()
	big := f
	big.Detail = strings.Repeat("x<\u00e9>", maxFindingJSON/4)
	run := &Run{Run: RunInfo{ID: "p", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)},
		Findings: []audit.Finding{f, big, f}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	got, gotErr := readAllPrevious(buf.Bytes(), false)
	if gotErr != "" || len(got) != 3 || got[1].Detail != big.Detail || !sameFinding(&got[2], &got[0]) {
		t.Fatalf("read %d findings, error %q", len(got), gotErr)
	}
	checkPrevious(t, buf.Bytes())
}

func FuzzParseFindingJSON(f *testing.F) {
	for _, fd := range jsonReadCases() {
		if data, err := appendFindingJSON(nil, &fd); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"detail":"\ud800\udc00\ud800","age_days":-0,"exception":null}`))
	f.Add([]byte(`{"since":"2024-06-01T12:00:00.123+05:30","severity":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data)
	})
}

// FuzzPreviousNext compares next with the old reader on any list.
func FuzzPreviousNext(f *testing.F) {
	sample, _ := appendFindingJSON(nil, &audit.Finding{AccountID: "A", Severity: audit.Low, Detail: "d\n"})
	f.Add("[" + string(sample) + "]")
	f.Add(`[{}, null, {"age_days": 1}]`)
	f.Add(`[{"account_id":"A"]`)
	f.Fuzz(func(t *testing.T, list string) {
		checkPrevious(t, previousDoc(list))
	})
}

// BenchmarkPreviousNext reads a findings.json of 20,000 findings with
// next, and with the json.Decoder it replaces.
func BenchmarkPreviousNext(b *testing.B) {
	const n = 20000
	run := &Run{Run: RunInfo{ID: "p", AsOf: time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)}}
	checks := []string{audit.AccessKeyNotRotated, audit.AccessKeyUnused, audit.ConsoleMFAMissing, audit.UserInactive}
	for i := range n {
		f := jsonFindingSample()
		f.AccountID = fmt.Sprintf("%012d", 100000000000+i/500)
		f.Principal = fmt.Sprintf("user-%05d", i/4)
		f.ARN = "arn:aws:iam::" + f.AccountID + ":user/" + f.Principal
		f.Check = checks[i%4]
		f.AgeDays = audit.DaysOf(i % 1000)
		if i%10 == 0 {
			f.Exception = &audit.Exception{Account: "*", Principal: "user-*", Check: f.Check, Reason: "accepted",
				Owner: "team", ApprovedBy: "ciso", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:3"}
		}
		run.Findings = append(run.Findings, f)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, run); err != nil {
		b.Fatal(err)
	}
	doc := buf.Bytes()
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
			p, err := oldOpenPrevious(r)
			if err != nil {
				b.Fatal(err)
			}
			count := 0
			for {
				var f audit.Finding
				ok, err := p.next(&f)
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
	b.Run("new", func(b *testing.B) {
		bench(b, func(r io.Reader) int {
			p, err := openPrevious(r)
			if err != nil {
				b.Fatal(err)
			}
			count := 0
			for {
				var f audit.Finding
				ok, err := p.next(&f)
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

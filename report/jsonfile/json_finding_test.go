package jsonfile

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// checkJSONFinding compares appendFindingJSON with json.MarshalIndent,
// bytes and error, and checks that dst's existing bytes are kept.
func checkJSONFinding(t *testing.T, f *audit.Finding) {
	t.Helper()
	want, wantErr := json.MarshalIndent(f, findingPrefix, findingIndent)
	head := []byte("[head]")
	got, gotErr := appendFindingJSON(head, f)
	if wantErr != nil || gotErr != nil {
		if wantErr == nil || gotErr == nil || wantErr.Error() != gotErr.Error() {
			t.Fatalf("error mismatch for %#v:\ngot  %v\nwant %v", f, gotErr, wantErr)
		}
		if string(got) != "[head]" {
			t.Fatalf("on error dst = %q, want it unchanged", got)
		}
		return
	}
	if !bytes.HasPrefix(got, []byte("[head]")) {
		t.Fatalf("dst prefix clobbered: %q", got)
	}
	got = got[len("[head]"):]
	if !bytes.Equal(got, want) {
		t.Fatalf("mismatch for %#v:\ngot  %s\nwant %s\ngot  %q\nwant %q", f, got, want, got, want)
	}
}

func jsonFindingSample() audit.Finding {
	return audit.Finding{
		AccountID:   "123456789012",
		AccountName: "prod-payments",
		Principal:   "svc-deploy",
		ARN:         "arn:aws:iam::123456789012:user/svc-deploy",
		Check:       audit.AccessKeyNotRotated,
		Severity:    audit.Medium,
		Credential:  "access_key_1",
		AgeDays:     audit.DaysOf(412),
		Detail:      "access key 1 last rotated 412 days ago (limit 90)",
		CIS:         "1.14",
		SecurityHub: "IAM.3",
		Since:       time.Date(2023, 5, 17, 9, 41, 2, 0, time.UTC),
		Status:      audit.StatusPersisting,
		FirstSeen:   time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
	}
}

func TestJSONFindingCases(t *testing.T) {
	cases := findingCases()
	for name, f := range cases {
		t.Run(name, func(t *testing.T) { checkJSONFinding(t, &f) })
	}
}

// TestJSONFindingInList checks the finding in the place Write puts it:
// inside a list that is a member of the top-level object.
func TestJSONFindingInList(t *testing.T) {
	f := jsonFindingSample()
	f.Exception = &audit.Exception{Account: "*", Reason: "x"}
	doc := struct {
		Findings []audit.Finding `json:"findings"`
	}{[]audit.Finding{f, f}}
	want, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := []byte("{\n  \"findings\": [\n    ")
	got, _ = appendFindingJSON(got, &f)
	got = append(got, ",\n    "...)
	got, _ = appendFindingJSON(got, &f)
	got = append(got, "\n  ]\n}"...)
	if !bytes.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// jsonFindingPieces are the fragments random strings are built from.
var jsonFindingPieces = []string{
	"", "a", "svc-deploy", "arn:aws:iam::123456789012:user/", " ", "0123456789",
	"<", ">", "&", `"`, `\`, "/", "'", "\x7f",
	"\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1b", "\x1f",
	"\xff", "\xfe", "\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf",
	"é", "ü", "日本", "🚀", "\ufffd", "\u00a0", "\ufeff", "\u2027", "\u2028", "\u2029", "\u202a",
	"\U0010ffff",
}

func randJSONString(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	var sb strings.Builder
	for range r.IntN(12) {
		if r.IntN(3) == 0 {
			sb.WriteByte(byte(r.IntN(256)))
			continue
		}
		sb.WriteString(jsonFindingPieces[r.IntN(len(jsonFindingPieces))])
	}
	return sb.String()
}

var jsonFindingZones = []*time.Location{
	time.UTC,
	time.FixedZone("plus", 5*3600+30*60),
	time.FixedZone("minus", -(9*3600 + 15*60)),
	time.FixedZone("odd", 3600+59),
	time.FixedZone("neg", -59),
	time.FixedZone("max", 23*3600+59*60),
	time.FixedZone("day", 24*3600),
}

func randJSONTime(r *rand.Rand) time.Time {
	switch r.IntN(8) {
	case 0, 1:
		return time.Time{}
	case 2:
		// Any instant, far outside [0,9999] too.
		return time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9)).In(jsonFindingZones[r.IntN(len(jsonFindingZones))])
	}
	t := time.Date(1990+r.IntN(50), time.Month(1+r.IntN(12)), 1+r.IntN(31),
		r.IntN(24), r.IntN(60), r.IntN(60), 0, jsonFindingZones[r.IntN(len(jsonFindingZones)-1)])
	switch r.IntN(4) {
	case 0:
		t = t.Add(time.Duration(r.IntN(1e9)))
	case 1:
		t = t.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	}
	return t
}

func randJSONFinding(r *rand.Rand) audit.Finding {
	f := audit.Finding{
		AccountID:   randJSONString(r),
		AccountName: randJSONString(r),
		Principal:   randJSONString(r),
		ARN:         randJSONString(r),
		Check:       randJSONString(r),
		Severity:    audit.Severity(r.IntN(7)),
		Credential:  randJSONString(r),
		Detail:      randJSONString(r),
		CIS:         randJSONString(r),
		SecurityHub: randJSONString(r),
		Since:       randJSONTime(r),
		Status:      randJSONString(r),
		FirstSeen:   randJSONTime(r),
	}
	if r.IntN(2) == 0 {
		f.AgeDays = audit.DaysOf(int(r.Int64N(1<<20)) - 1<<10)
	} else {
		f.AgeDays.N = r.IntN(5)
	}
	if r.IntN(2) == 0 {
		f.ID = randJSONString(r)
		f.Owner = randJSONString(r)
		f.OwnerSource = randJSONString(r)
		f.Due = randJSONTime(r)
		f.Remediation = randJSONString(r)
	}
	switch r.IntN(3) {
	case 0:
		f.OverdueDays = audit.DaysOf(r.IntN(400))
	case 1:
		f.OverdueDays.N = r.IntN(3) // zero, or not valid but not zero
	}
	if r.IntN(3) == 0 {
		f.Exception = &audit.Exception{
			Account:    randJSONString(r),
			Principal:  randJSONString(r),
			Check:      randJSONString(r),
			Reason:     randJSONString(r),
			Owner:      randJSONString(r),
			ApprovedBy: randJSONString(r),
			Expires:    randJSONTime(r),
			Source:     randJSONString(r),
		}
	}
	return f
}

func TestJSONFindingRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 6))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		f := randJSONFinding(r)
		checkJSONFinding(t, &f)
	}
}

func FuzzAppendFindingJSON(f *testing.F) {
	f.Add("svc-deploy", "access key 1 last rotated 412 days ago", int64(1700000000), int32(0), 5)
	f.Add("<a&b>", "line\nbreak\ttab\b\f\x00", int64(0), int32(-3600), -1)
	f.Add("\xff\xc3(", "\u2028\u2029日本🚀", int64(253402300800), int32(86400), 0)
	f.Fuzz(func(t *testing.T, principal, detail string, unix int64, offset int32, age int) {
		fd := jsonFindingSample()
		fd.Principal, fd.Detail = principal, detail
		fd.AgeDays = audit.Days{N: age, Valid: age >= 0}
		if unix != 0 {
			fd.Since = time.Unix(unix, unix%1e9).In(time.FixedZone("z", int(offset)))
		} else {
			fd.Since = time.Time{}
		}
		if len(detail)%2 == 1 {
			fd.Exception = &audit.Exception{Principal: principal, Reason: detail, Expires: fd.Since}
		}
		checkJSONFinding(t, &fd)
	})
}

func BenchmarkAppendFindingJSON(b *testing.B) {
	f := jsonFindingSample()
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = appendFindingJSON(dst[:0], &f)
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkMarshalIndentFinding(b *testing.B) {
	f := jsonFindingSample()
	var n int
	b.ReportAllocs()
	for b.Loop() {
		data, err := json.MarshalIndent(&f, findingPrefix, findingIndent)
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.SetBytes(int64(n))
}

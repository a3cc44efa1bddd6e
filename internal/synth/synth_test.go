package synth

import (
	"bytes"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
)

func TestWriteParsesAndIsDeterministic(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	var a, b bytes.Buffer
	if err := Write(&a, "123456789012", 200, asOf, 7); err != nil {
		t.Fatal(err)
	}
	Write(&b, "123456789012", 200, asOf, 7)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two reports with the same seed differ")
	}
	rows, err := credreport.Parse(a.Bytes(), "123456789012")
	if err != nil {
		t.Fatalf("generated report does not parse: %v", err)
	}
	if len(rows) != 201 || !rows[0].IsRoot() {
		t.Errorf("got %d rows (first %q), want root + 200 users", len(rows), rows[0].User)
	}
}

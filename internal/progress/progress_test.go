package progress

import (
	"bytes"
	"testing"
)

func TestLine(t *testing.T) {
	var out bytes.Buffer
	l := New(&out)
	l.Write([]byte("first log line\n"))
	l.Set("accounts 1/3")
	l.Write([]byte("second log line\n"))
	l.Set("accounts 2/3")
	l.Done()
	want := "first log line\n" + clear + "accounts 1/3" + clear + "second log line\n" + "accounts 1/3" + clear + "accounts 2/3" + clear
	if got := out.String(); got != want {
		t.Errorf("output = %q\nwant     %q", got, want)
	}
}

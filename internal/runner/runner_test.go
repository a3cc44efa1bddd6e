package runner

import (
	"errors"
	"testing"
)

// TestSpoolErrorText: the error names the runs left in the spool, or,
// when the spool itself could not be read, says only that.
func TestSpoolErrorText(t *testing.T) {
	cause := errors.New("permission denied")
	tests := []struct {
		err  SpoolError
		want string
	}{
		{SpoolError{Dir: "/out/.spool", Runs: []string{"r1", "r2"}, Err: cause}, "archive spool: 2 earlier runs still in /out/.spool: permission denied"},
		{SpoolError{Dir: "/out/.spool", Err: cause}, "archive spool /out/.spool: permission denied"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want || !errors.Is(&tt.err, cause) {
			t.Errorf("Error() = %q, want %q (wrapping the cause)", got, tt.want)
		}
	}
}

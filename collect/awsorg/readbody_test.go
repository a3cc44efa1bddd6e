package awsorg

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestReadBody reads bodies whose Content-Length is right, absent, wrong
// or hostile: the bytes are always those of the body, and an announced
// length never allocates more than maxPresize up front.
func TestReadBody(t *testing.T) {
	page := strings.Repeat("<member>x</member>", 1000)
	tests := []struct {
		name   string
		body   io.Reader
		length int64
		want   string
		err    bool
	}{
		{name: "length announced", body: strings.NewReader(page), length: int64(len(page)), want: page},
		{name: "no length", body: strings.NewReader(page), length: -1, want: page},
		{name: "body longer than announced", body: strings.NewReader(page), length: 10, want: page},
		{name: "body shorter than announced", body: strings.NewReader("abc"), length: 1000, want: "abc"},
		{name: "huge length announced", body: strings.NewReader("abc"), length: 1 << 40, want: "abc"},
		{name: "empty", body: strings.NewReader(""), length: 0, want: ""},
		{name: "read error", body: io.MultiReader(strings.NewReader("ab"), errReader{}), length: 10, want: "ab", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBody(tt.body, tt.length)
			if (err != nil) != tt.err || !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("readBody() = %.40q, %v; want %.40q, error %v", got, err, tt.want, tt.err)
			}
			if tt.length > 0 && tt.length <= maxPresize && len(tt.want) <= int(tt.length) && cap(got) != int(tt.length)+1 {
				t.Errorf("cap = %d, want the announced %d + 1 (no growth)", cap(got), tt.length)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

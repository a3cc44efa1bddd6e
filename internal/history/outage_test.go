package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/result"
)

// outageStore is a Store over run folders whose reads of some runs fail
// as S3's do in an outage: at Open, or after some bytes of the body (a
// cut connection). Its files are streams, so OpenFindings copies them.
type outageStore struct {
	Local
	down map[string]bool // run IDs that cannot be read
	// after is the number of bytes read before the body fails; negative
	// means Open fails.
	after int
}

func (s outageStore) Open(ctx context.Context, r Run, path string) (io.ReadCloser, error) {
	if s.down[r.Manifest.RunID] && s.after < 0 {
		return nil, fmt.Errorf("s3://bucket/%s/%s: %w: StatusCode: 503, ServiceUnavailable", r.Manifest.RunID, path, ErrUnavailable)
	}
	f, err := s.Local.Open(ctx, r, path)
	if err != nil || !s.down[r.Manifest.RunID] {
		return struct{ io.ReadCloser }{f}, err
	}
	return cutBody{io.LimitReader(f, int64(s.after)), f}, nil
}

// cutBody reads its first bytes, then fails as a cut connection does.
type cutBody struct {
	r io.Reader
	io.Closer
}

func (b cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("%w: read: connection reset by peer", ErrUnavailable)
	}
	return n, err
}

// TestBaselinesOutage: an earlier run that cannot be read because its
// store is unavailable is read from another store's copy, checked
// against the same manifest; when no copy can be read, Baselines fails
// with an error naming the run, rather than pass it over and so report
// every finding as new. A run that is tampered with is still passed over.
func TestBaselinesOutage(t *testing.T) {
	const a, b = "111111111111", "222222222222"
	ok := result.StatusCollected
	// The archive has r1 (audited b) and r5 (audited a); the local run
	// folders have copies of them, or not.
	archive, local, empty := t.TempDir(), t.TempDir(), t.TempDir()
	for _, root := range []string{archive, local} {
		writeRunFolder(t, root, runWith("r1", day(1), "", map[string]string{a: ok, b: ok}))
		writeRunFolder(t, root, runWith("r5", day(5), "", map[string]string{a: ok}))
	}
	tampered := t.TempDir()
	writeRunFolder(t, tampered, runWith("r5", day(5), "", map[string]string{a: ok}))
	os.WriteFile(filepath.Join(tampered, "2026", "01", "r5", "findings.json"), []byte(`{"run":{}}`), 0o644)

	down := func(ids ...string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	tests := []struct {
		name   string
		stores []Store
		need   map[string]bool
		want   []string // the baselines' run IDs
		// wantErr: Baselines fails as Unavailable, naming this run.
		wantErr string
		wantLog string
	}{
		{name: "archive refuses, local copy read",
			stores: []Store{outageStore{Local{archive}, down("r5"), -1}, Local{local}}, want: []string{"r5"}},
		{name: "connection cut mid-file, local copy read",
			stores: []Store{outageStore{Local{archive}, down("r5"), 100}, Local{local}}, want: []string{"r5"}},
		{name: "older run's head unreadable, local copy read",
			stores: []Store{outageStore{Local{archive}, down("r1"), 10}, Local{local}}, need: map[string]bool{a: true, b: true},
			want: []string{"r5", "r1"}},
		{name: "archive refuses, no local copy",
			stores: []Store{outageStore{Local{archive}, down("r5"), -1}, Local{empty}}, wantErr: "r5"},
		{name: "connection cut, no local copy",
			stores: []Store{outageStore{Local{archive}, down("r5"), 100}, Local{empty}}, wantErr: "r5"},
		{name: "no Union: the one store refuses",
			stores: []Store{outageStore{Local{archive}, down("r5"), -1}}, wantErr: "r5"},
		{name: "older run's head unreadable, no local copy",
			stores: []Store{outageStore{Local{archive}, down("r1"), 10}, Local{empty}}, need: map[string]bool{a: true, b: true}, wantErr: "r1"},
		{name: "archive refuses, local copy tampered: still an outage",
			stores: []Store{outageStore{Local{archive}, down("r5"), -1}, Local{tampered}}, wantErr: "r5"},
		{name: "tampered, no outage: passed over",
			stores: []Store{Local{tampered}, Local{archive}}, want: []string{"r1"}, wantLog: "does not match its manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			var s Store = &Union{Stores: tt.stores}
			if len(tt.stores) == 1 {
				s = tt.stores[0]
			}
			earlier, err := Baselines(context.Background(), s, log, day(10), "cur", Need{Accounts: tt.need}, t.TempDir())
			var got []string
			for _, f := range earlier {
				got = append(got, f.RunID)
				if _, err := f.audited(); err != nil {
					t.Errorf("baseline %s unreadable: %v", f.RunID, err)
				}
				f.Close()
			}
			if tt.wantErr != "" {
				if err == nil || !Unavailable(err) || !strings.Contains(err.Error(), "earlier run "+tt.wantErr+" ") || earlier != nil {
					t.Fatalf("Baselines() = %v, %v; want no baseline and an outage naming run %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("Baselines() = %v, %v; want %v; log:\n%s", got, err, tt.want, logs.String())
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

// TestUnavailable: outages and the end of the context are outages, also
// wrapped and joined; anything else is not.
func TestUnavailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("findings.json does not match its manifest"), false},
		{fmt.Errorf("run r5: %w", ErrUnavailable), true},
		{errors.Join(errors.New("tampered"), fmt.Errorf("x: %w", ErrUnavailable)), true},
		{fmt.Errorf("run r5: %w", context.Canceled), true},
		{context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}

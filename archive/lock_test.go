package archive_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
)

// TestLock runs against versitygw: two reporters sharing a bucket never
// hold the run lease at once, an expired lease is taken over, and a
// released one is free again. The bucket has Object Lock, so the lease
// must work without ever deleting its object.
func TestLock(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, lockedBucket, testPrefix(t))
	a, b := openArchiver(t, c, t.TempDir()), openArchiver(t, c, t.TempDir())

	la, err := a.Lock(ctx, "host-a", time.Hour)
	if err != nil {
		t.Fatalf("first Lock() = %v", err)
	}
	_, err = b.Lock(ctx, "host-b", time.Hour)
	if !errors.Is(err, archive.ErrLocked) || !strings.Contains(err.Error(), "host-a") {
		t.Fatalf("second Lock() = %v, want ErrLocked naming host-a", err)
	}
	if err := la.Renew(ctx); err != nil {
		t.Fatalf("Renew() = %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatalf("Release() = %v", err)
	}
	lb, err := b.Lock(ctx, "host-b", time.Hour)
	if err != nil {
		t.Fatalf("Lock() after release = %v", err)
	}
	if err := la.Renew(ctx); err == nil {
		t.Error("the old holder renewed a lease another reporter now holds")
	}
	lb.Release(ctx)

	// Runs are still listed normally: the lease object is not a run.
	runs, err := a.Runs(ctx, time.Time{})
	if err != nil || len(runs) != 0 {
		t.Errorf("Runs() = %v, %v; want no runs", runs, err)
	}
}

func TestLockExpiredLeaseIsTakenOver(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, plainBucket, testPrefix(t))
	a := openArchiver(t, c, t.TempDir())
	if _, err := a.Lock(ctx, "crashed-host", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // let the 1 ms lease expire
	b := openArchiver(t, c, t.TempDir())
	if _, err := b.Lock(ctx, "host-b", time.Hour); err != nil {
		t.Fatalf("Lock() over an expired lease = %v", err)
	}
}

func TestLockContention(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, lockedBucket, testPrefix(t))
	const contenders = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range contenders {
		a := openArchiver(t, c, t.TempDir())
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Lock(ctx, "host-"+string(rune('a'+i)), time.Hour)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, archive.ErrLocked):
				t.Errorf("Lock() = %v, want success or ErrLocked", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d reporters hold the lease, want exactly 1", won)
	}
}

// TestLockHolders: two processes alike in host, pid and version (two
// containers with the same hostname, both pid 1, one image) are two
// holders: the second does not take over the first's unexpired lease.
// Within one process the holder stays the same.
func TestLockHolders(t *testing.T) {
	one, two := archive.HolderOf("audit-host", 1, "v1.2.3"), archive.HolderOf("audit-host", 1, "v1.2.3")
	if one == two {
		t.Fatalf("HolderOf twice = %q both: two processes alike in the rest must differ", one)
	}
	for _, h := range []string{one, two} {
		if !strings.HasPrefix(h, "audit-host pid 1 (v1.2.3) ") || len(h) <= len("audit-host pid 1 (v1.2.3) ")+8 {
			t.Errorf("holder %q lacks the host, pid, version and a random suffix", h)
		}
	}
	if a, b := archive.Holder("v1"), archive.Holder("v1"); a != b {
		t.Errorf("Holder in one process = %q, then %q; want the same", a, b)
	}

	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, lockedBucket, testPrefix(t))
	first, err := openArchiver(t, c, t.TempDir()).Lock(ctx, one, time.Hour)
	if err != nil {
		t.Fatalf("Lock(%q) = %v", one, err)
	}
	defer first.Release(ctx)
	if _, err := openArchiver(t, c, t.TempDir()).Lock(ctx, two, time.Hour); !errors.Is(err, archive.ErrLocked) || !strings.Contains(err.Error(), one) {
		t.Fatalf("Lock(%q) over %q's lease = %v, want ErrLocked naming it", two, one, err)
	}
	if err := first.Renew(ctx); err != nil {
		t.Errorf("the first holder lost its lease: Renew() = %v", err)
	}
}

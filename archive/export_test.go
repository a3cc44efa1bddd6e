package archive

import "context"

// SetVersionPageSize makes ListObjectVersions return n entries a page
// until the returned function is called.
func SetVersionPageSize(n int32) (restore func()) {
	saved := versionPageSize
	versionPageSize = n
	return func() { versionPageSize = saved }
}

// SetManifestLimit makes the archive refuse a manifest.json of more than
// n bytes read from S3 until the returned function is called.
func SetManifestLimit(n int64) (restore func()) {
	saved := manifestLimit
	manifestLimit = n
	return func() { manifestLimit = saved }
}

// SetMaxPutObject makes the archive refuse files of more than n bytes
// until the returned function is called.
func SetMaxPutObject(n int64) (restore func()) {
	saved := maxPutObject
	maxPutObject = n
	return func() { maxPutObject = saved }
}

// LockSpoolEntry takes the lock of a spool entry as a's upload of it
// does, for a test to play another reporter.
func LockSpoolEntry(ctx context.Context, a *Archiver, entry string) (unlock func(), gone bool, err error) {
	return a.lockEntry(ctx, entry)
}

// HolderOf is the holder of a process on host with pid and version, with
// a suffix of its own as Holder draws it once per process: it stands for
// another process alike in all the rest.
func HolderOf(host string, pid int, version string) string {
	return holderOf(host, pid, version, randomSuffix())
}

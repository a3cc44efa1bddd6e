package archive

// SetVersionPageSize makes ListObjectVersions return n entries a page
// until the returned function is called.
func SetVersionPageSize(n int32) (restore func()) {
	saved := versionPageSize
	versionPageSize = n
	return func() { versionPageSize = saved }
}

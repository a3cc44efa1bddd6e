package history

import (
	"os"
	"syscall"
	"time"
)

// changeTime returns the inode change time of fi, which writing to the
// file sets and its owner cannot set back.
func changeTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctimespec.Unix())
	}
	return time.Time{}
}

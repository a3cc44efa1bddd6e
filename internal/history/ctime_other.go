//go:build !linux && !darwin

package history

import (
	"os"
	"time"
)

// changeTime is the zero time where the inode change time is not read:
// the size and modification time remain.
func changeTime(os.FileInfo) time.Time { return time.Time{} }

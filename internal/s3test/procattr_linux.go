package s3test

import "syscall"

// sysProcAttr kills versitygw when the test binary dies without cleaning
// up (a test timeout panics past t.Cleanup).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal with the kernel's interface (ptmx,
// unlock, number) and returns its controller and its terminal side. It
// skips the test where the system has none.
func openPTY(t *testing.T) (controller, term *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), req, uintptr(arg)); errno != 0 {
			return errno
		}
		return nil
	}
	var unlock int32
	var n uint32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		ctl.Close()
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		ctl.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ctl.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return ctl, term
}

// TestRunOnTerminal runs an audit with stderr on a pseudo-terminal:
// --log-format auto writes text there (not JSON), and the progress line
// shows accounts done out of the total.
func TestRunOnTerminal(t *testing.T) {
	for _, format := range []string{"auto", "text"} {
		t.Run(format, func(t *testing.T) {
			ctl, term := openPTY(t)
			defer ctl.Close()
			var screen bytes.Buffer
			read := make(chan struct{})
			go func() {
				io.Copy(&screen, ctl) // ends with EIO once the terminal side is closed
				close(read)
			}()
			var stdout bytes.Buffer
			code := run(context.Background(), []string{"run", "--source", "sample", "--out", t.TempDir(), "--log-format", format}, &stdout, term)
			term.Close()
			<-read
			if code != exitOK {
				t.Fatalf("exit %d; stdout:\n%s\nterminal:\n%s", code, stdout.String(), screen.String())
			}
			got := screen.String()
			if !strings.Contains(got, "level=INFO msg=") || strings.Contains(got, `"msg":`) {
				t.Errorf("log on the terminal is not text:\n%s", got)
			}
			if !strings.Contains(got, "\r\x1b[Kaudited 5/5 accounts") {
				t.Errorf("terminal shows no progress line:\n%q", got)
			}
			if strings.Contains(got, "audit progress") {
				t.Errorf("a terminal got the periodic progress log line:\n%s", got)
			}
		})
	}
}

// Package progress keeps a one-line progress indicator at the bottom of a
// terminal while log lines scroll above it.
package progress

import (
	"fmt"
	"io"
	"sync"
)

// Line is a progress line on a terminal. Log output written through it
// is printed above the line, which is then redrawn.
type Line struct {
	mu   sync.Mutex
	w    io.Writer
	text string
}

// New returns a Line drawing on w (a terminal).
func New(w io.Writer) *Line { return &Line{w: w} }

const clear = "\r\033[K"

// Write prints p (whole log lines) above the progress line.
func (l *Line) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.text != "" {
		fmt.Fprint(l.w, clear)
	}
	n, err := l.w.Write(p)
	if l.text != "" {
		fmt.Fprint(l.w, l.text)
	}
	return n, err
}

// Set replaces the progress text.
func (l *Line) Set(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = fmt.Sprintf(format, args...)
	fmt.Fprint(l.w, clear+l.text)
}

// Done erases the progress line.
func (l *Line) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.text != "" {
		fmt.Fprint(l.w, clear)
		l.text = ""
	}
}

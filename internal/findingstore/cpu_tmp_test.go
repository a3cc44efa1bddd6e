package findingstore

import (
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var cpu0 time.Duration

func cpuStart() { cpu0 = cpuNow() }

func cpuReport(b *testing.B, n int) {
	b.ReportMetric(float64((cpuNow()-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/finding")
}

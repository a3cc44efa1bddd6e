package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// heapPeak writes a heap profile of the collector when its live heap is
// the highest seen: it samples the heap every heapSample and keeps the
// profile of the highest sample (the profile's in-use figures are those
// of the last GC before it).
type heapPeak struct {
	path    string
	done    chan struct{}
	stopped chan error
}

// heapSample is how often the live heap is read.
const heapSample = 200 * time.Millisecond

// watchHeap starts watching; stop writes the profile to path.
func watchHeap(path string) *heapPeak {
	runtime.MemProfileRate = 64 * 1024
	h := &heapPeak{path: path, done: make(chan struct{}), stopped: make(chan error, 1)}
	go h.watch()
	return h
}

func (h *heapPeak) watch() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var best uint64
	var profile bytes.Buffer
	tick := time.NewTicker(heapSample)
	defer tick.Stop()
	for {
		select {
		case <-h.done:
			h.stopped <- os.WriteFile(h.path, profile.Bytes(), 0o644)
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		live := sample[0].Value.Uint64()
		if live <= best+best/20 { // 5 % above the best, so as not to profile at every tick
			continue
		}
		best = live
		profile.Reset()
		if err := pprof.Lookup("heap").WriteTo(&profile, 0); err != nil {
			h.stopped <- err
			return
		}
	}
}

// stop ends the watch and writes the profile of the peak.
func (h *heapPeak) stop() error {
	close(h.done)
	return <-h.stopped
}

package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// applyMemoryLimit sets the runtime's soft memory limit for a worker. Merged
// apply tasks carry up to 16 MiB of changes each and the garbage collector,
// left at GOGC=100, lets the heap grow to twice what is live after a burst of
// them; the limit makes it collect sooner instead. GOMEMLIMIT, when set,
// wins, as the runtime already read it.
func applyMemoryLimit(mib int, log *slog.Logger) {
	if mib <= 0 || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(mib) << 20)
	log.Info("memory limit set", "memory_limit_mib", mib)
}

//go:build unix

package detect

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used. On
// shared machines it measures work where wall time also measures waiting.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

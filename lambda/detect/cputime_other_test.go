//go:build !unix

package detect

import "time"

// processCPU is not measured on this system; the cpu-ns/op metric is then 0.
func processCPU() time.Duration { return 0 }

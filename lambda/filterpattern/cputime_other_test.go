//go:build !unix

package filterpattern

import "time"

// cpuTime is unavailable here; the pipeline benchmark then reports no
// floor-ratio.
func cpuTime() time.Duration { return 0 }

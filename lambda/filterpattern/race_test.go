//go:build race

package filterpattern

// raceEnabled is set under the race detector, which makes sync.Pool drop
// items on purpose.
const raceEnabled = true

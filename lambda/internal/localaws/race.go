//go:build race

package localaws

// RaceEnabled reports whether this binary was built with -race, so that the bootstrap built for
// the tests uses the same flags and reuses the build cache.
const RaceEnabled = true

//go:build race

package localaws

// raceEnabled reports whether this binary was built with -race, so that the bootstrap built for
// the tests uses the same flags and reuses the build cache.
const raceEnabled = true

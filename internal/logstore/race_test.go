//go:build race

package logstore

// raceEnabled shortens the randomized tests, which the race detector
// slows tenfold.
const raceEnabled = true

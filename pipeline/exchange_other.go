//go:build !linux

package pipeline

// exchange is not available here: replacing a run takes two renames.
func exchange(a, b string) error { return errNoExchange }

//go:build !linux

package redistest

import "os/exec"

// dieWithTest has no equivalent off Linux; t.Cleanup still stops the
// server when the test ends normally.
func dieWithTest(*exec.Cmd) {}

package logging

// Keys every process puts on all of its lines. They are added once, with
// With, so no call site may use them for anything else: a JSON line with
// the same key twice is rejected or silently overwritten by log pipelines.
// docs/operations.md lists every key wabsp writes.
const (
	// KeyAppVersion is the version of the running binary.
	KeyAppVersion = "app_version"
	// KeyRole is the process role: serve, work, schedule, all, migrate or demo.
	KeyRole = "role"
)

// ProcessKeys are the keys the process logger carries on every line.
var ProcessKeys = []string{KeyAppVersion, KeyRole}

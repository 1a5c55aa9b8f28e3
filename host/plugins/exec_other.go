//go:build !linux

package plugins

import "os/exec"

// configureCmd has nothing to add where the kernel cannot tie a child's life to
// its parent; the host's own shutdown stops its plugins.
func configureCmd(*exec.Cmd) {}

package plugins

import (
	"os/exec"
	"syscall"
)

// configureCmd makes the kernel kill the plugin if the host dies without
// cleaning up (SIGKILL, OOM): a second line of defence against orphans behind
// the host's own shutdown.
func configureCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package plugins

import (
	"os/exec"
	"syscall"
)

// configureCmd makes the kernel kill the plugin if the host dies without
// cleaning up (SIGKILL, OOM): a second line of defence against orphans behind
// the host's own shutdown. The plugin gets a process group of its own, so a
// signal sent to the host's group (Ctrl-C in a terminal, a supervisor's
// SIGTERM) reaches only the host, which then stops its plugins in order.
func configureCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

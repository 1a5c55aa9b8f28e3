package benche2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Process is a server started by the benchmark.
type Process struct {
	Cmd  *exec.Cmd
	Base string // http://host:port it listens on
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs bin and waits until it prints "listening on http://...".
func Start(bin string, args, env []string, logs io.Writer) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case base := <-found:
		return &Process{Cmd: cmd, Base: base}, nil
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start %s: not listening after a minute", bin)
	}
}

// Stop interrupts the process and waits for it.
func (p *Process) Stop() {
	_ = p.Cmd.Process.Signal(os.Interrupt)
	_ = p.Cmd.Wait()
}

// Children returns the pids of the process's direct children (the host's
// plugin processes), from every thread of it.
func Children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var pids []int
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// RSS returns the resident set and its peak (VmHWM) of a process in MiB.
func RSS(pid int) (rss, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// CPU returns the processor time a process has used (user and system).
func CPU(pid int) time.Duration { return cpuTicks(pid, 2) }

// reapedCPU is CPU with the time of the process's children that it has
// waited for: a PostgreSQL postmaster's backends that have ended.
func reapedCPU(pid int) time.Duration { return cpuTicks(pid, 4) }

// cpuTicks sums n fields of /proc/pid/stat from utime on: utime, stime,
// cutime, cstime.
func cpuTicks(pid, n int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 11+n {
		return 0
	}
	var sum int64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseInt(v, 10, 64)
		sum += t
	}
	const ticks = 100 // USER_HZ
	return time.Duration(sum) * time.Second / ticks
}

// TreeCPU is the processor time of a process and its direct children.
func TreeCPU(pid int) time.Duration { return treeCPU(pid, CPU) }

// ServerCPU is the processor time of a database server with one process per
// connection (PostgreSQL's postmaster): its own, its live children's and
// that of the children it has reaped.
func ServerCPU(pid int) time.Duration { return treeCPU(pid, reapedCPU) }

// treeCPU is own(pid) and the processor time of pid's live children.
func treeCPU(pid int, own func(int) time.Duration) time.Duration {
	total := own(pid)
	for _, c := range Children(pid) {
		total += CPU(c)
	}
	return total
}

// ParentPID returns the parent of a process, or 0 when it cannot be read.
func ParentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

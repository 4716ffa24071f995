package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

// proc is a child process of the harness: a peer server, the upstream or
// the bare proxy.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
	// stopSig is the signal that stops it gracefully (nginx: SIGQUIT).
	stopSig os.Signal
}

// startProc starts cmd with its output in dir/<name>.log. When listenLine
// is set, it waits for a line "<listenLine> listening on <addr>" on stdout
// and returns addr; otherwise it waits until addr accepts connections.
func startProc(ctx context.Context, dir, name string, cmd *exec.Cmd, listenLine, addr string) (*proc, string, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer logf.Close()
	cmd.Stderr = logf
	cmd.SysProcAttr = gateproc.ChildAttr()
	var lines chan string
	if listenLine != "" {
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, "", err
		}
		lines = make(chan string, 4)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				default:
				}
			}
			io.Copy(io.Discard, stdout)
			close(lines)
		}()
	} else {
		cmd.Stdout = logf
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logPath, stopSig: syscall.SIGTERM}
	go func() { cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if lines != nil {
			select {
			case line, ok := <-lines:
				if !ok {
					p.stop()
					return nil, "", fmt.Errorf("%s exited before listening; see %s", name, logPath)
				}
				if rest, ok := strings.CutPrefix(line, listenLine+" listening on "); ok {
					return p, rest, nil
				}
				continue
			case <-time.After(50 * time.Millisecond):
			}
		} else {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				return p, addr, nil
			}
			select {
			case <-p.done:
				return nil, "", fmt.Errorf("%s exited before listening; see %s", name, logPath)
			case <-time.After(20 * time.Millisecond): // waiting for a child to listen
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			p.stop()
			return nil, "", fmt.Errorf("%s did not listen within 30s (%v); see %s", name, ctx.Err(), logPath)
		}
	}
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop stops the process gracefully, killing it after 5 s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(p.stopSig)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago,
// for the peers that cannot report the port they chose.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuTicks returns utime+stime of pid from /proc/<pid>/stat, in clock
// ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatTicks(string(b))
}

// parseStatTicks reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself, so fields are counted from the
// last ')'.
func parseStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no command name in /proc stat line")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat line")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat times %q %q", f[11], f[12])
	}
	return u + s, nil
}

// parentOf returns the parent pid from a /proc/<pid>/stat line.
func parentOf(stat string) int {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// childrenOf returns the pids whose parent is pid (nginx's workers).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err == nil && parentOf(string(b)) == pid {
			out = append(out, n)
		}
	}
	return out
}

// group is a process and its children, whose CPU time is summed.
type group struct {
	label string
	pids  []int
}

// ticks returns the group's CPU time so far, in clock ticks; a process
// that has gone counts 0 (the run is then reported wrong elsewhere).
func (g group) ticks() int64 {
	var t int64
	for _, pid := range g.pids {
		if n, err := cpuTicks(pid); err == nil {
			t += n
		}
	}
	return t
}

// Files: keeps notes under /data with Go's own os package (decision 2191), the agent's file
// system kept in its durable state. The same commands as examples/py-files, each request's
// content one command, each answer an inform: write, append, read, ls, mv, rm, fill, truncate,
// append-crash (logs the file, appends, then panics: a crash mid-handling) and escape.
package main

import (
	"errors"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"caxton.dev/caxton"
)

const root = "/data"

type files struct{ caxton.BaseAgent }

// errnoNames names the errors a file call can answer, as the tests compare them across languages.
var errnoNames = map[syscall.Errno]string{
	syscall.ENOENT: "ENOENT", syscall.EPERM: "EPERM", syscall.EIO: "EIO", syscall.EFBIG: "EFBIG",
	syscall.ENOSPC: "ENOSPC", syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.EEXIST: "EEXIST",
	syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR", syscall.ENOTEMPTY: "ENOTEMPTY",
	syscall.EROFS: "EROFS", syscall.EACCES: "EACCES", syscall.EINVAL: "EINVAL", syscall.ENOTCAPABLE: "ENOTCAPABLE",
	syscall.ENOSYS: "ENOSYS", syscall.ENOTSUP: "ENOTSUP", syscall.EBADF: "EBADF",
}

func errName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name, ok := errnoNames[errno]; ok {
			return "error:" + name
		}
		return "error:" + strconv.Itoa(int(errno))
	}
	return "error:" + err.Error()
}

func at(name string) string { return root + "/" + name }

func (files) Handle(msg *caxton.Message) error {
	words := strings.SplitN(msg.Content, " ", 3)
	answer, err := run(words[0], words[1:])
	if err != nil {
		answer = errName(err)
	}
	return caxton.Reply(msg, caxton.Inform, answer)
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func run(cmd string, args []string) (string, error) {
	switch cmd {
	case "write":
		if dir := path.Dir(at(args[0])); dir != root {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
		}
		return "ok", os.WriteFile(at(args[0]), []byte(arg(args, 1)), 0o644)
	case "append":
		f, err := os.OpenFile(at(args[0]), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		defer f.Close()
		_, err = f.WriteString(arg(args, 1))
		return "ok", err
	case "read":
		b, err := os.ReadFile(at(args[0]))
		return string(b), err
	case "ls":
		dir := root
		if arg(args, 0) != "" {
			dir = at(args[0])
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", err
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name()+"/")
			} else {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		return strings.Join(names, ","), nil
	case "mv":
		return "ok", os.Rename(at(args[0]), at(args[1]))
	case "rm":
		return "ok", os.Remove(at(args[0]))
	case "fill":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return "", err
		}
		return "ok", os.WriteFile(at(args[0]), []byte(strings.Repeat("x", n)), 0o644)
	case "truncate":
		f, err := os.Create(at(args[0]))
		if err != nil {
			return "", err
		}
		return "ok", f.Close()
	case "append-crash":
		before, err := os.ReadFile(at(args[0]))
		if err != nil {
			caxton.Info("before the crash " + args[0] + " holds: " + errName(err))
		} else {
			caxton.Info("before the crash " + args[0] + " holds: " + string(before))
		}
		f, err := os.OpenFile(at(args[0]), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, _ = f.WriteString(arg(args, 1))
			_ = f.Close()
		}
		panic("a crash mid-handling, after the append")
	case "escape":
		attempts := []struct {
			name string
			fn   func() error
		}{
			{"up", func() error { _, err := os.ReadFile(root + "/../etc/passwd"); return err }},
			{"upup", func() error { _, err := os.ReadFile(root + "/a/../../../etc/passwd"); return err }},
			{"abs", func() error { _, err := os.ReadFile("/etc/passwd"); return err }},
			{"symlink", func() error { return os.Symlink("/etc/passwd", at("link")) }},
			{"hardlink", func() error { return os.Link(at("notes.txt"), at("hard")) }},
			{"long", func() error { return os.WriteFile(at(strings.Repeat("n", 300)), nil, 0o644) }},
			{"huge", func() error { return os.WriteFile(at(strings.Repeat("n/", 50000)), nil, 0o644) }},
			{"nul", func() error { return os.WriteFile(at("a\x00b"), nil, 0o644) }},
		}
		parts := make([]string, 0, len(attempts))
		for _, a := range attempts {
			if err := a.fn(); err != nil {
				parts = append(parts, a.name+"="+errName(err))
			} else {
				parts = append(parts, a.name+"=ok")
			}
		}
		return strings.Join(parts, " "), nil
	}
	return "unknown command " + cmd, nil
}

func init() { caxton.Register(files{}) }

// main is never called: the agent is a reactor driven by the runtime.
func main() {}

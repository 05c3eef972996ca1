// A hostile test agent in Go: every message's content names one misbehaviour (or a harmless
// probe). The containment tests (runtime/test/sandbox/go-agents.test.ts) drive it through the
// real sandbox. Never deploy it for real.
//
//	echo:<text>  inform <text>            count     inform the per-instance counter
//	spin         loop forever             bomb      allocate until memory runs out
//	grow:<mib>   allocate <mib> MiB, keep it, then inform the sum of bytes
//	panic        panic                    nil       dereference a nil pointer
//	fs           try to open host files   env       read the environment
//	socket       try to open sockets      print     write to stdout with fmt
//	time         inform time.Now() and caxton.Now()
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"caxton.dev/caxton"
)

type probe struct {
	caxton.BaseAgent
	count int
	keep  [][]byte
}

var sink [][]byte

func (p *probe) Init(ctx *caxton.InitContext) error {
	if _, ok := ctx.Get("spin-init"); ok {
		for {
			p.count++
		}
	}
	return nil
}

func (p *probe) Handle(msg *caxton.Message) error {
	cmd, arg, _ := strings.Cut(msg.Content, ":")
	answer := func(s string) error { return caxton.Reply(msg, caxton.Inform, s) }
	switch cmd {
	case "echo":
		return answer(arg)
	case "count":
		p.count++
		return answer(strconv.Itoa(p.count))
	case "spin":
		for {
			p.count++
		}
	case "bomb":
		for {
			sink = append(sink, make([]byte, 1<<20))
		}
	case "grow":
		n, _ := strconv.Atoi(arg)
		total := 0
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = byte(i)
			}
			p.keep = append(p.keep, b)
			total += len(b)
		}
		return answer(strconv.Itoa(total))
	case "panic":
		panic("probe: deliberate panic")
	case "nil":
		var q *probe
		return answer(strconv.Itoa(q.count))
	case "fail":
		return fmt.Errorf("probe: %s", arg)
	case "fs":
		var out []string
		for _, path := range []string{"/etc/passwd", "/", ".", "/proc/self/environ"} {
			f, err := os.Open(path)
			if err == nil {
				f.Close()
				out = append(out, path+"=OPENED")
			} else {
				out = append(out, path+"=denied")
			}
		}
		if err := os.WriteFile("/tmp/caxton-go-probe", []byte("x"), 0o644); err == nil {
			out = append(out, "write=WROTE")
		} else {
			out = append(out, "write=denied")
		}
		return answer(strings.Join(out, " "))
	case "env":
		return answer(fmt.Sprintf("environ=%d args=%d home=%q", len(os.Environ()), len(os.Args), os.Getenv("HOME")))
	case "socket":
		var out []string
		if c, err := net.Dial("tcp", "127.0.0.1:80"); err == nil {
			c.Close()
			out = append(out, "dial=CONNECTED")
		} else {
			out = append(out, "dial=denied")
		}
		if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			l.Close()
			out = append(out, "listen=LISTENING")
		} else {
			out = append(out, "listen=denied")
		}
		if _, err := net.LookupHost("localhost"); err == nil {
			out = append(out, "lookup=RESOLVED")
		} else {
			out = append(out, "lookup=denied")
		}
		return answer(strings.Join(out, " "))
	case "print":
		fmt.Println("probe says", arg)
		return answer("printed")
	case "time":
		return answer(fmt.Sprintf("go=%d caxton=%d", time.Now().UnixMilli(), caxton.Now()))
	}
	return caxton.NotUnderstoodTo(msg, "unknown probe "+cmd)
}

func init() { caxton.Register(&probe{}) }

func main() {}

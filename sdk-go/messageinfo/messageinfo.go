// Package messageinfo reads the receivers of the message being handled (caxton:agent/message-info,
// decision 2001). A message with more than 16 receivers is delivered with only this agent's own id
// in Receivers and the count in the user parameter X-caxton-receivers; the whole list, as sent, is
// paged here. Below the threshold the message carries its list and these calls answer the same.
//
//	everyone := messageinfo.AllReceivers()
//	page, err := messageinfo.Receivers(0, 16) // *messageinfo.Error when refused
//
// Only an agent that calls these functions imports the interface. Outside WebAssembly (go test)
// the answers come from a replaceable Source (Use), by default a Memory with no message.
package messageinfo

import (
	"strconv"

	"caxton.dev/caxton"
)

// ReceiverCountParam is the user parameter a narrowed delivery carries with the receiver count.
const ReceiverCountParam = "X-caxton-receivers"

// MaxReceiversPage is the most receivers one Receivers call returns.
const MaxReceiversPage = 256

// ErrorKind is why a page was refused (the WIT message-info-error-kind, same order).
type ErrorKind uint8

const (
	// NoMessage: no message is being handled (Init, a timer).
	NoMessage ErrorKind = iota
	// InvalidRange: limit 0 or over 256, or offset past the end of the list.
	InvalidRange
)

var kindNames = [...]string{"no-message", "invalid-range"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "message-info-error-kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a refused page.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string { return "message-info " + e.Kind.String() + ": " + e.Message }

// Source answers the calls (the host in an agent; a Memory in tests).
type Source interface {
	ReceiverCount() uint32
	Receivers(offset, limit uint32) ([]caxton.AgentID, error)
}

var source Source = defaultSource

// Use replaces the Source (tests) and returns the previous one.
func Use(s Source) Source {
	prev := source
	source = s
	return prev
}

// ReceiverCount is how many receivers the message being handled has (0 outside a handler).
func ReceiverCount() uint32 { return source.ReceiverCount() }

// Receivers returns receivers offset .. offset+limit (limit 1..256) in the order sent.
func Receivers(offset, limit uint32) ([]caxton.AgentID, error) {
	return source.Receivers(offset, limit)
}

// AllReceivers pages the whole list (empty outside a handler).
func AllReceivers() []caxton.AgentID {
	count := ReceiverCount()
	var out []caxton.AgentID
	for uint32(len(out)) < count {
		page, err := Receivers(uint32(len(out)), MaxReceiversPage)
		if err != nil || len(page) == 0 {
			break
		}
		out = append(out, page...)
	}
	return out
}

// CountOf is the receiver count of m without a host call: X-caxton-receivers on a narrowed
// delivery, else the length of its list. The key compares ASCII-only (like Rust's
// eq_ignore_ascii_case), not with Message.Param's Unicode folding, so a look-alike key such as
// "X-caxton-receiverſ" never reads as the count; the host puts its own pair first besides.
func CountOf(m *caxton.Message) int {
	for _, kv := range m.UserParams {
		if !asciiEqualFold(kv.Key, ReceiverCountParam) {
			continue
		}
		if n, err := strconv.Atoi(kv.Value); err == nil {
			return n
		}
		break
	}
	return len(m.Receivers)
}

// asciiEqualFold compares a and b ignoring the case of ASCII letters only.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

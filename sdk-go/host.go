package caxton

import "errors"

// Host is the caxton:agent/host interface. In a built agent it is the runtime (abi_wasm.go);
// elsewhere set one with UseHost to test agent logic with `go test`.
type Host interface {
	Send(msg *Message) error
	Log(level LogLevel, line string)
	Now() uint64
	NewID() string
	SetTimer(delayMs uint32, token string)
	RegisterService(s *ServiceDescription) error
	DeregisterService(name string)
	SearchServices(serviceType string) []AgentID
}

var host Host = defaultHost

// UseHost replaces the host the SDK talks to (for tests outside WebAssembly); it returns the
// previous one.
func UseHost(h Host) Host {
	prev := host
	host = h
	return prev
}

// Send queues a message. The error says why the message is invalid (e.g. no receivers).
// Delivery is transactional: messages sent while handling a message only leave if that handling
// completes without a crash. Routing failures come back later as `failure` messages.
func Send(msg *Message) error { return host.Send(msg) }

// Log writes a line to the agent's log.
func Log(level LogLevel, line string) { host.Log(level, line) }

func Trace(line string) { host.Log(LevelTrace, line) }
func Debug(line string) { host.Log(LevelDebug, line) }
func Info(line string)  { host.Log(LevelInfo, line) }
func Warn(line string)  { host.Log(LevelWarn, line) }
func Error(line string) { host.Log(LevelError, line) }

// Now is wall-clock time, milliseconds since the Unix epoch.
func Now() uint64 { return host.Now() }

// NewID is a fresh platform-unique identifier for reply-with and conversation-id.
func NewID() string { return host.NewID() }

// SetTimer asks for OnTimer(token) after delayMs milliseconds.
func SetTimer(delayMs uint32, token string) { host.SetTimer(delayMs, token) }

// RegisterService advertises (or replaces) a service in the directory.
func RegisterService(s *ServiceDescription) error { return host.RegisterService(s) }

// DeregisterService withdraws one of this agent's services by name.
func DeregisterService(name string) { host.DeregisterService(name) }

// SearchServices lists the agents advertising services of serviceType.
func SearchServices(serviceType string) []AgentID { return host.SearchServices(serviceType) }

// hostError is an error string the host returned.
type hostError string

func (e hostError) Error() string { return string(e) }

var errNoHost = errors.New("caxton: no host outside WebAssembly; call caxton.UseHost in tests")

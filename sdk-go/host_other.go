//go:build !wasip1

package caxton

// Outside WebAssembly there is no runtime: every call panics until UseHost sets a host.
var defaultHost Host = noHost{}

type noHost struct{}

func (noHost) Send(*Message) error                       { panic(errNoHost) }
func (noHost) Log(LogLevel, string)                      { panic(errNoHost) }
func (noHost) Now() uint64                               { panic(errNoHost) }
func (noHost) NewID() string                             { panic(errNoHost) }
func (noHost) SetTimer(uint32, string)                   { panic(errNoHost) }
func (noHost) RegisterService(*ServiceDescription) error { panic(errNoHost) }
func (noHost) DeregisterService(string)                  { panic(errNoHost) }
func (noHost) SearchServices(string) []AgentID           { panic(errNoHost) }

// UseSelf sets the agent's own identifier, as Init would, for tests outside WebAssembly (what
// reads the platform from it, such as http.IsHTTPMessage, then sees this one).
func UseSelf(id AgentID) { selfID = id }

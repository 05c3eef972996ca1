//go:build wasip1

package caxton

// The canonical-ABI glue between Go and the caxton:agent world, written by hand (see
// docs/decisions/0507-go-agents.md). Strings are UTF-8 (the component is embedded with the utf8
// encoding, Go's own). Layouts, computed from the component-model rules (each field at its own
// alignment; string and list = (ptr u32, len u32), 8 bytes, align 4; option = u8 discriminant,
// payload at its alignment; enum of <= 256 cases = u8):
//
//	agent-id          name @0, addresses @8                                   16 bytes, align 4
//	tuple<str,str>    first @0, second @8                                     16 bytes, align 4
//	option<string>    disc @0, string @4                                      12 bytes, align 4
//	acl-message       performative @0, sender option<agent-id> @4 (id @8), receivers @24,
//	                  reply-to @32, content @40, language @52, encoding @64, ontology @76,
//	                  protocol @88, conversation-id @100, reply-with @112, in-reply-to @124,
//	                  reply-by option<u64> @136 (u64 @144), user-params @152  160 bytes, align 8
//	result<_,string>  disc @0, string @4                                      12 bytes, align 4
//
// Memory the host writes into (arguments of the guest calls, strings and lists returned by host
// calls) comes from cabi_realloc: Go byte slices kept alive in an arena until the values have been
// copied into Go strings; Go's collector never moves objects, so their addresses stay valid.

import (
	"runtime"
	"unsafe"

	"caxton.dev/caxton/internal/cabi"
)

const (
	msgSize       = 160
	msgSender     = 4
	msgReceivers  = 24
	msgReplyTo    = 32
	msgContent    = 40
	msgReplyBy    = 136
	msgUserParams = 152
)

var defaultHost Host = wasmHost{}

// ---- raw imports -------------------------------------------------------------------------------

//go:wasmimport caxton:agent/host@0.1.0 send
func rawSend(msg unsafe.Pointer, ret unsafe.Pointer)

//go:wasmimport caxton:agent/host@0.1.0 log
func rawLog(level uint32, ptr unsafe.Pointer, n uint32)

//go:wasmimport caxton:agent/host@0.1.0 now
func rawNow() uint64

//go:wasmimport caxton:agent/host@0.1.0 new-id
func rawNewID(ret unsafe.Pointer)

//go:wasmimport caxton:agent/host@0.1.0 set-timer
func rawSetTimer(delay uint32, ptr unsafe.Pointer, n uint32)

//go:wasmimport caxton:agent/host@0.1.0 register-service
func rawRegisterService(namePtr, nameLen, typePtr, typeLen, protPtr, protLen, ontPtr, ontLen, langPtr, langLen, propPtr, propLen uint32, ret unsafe.Pointer)

//go:wasmimport caxton:agent/host@0.1.0 deregister-service
func rawDeregisterService(ptr unsafe.Pointer, n uint32)

//go:wasmimport caxton:agent/host@0.1.0 search-services
func rawSearchServices(ptr unsafe.Pointer, n uint32, ret unsafe.Pointer)

// ---- memory helpers ----------------------------------------------------------------------------

//go:wasmexport cabi_export_realloc
func cabiRealloc(old, oldSize, align, newSize uint32) uint32 {
	return cabi.Realloc(old, oldSize, align, newSize)
}

// arenaReset frees what the host allocated for values already lifted (see internal/cabi; the
// state and http packages release the same arena after their calls).
func arenaReset() { cabi.Release() }

// lin is the agent's own memory, read with internal/cabi's lifting (shared with state and http).
var lin cabi.Linear

func load64(addr uint32) uint64 { return *(*uint64)(unsafe.Pointer(uintptr(addr))) }

func addrOf(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

// ---- lifting (host memory -> Go values, copied) ------------------------------------------------

func liftString(ptr, n uint32) string { return cabi.LiftString(lin, ptr, n) }

func liftStringAt(addr uint32) string { return cabi.LiftStringAt(lin, addr) }

func liftStringList(ptr, n uint32) []string {
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range n {
		out[i] = liftStringAt(ptr + 8*i)
	}
	return out
}

func liftAgentID(addr uint32) AgentID {
	return AgentID{Name: liftStringAt(addr), Addresses: cabi.LiftStringList(lin, addr+8)}
}

func liftAgentIDList(ptr, n uint32) []AgentID {
	if n == 0 {
		return nil
	}
	out := make([]AgentID, n)
	for i := range n {
		out[i] = liftAgentID(ptr + 16*i)
	}
	return out
}

func liftPairs(ptr, n uint32) []KeyValue {
	if n == 0 {
		return nil
	}
	out := make([]KeyValue, n)
	for i := range n {
		out[i] = KeyValue{liftStringAt(ptr + 16*i), liftStringAt(ptr + 16*i + 8)}
	}
	return out
}

func liftMessage(a uint32) *Message {
	m := &Message{Performative: Performative(lin.Load8(a))}
	if cabi.Some(lin, a+msgSender) {
		s := liftAgentID(a + msgSender + 4)
		m.Sender = &s
	}
	m.Receivers = liftAgentIDList(lin.Load32(a+msgReceivers), lin.Load32(a+msgReceivers+4))
	m.ReplyTo = liftAgentIDList(lin.Load32(a+msgReplyTo), lin.Load32(a+msgReplyTo+4))
	strs := []*string{&m.Content, &m.Language, &m.Encoding, &m.Ontology, &m.Protocol, &m.ConversationID, &m.ReplyWith, &m.InReplyTo}
	for i, p := range strs {
		*p, _ = cabi.LiftOptString(lin, a+msgContent+12*uint32(i))
	}
	if cabi.Some(lin, a+msgReplyBy) {
		m.ReplyBy = load64(a + msgReplyBy + 8)
	}
	m.UserParams = liftPairs(lin.Load32(a+msgUserParams), lin.Load32(a+msgUserParams+4))
	return m
}

// ---- lowering (Go values -> canonical layout; buffers kept alive by the caller) ----------------

// lowerer points the host at Go values themselves (cabi.Pinned keeps them alive for the call).
type lowerer struct{ cabi.Pinned }

func (l *lowerer) strList(ss []string) (uint32, uint32) {
	w := make([]uint32, 2*len(ss))
	for i, s := range ss {
		w[2*i], w[2*i+1] = l.String(s)
	}
	return l.Words(w), uint32(len(ss))
}

func (l *lowerer) agentIDInto(w []uint32, id *AgentID) {
	w[0], w[1] = l.String(id.Name)
	w[2], w[3] = l.strList(id.Addresses)
}

func (l *lowerer) agentIDList(ids []AgentID) (uint32, uint32) {
	w := make([]uint32, 4*len(ids))
	for i := range ids {
		l.agentIDInto(w[4*i:], &ids[i])
	}
	return l.Words(w), uint32(len(ids))
}

func (l *lowerer) pairs(kvs []KeyValue) (uint32, uint32) {
	w := make([]uint32, 4*len(kvs))
	for i, kv := range kvs {
		w[4*i], w[4*i+1] = l.String(kv.Key)
		w[4*i+2], w[4*i+3] = l.String(kv.Value)
	}
	return l.Words(w), uint32(len(kvs))
}

// message lowers m into a 160-byte, 8-aligned record and returns its address.
func (l *lowerer) message(m *Message) unsafe.Pointer {
	rec := make([]uint64, msgSize/8)
	l.Keep = append(l.Keep, rec)
	w := unsafe.Slice((*uint32)(unsafe.Pointer(&rec[0])), msgSize/4)
	w[0] = uint32(m.Performative)
	if m.Sender != nil {
		w[msgSender/4] = 1
		l.agentIDInto(w[msgSender/4+1:], m.Sender)
	}
	w[msgReceivers/4], w[msgReceivers/4+1] = l.agentIDList(m.Receivers)
	w[msgReplyTo/4], w[msgReplyTo/4+1] = l.agentIDList(m.ReplyTo)
	strs := []string{m.Content, m.Language, m.Encoding, m.Ontology, m.Protocol, m.ConversationID, m.ReplyWith, m.InReplyTo}
	for i, s := range strs {
		if s != "" {
			at := (msgContent + 12*i) / 4
			w[at] = 1
			w[at+1], w[at+2] = l.String(s)
		}
	}
	if m.ReplyBy != 0 {
		w[msgReplyBy/4] = 1
		rec[(msgReplyBy+8)/8] = m.ReplyBy
	}
	w[msgUserParams/4], w[msgUserParams/4+1] = l.pairs(m.UserParams)
	return unsafe.Pointer(&rec[0])
}

// liftResult reads a result<_, string> the host wrote into ret.
func liftResult(ret *[3]uint32) error {
	if ret[0]&0xff == 0 {
		return nil
	}
	return hostError(liftString(ret[1], ret[2]))
}

// ---- the host, through the imports -------------------------------------------------------------

type wasmHost struct{}

func (wasmHost) Send(m *Message) error {
	var l lowerer
	var ret [3]uint32
	rawSend(l.message(m), unsafe.Pointer(&ret))
	err := liftResult(&ret)
	arenaReset()
	runtime.KeepAlive(l.Keep)
	return err
}

func (wasmHost) Log(level LogLevel, line string) {
	rawLog(uint32(level), unsafe.Pointer(unsafe.StringData(line)), uint32(len(line)))
	runtime.KeepAlive(line)
}

func (wasmHost) Now() uint64 { return rawNow() }

func (wasmHost) NewID() string {
	var ret [2]uint32
	rawNewID(unsafe.Pointer(&ret))
	id := liftString(ret[0], ret[1])
	arenaReset()
	return id
}

func (wasmHost) SetTimer(delayMs uint32, token string) {
	rawSetTimer(delayMs, unsafe.Pointer(unsafe.StringData(token)), uint32(len(token)))
	runtime.KeepAlive(token)
}

func (wasmHost) RegisterService(s *ServiceDescription) error {
	var l lowerer
	var ret [3]uint32
	np, nl := l.String(s.Name)
	tp, tl := l.String(s.Type)
	pp, pl := l.strList(s.Protocols)
	op, ol := l.strList(s.Ontologies)
	lp, ll := l.strList(s.Languages)
	kp, kl := l.pairs(s.Properties)
	rawRegisterService(np, nl, tp, tl, pp, pl, op, ol, lp, ll, kp, kl, unsafe.Pointer(&ret))
	err := liftResult(&ret)
	arenaReset()
	runtime.KeepAlive(l.Keep)
	return err
}

func (wasmHost) DeregisterService(name string) {
	rawDeregisterService(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)))
	runtime.KeepAlive(name)
}

func (wasmHost) SearchServices(serviceType string) []AgentID {
	var ret [2]uint32
	rawSearchServices(unsafe.Pointer(unsafe.StringData(serviceType)), uint32(len(serviceType)), unsafe.Pointer(&ret))
	runtime.KeepAlive(serviceType)
	found := liftAgentIDList(ret[0], ret[1])
	arenaReset()
	return found
}

// ---- the guest exports -------------------------------------------------------------------------

// retArea is the return area of result<_, string>; pendingErr keeps the error string alive until
// the host's post-return call.
var (
	retArea    [3]uint32
	pendingErr string
)

func finish(err error) uint32 {
	if err == nil {
		retArea = [3]uint32{0, 0, 0}
		pendingErr = ""
	} else {
		pendingErr = err.Error()
		p, n := uint32(0), uint32(len(pendingErr))
		if n > 0 {
			p = addrOf(unsafe.Pointer(unsafe.StringData(pendingErr)))
		}
		retArea = [3]uint32{1, p, n}
	}
	return addrOf(unsafe.Pointer(&retArea))
}

func postReturn() {
	pendingErr = ""
	arenaReset()
}

//go:wasmexport caxton:agent/guest@0.1.0#init
func exportInit(namePtr, nameLen, addrPtr, addrLen, cfgPtr, cfgLen uint32) uint32 {
	ctx := &InitContext{
		Self:   AgentID{Name: liftString(namePtr, nameLen), Addresses: liftStringList(addrPtr, addrLen)},
		Config: liftPairs(cfgPtr, cfgLen),
	}
	arenaReset()
	return finish(callInit(ctx))
}

//go:wasmexport caxton:agent/guest@0.1.0#handle
func exportHandle(msg uint32) uint32 {
	m := liftMessage(msg)
	arenaReset()
	return finish(callHandle(m))
}

//go:wasmexport caxton:agent/guest@0.1.0#on-timer
func exportOnTimer(ptr, n uint32) uint32 {
	token := liftString(ptr, n)
	arenaReset()
	return finish(callOnTimer(token))
}

//go:wasmexport cabi_post_caxton:agent/guest@0.1.0#init
func postInit(uint32) { postReturn() }

//go:wasmexport cabi_post_caxton:agent/guest@0.1.0#handle
func postHandle(uint32) { postReturn() }

//go:wasmexport cabi_post_caxton:agent/guest@0.1.0#on-timer
func postOnTimer(uint32) { postReturn() }

//go:wasmexport cabi_import_realloc
func cabiImportRealloc(old, oldSize, align, newSize uint32) uint32 {
	return cabiRealloc(old, oldSize, align, newSize)
}

// adapterArena is memory for the WASI preview1 adapter's own state. The adapter allocates it
// with the main module's `cabi_realloc` on its first call, which happens while Go's runtime is
// still initialising: a Go function cannot be called then, and the adapter's fallback
// (memory.grow) puts its state where Go's heap grows next (Go's sbrk assumes it alone grows
// memory). So Go's allocator is exported as cabi_import_realloc/cabi_export_realloc (what the
// canonical ABI uses), and `caxton build` adds a small non-Go `cabi_realloc` to the core module
// that hands out this array, whose address it learns from caxton_adapter_arena. Go never touches
// the array (it holds no pointers, so the collector never scans it either).
var adapterArena [adapterArenaSize]byte

const adapterArenaSize = 128 << 10

//go:wasmexport caxton_adapter_arena
func adapterArenaAddr() uint64 {
	return uint64(addrOf(unsafe.Pointer(&adapterArena[0])))<<32 | adapterArenaSize
}

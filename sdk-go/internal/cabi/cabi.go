// Package cabi is the canonical-ABI plumbing the SDK's interface packages (state, http) share
// with package caxton: lifting values the host wrote (through Memory, so the same code runs over
// linear memory in an agent and over a byte slice in `go test`) and lowering Go values (through
// Writer). Layouts, from the component-model rules (see abi_wasm.go in package caxton):
//
//	string, list<T>                ptr @0, len @4                               8 bytes, align 4
//	option<string>                 disc u8 @0, string @4                       12 bytes, align 4
//	{kind: enum, message: string}  kind u8 @0, message @4                      12 bytes, align 4
//	result<_, E> with E that record
//	                               disc u8 @0, kind @4, message @8            16 bytes, align 4
//	result<string, E>              disc u8 @0, ok string @4 or E @4            16 bytes, align 4
package cabi

// No fmt here: it would add ~380 KB to every Go agent (package caxton imports this package).
import "strconv"

// Memory is memory the host wrote canonical-ABI values into.
type Memory interface {
	Load8(addr uint32) uint8
	Load32(addr uint32) uint32
	Bytes(addr, n uint32) []byte
}

// Writer places Go values where the host can read them and returns their addresses.
type Writer interface {
	// String returns (ptr, len) of s's UTF-8 bytes.
	String(s string) (uint32, uint32)
	// Words stores w (4-byte aligned) and returns its address (0 for an empty slice).
	Words(w []uint32) uint32
}

func invalid(what string, v uint8) {
	panic("canonical ABI: invalid " + what + " " + strconv.Itoa(int(v)))
}

// LiftString copies the string at (ptr, n).
func LiftString(m Memory, ptr, n uint32) string { return string(m.Bytes(ptr, n)) }

// LiftStringAt copies the string whose (ptr, len) is stored at addr.
func LiftStringAt(m Memory, addr uint32) string {
	return LiftString(m, m.Load32(addr), m.Load32(addr+4))
}

// Some reads an option's discriminant at addr: 0 none, 1 some, anything else a broken ABI.
func Some(m Memory, addr uint32) bool {
	d := m.Load8(addr)
	if d > 1 {
		invalid("option discriminant", d)
	}
	return d == 1
}

// LiftOptString reads an option<string> at addr.
func LiftOptString(m Memory, addr uint32) (string, bool) {
	if !Some(m, addr) {
		return "", false
	}
	return LiftStringAt(m, addr+4), true
}

// LiftStringList reads a list<string> whose (ptr, len) is stored at addr.
func LiftStringList(m Memory, addr uint32) []string {
	ptr, n := m.Load32(addr), m.Load32(addr+4)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range n {
		out[i] = LiftStringAt(m, ptr+8*i)
	}
	return out
}

// KindError is a WIT error record { kind: enum, message: string }.
type KindError struct {
	Kind    uint8
	Message string
}

// LiftResult reads a result<_, E> (okString false) or result<string, E> (okString true) at addr
// whose E is a KindError.
func LiftResult(m Memory, addr uint32, okString bool) (string, *KindError) {
	switch d := m.Load8(addr); d {
	case 0:
		if okString {
			return LiftStringAt(m, addr+4), nil
		}
		return "", nil
	case 1:
		return "", &KindError{Kind: m.Load8(addr + 4), Message: LiftStringAt(m, addr+8)}
	default:
		invalid("result discriminant", d)
		return "", nil
	}
}

// OptString is an option<string> flattened: (discriminant, ptr, len).
func OptString(w Writer, s string, some bool) [3]uint32 {
	if !some {
		return [3]uint32{}
	}
	p, n := w.String(s)
	return [3]uint32{1, p, n}
}

// Pairs lowers a list<tuple<string, string>>: (ptr, len).
func Pairs(w Writer, kv [][2]string) (uint32, uint32) {
	if len(kv) == 0 {
		return 0, 0
	}
	words := make([]uint32, 4*len(kv))
	for i, p := range kv {
		words[4*i], words[4*i+1] = w.String(p[0])
		words[4*i+2], words[4*i+3] = w.String(p[1])
	}
	return w.Words(words), uint32(len(kv))
}

// SliceMemory is a byte image standing for memory at Base (tests), and a Writer appending to it.
type SliceMemory struct {
	Base uint32
	Data []byte
}

func (s *SliceMemory) off(addr uint32) uint32 { return addr - s.Base }

func (s *SliceMemory) Load8(addr uint32) uint8 { return s.Data[s.off(addr)] }
func (s *SliceMemory) Load32(addr uint32) uint32 {
	o := s.off(addr)
	return uint32(s.Data[o]) | uint32(s.Data[o+1])<<8 | uint32(s.Data[o+2])<<16 | uint32(s.Data[o+3])<<24
}
func (s *SliceMemory) Bytes(addr, n uint32) []byte { o := s.off(addr); return s.Data[o : o+n] }

// Alloc reserves n zeroed bytes aligned to align and returns their address.
func (s *SliceMemory) Alloc(n, align uint32) uint32 {
	for (s.Base+uint32(len(s.Data)))%align != 0 {
		s.Data = append(s.Data, 0)
	}
	at := s.Base + uint32(len(s.Data))
	s.Data = append(s.Data, make([]byte, n)...)
	return at
}

func (s *SliceMemory) Store8(addr uint32, v uint8) { s.Data[s.off(addr)] = v }
func (s *SliceMemory) Store32(addr, v uint32) {
	o := s.off(addr)
	s.Data[o], s.Data[o+1], s.Data[o+2], s.Data[o+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func (s *SliceMemory) String(v string) (uint32, uint32) {
	at := s.Alloc(uint32(len(v)), 1)
	copy(s.Data[s.off(at):], v)
	return at, uint32(len(v))
}

func (s *SliceMemory) Words(w []uint32) uint32 {
	if len(w) == 0 {
		return 0
	}
	at := s.Alloc(uint32(4*len(w)), 4)
	for i, v := range w {
		s.Store32(at+uint32(4*i), v)
	}
	return at
}

//go:build wasip1

package cabi

import "unsafe"

// Linear is the agent's own linear memory (addresses are pointers).
type Linear struct{}

func (Linear) Load8(addr uint32) uint8   { return *(*uint8)(unsafe.Pointer(uintptr(addr))) }
func (Linear) Load32(addr uint32) uint32 { return *(*uint32)(unsafe.Pointer(uintptr(addr))) }
func (Linear) Bytes(addr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), n)
}

// Pinned is a Writer over Go memory: it points at the values themselves and keeps them alive
// until the caller is done with the call (Go's collector never moves objects).
type Pinned struct{ Keep []any }

func (p *Pinned) String(s string) (uint32, uint32) {
	if len(s) == 0 {
		return 0, 0
	}
	p.Keep = append(p.Keep, s)
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s)))), uint32(len(s))
}

func (p *Pinned) Words(w []uint32) uint32 {
	if len(w) == 0 {
		return 0
	}
	p.Keep = append(p.Keep, w)
	return uint32(uintptr(unsafe.Pointer(&w[0])))
}

// Arena holds the buffers cabi_realloc handed to the host until their contents are lifted.
var arena [][]byte

// Realloc is the canonical ABI's realloc: Go byte slices kept in the arena.
func Realloc(old, oldSize, align, newSize uint32) uint32 {
	if newSize == 0 {
		return align
	}
	buf := make([]byte, newSize+align)
	base := uint32(uintptr(unsafe.Pointer(&buf[0])))
	addr := (base + align - 1) &^ (align - 1)
	if old != 0 && oldSize > 0 {
		copy(buf[addr-base:], Linear{}.Bytes(old, min(oldSize, newSize)))
	}
	arena = append(arena, buf)
	return addr
}

// Release drops what the host allocated once it has been lifted (copied into Go values).
func Release() {
	clear(arena)
	arena = arena[:0]
}

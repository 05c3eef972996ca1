//go:build wasip1

// Package wit_runtime is the memory the generated bindings (internal/wit) lower into and the
// allocator the host lifts into (decision 2205). Go's collector never moves objects, so an address
// stays valid while something holds the object: a runtime.Pinner for what the bindings lower (they
// keep only its address), and the arena below for what the host writes, until the values lifted
// from it (strings pointing into it) hold it themselves.
package wit_runtime

import (
	"runtime"
	"unsafe"
)

// Allocate returns size bytes at an alignment of up to 8, pinned by pinner until it is unpinned.
func Allocate(pinner *runtime.Pinner, size, align uintptr) unsafe.Pointer {
	if size == 0 {
		return nil
	}
	p := unsafe.Pointer(unsafe.SliceData(make([]uint64, (size+7)/8)))
	pinner.Pin(p)
	return p
}

// arena holds the buffers the host asked for through cabi_*_realloc until their values are lifted;
// lifted holds the previous generation one call longer: the generated handle export still reads
// its argument record (by address alone) after it has called Unpin.
var arena, lifted [][]uint64

// Unpin lets the buffers of the values lifted before the last ones go (the generated exports call
// it once their arguments are lifted); those still referenced by lifted strings live on as long
// as the strings.
func Unpin() {
	clear(lifted)
	lifted, arena = arena, lifted[:0]
}

// inFlight counts the SDK's import calls under way. A goroutine's lifting can pause (an
// allocation's share of a collection) and let another goroutine call the host meanwhile, so what
// the host wrote is let go only when no call is left in flight.
var inFlight int

// Import marks an import call in flight until the function it returns is called, which the SDK's
// wrappers defer (`defer wit_runtime.Import()()`): by then the generated code has lifted the
// call's results, and if no other call is in flight the buffers the host wrote are let go, so a
// handling that calls imports in a loop holds at most one call's buffers beyond what it keeps.
func Import() func() {
	inFlight++
	return endImport
}

func endImport() {
	if inFlight--; inFlight == 0 {
		Unpin()
	}
}

// realloc is the canonical ABI's realloc over arena buffers (alignment up to 8).
func realloc(old unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	if newSize == 0 {
		return unsafe.Add(nil, align) // any aligned, non-null address: nothing is written there
	}
	buf := make([]uint64, (newSize+7)/8)
	arena = append(arena, buf)
	p := unsafe.Pointer(unsafe.SliceData(buf))
	if old != nil && oldSize > 0 {
		copy(unsafe.Slice((*byte)(p), newSize), unsafe.Slice((*byte)(old), min(oldSize, newSize)))
	}
	return p
}

//go:wasmexport cabi_import_realloc
func importRealloc(old unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	return realloc(old, oldSize, align, newSize)
}

//go:wasmexport cabi_export_realloc
func exportRealloc(old unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	return realloc(old, oldSize, align, newSize)
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
	return uint64(uintptr(unsafe.Pointer(&adapterArena[0])))<<32 | adapterArenaSize
}

// Growing a goroutine's stack costs a varying amount of fuel: Go's runtime walks the frames through
// a cache that evicts at random (runtime.pcvalue, seeded by real randomness at start), so the same
// handling on two fresh instances could differ by hundreds of fuel units. Growing the stack once
// here, while the instance is being created, keeps ordinary handlings from growing it (a deeper
// one still may; decision 2205).
func init() { growStack(64) }

// growStack uses n frames of ~600 bytes (~38 KiB of stack: Go doubles the stack to 64 KiB).
//
//go:noinline
func growStack(n int) byte {
	var pad [512]byte
	pad[n%512] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return growStack(n-1) + pad[(n+1)%512]
}

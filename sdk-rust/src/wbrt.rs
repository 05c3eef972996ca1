//! The runtime the generated bindings (`bindings.rs`) call into, in place of the `wit-bindgen-rt`
//! crate: an agent builds offline with no dependency. `cabi_realloc` is the world's one allocator:
//! the host allocates every value it passes in with it, and the generated code takes each block
//! over and frees it, so nothing the host allocated outlives the value that holds it. It lasts
//! (no per-call arena), which is what the WASI adapter of a `"wasi": true` agent needs (decision 2191).
use std::alloc::{self, Layout};

/// A block the generated code lowers a list into for one import call, freed when dropped.
pub struct Cleanup {
    ptr: *mut u8,
    layout: Layout,
}

impl Cleanup {
    pub fn new(layout: Layout) -> (*mut u8, Option<Cleanup>) {
        if layout.size() == 0 {
            return (layout.align() as *mut u8, None);
        }
        let ptr = unsafe { alloc::alloc(layout) };
        if ptr.is_null() {
            alloc::handle_alloc_error(layout);
        }
        (ptr, Some(Cleanup { ptr, layout }))
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        unsafe { alloc::dealloc(self.ptr, self.layout) }
    }
}

/// Nothing to link: `cabi_realloc` below is this crate's own export.
pub fn maybe_link_cabi_realloc() {}

/// Runs the module's constructors (wasi-libc's, in a `"wasi": true` agent) once, at the first call
/// of an export. Naming `__wasm_call_ctors` also keeps the linker from wrapping every export in a
/// call of the constructors and destructors (its "command" exports): the host calls `cabi_realloc`
/// and the post-returns where the guest may not call out, and those wrappers would (WASI imports).
#[cfg(target_arch = "wasm32")]
pub fn run_ctors_once() {
    static mut RAN: bool = false;
    extern "C" {
        fn __wasm_call_ctors();
    }
    unsafe {
        if !RAN {
            RAN = true;
            __wasm_call_ctors();
        }
    }
}

/// The canonical ABI's `cabi_realloc(old, old_size, align, new_size)`. A zero-sized block is the
/// alignment itself (never freed: the generated code frees nothing of size 0).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    let layout = Layout::from_size_align_unchecked(new_size, align);
    let ptr = if new_size == 0 {
        if old_size != 0 {
            alloc::dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8;
    } else if old_size == 0 {
        alloc::alloc(layout)
    } else {
        alloc::realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if ptr.is_null() {
        alloc::handle_alloc_error(layout);
    }
    ptr
}

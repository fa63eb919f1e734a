//! The binary's global allocator: mimalloc, called the cheap way.
//!
//! A million threads allocate and free millions of small records, so the
//! allocator is on the hot path of every spawn (skynet). The `mimalloc`
//! crate's `GlobalAlloc` calls `mi_malloc_aligned` for every request, whose
//! generic path costs about as many instructions again as `mi_malloc`
//! (measured with callgrind on skynet: ~45 of ~4,000 instructions per
//! thread went to the alignment wrapper). Every mimalloc block is 8-byte
//! aligned (block sizes are multiples of the word size; a 24-byte block may
//! sit at 8 mod 16), so requests aligned to at most 8 bytes, nearly all of
//! Rust's, call the plain functions and only the others the aligned entry
//! points.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// What every mimalloc block is aligned to (`MI_INTPTR_SIZE`).
const MIN_ALIGN: usize = 8;

/// mimalloc as the global allocator (see the module docs).
pub struct Allocator;

// SAFETY: every method forwards to mimalloc, which returns blocks of at least
// the requested size aligned to at least `MIN_ALIGN` (plain entry points) or
// to the requested alignment (aligned ones), or null on failure; `dealloc`
// and `realloc` only ever see blocks mimalloc handed out.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            unsafe { mi::mi_malloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            unsafe { mi::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            unsafe { mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            unsafe {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_the_requested_alignment_and_survive_realloc() {
        for align in [1, 2, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 24, 100, 5000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = Allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "align {align}, size {size}");
                    p.write_bytes(0xAB, size);
                    let q = Allocator.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0);
                    assert_eq!(*q.add(size - 1), 0xAB, "contents kept");
                    Allocator.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = Allocator.alloc_zeroed(layout);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    Allocator.dealloc(z, layout);
                }
            }
        }
    }
}

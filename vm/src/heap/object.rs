//! The object header every heap object starts with, and [`Ref`], the pointer
//! to it that values hold.
//!
//! Memory layout (all objects are 8-byte aligned, `HEADER_SIZE` = 32):
//! - instance: header, then `len` slots (`AtomicU64`), laid out by the class
//!   (see [`crate::program::ClassLayout`]);
//! - array: header, then `len` slots; the element type is in the header;
//! - string: header, then the character count (`u64`), then `len` UTF-8 bytes;
//! - thread: header, then a [`crate::threads::ThreadObject`] (id, name,
//!   state, flags, result, and the live record while the thread lives).
//!
//! Invariants:
//! - The header's plain fields (`kind`, `elem_type`, `class`, `len`) are
//!   written once by the allocating thread before the object is published and
//!   never change, so any thread may read them without synchronisation.
//! - Everything that changes after publication is atomic: slots (`Relaxed`;
//!   Java-style races are allowed and never memory-unsafe), `hash`, `mark`,
//!   `next` and `lock_word`.
//! - String bytes are immutable and valid UTF-8.
//! - Objects are never freed while their [`crate::heap::Heap`] lives.

use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};

use crate::isa::{ClassIdx, ValueType};

/// What kind of object a header starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ObjKind {
    /// An instance of a built-in or user class.
    Instance = 0,
    /// A typed array.
    Array = 1,
    /// An immutable UTF-8 string.
    Str = 2,
    /// A VM thread (see [`crate::threads::VmThread`]).
    Thread = 3,
}

/// The header at the start of every heap object.
#[repr(C)]
pub struct Header {
    /// The next object in its allocation list (see [`crate::heap::AllocList`]):
    /// written by the allocating thread before publication, later only by the
    /// collector while the world is stopped.
    pub(crate) next: AtomicPtr<Header>,
    /// Reserved for the monitor word (thin lock / inflated monitor pointer);
    /// monitors arrive with the thread issue. Always 0 for now.
    pub(crate) lock_word: AtomicU64,
    pub(crate) kind: ObjKind,
    /// Arrays: the element [`ValueType`] as a byte; otherwise 0.
    pub(crate) elem_type: u8,
    /// Reserved for the collector's mark bit.
    pub(crate) mark: AtomicU8,
    pub(crate) _reserved: u8,
    /// Instances: the class index; otherwise 0.
    pub(crate) class: u32,
    /// Identity hash shown by `tostr` (`Node@1f`); 0 until first asked for.
    pub(crate) hash: AtomicU32,
    /// Instances: slot count; arrays: length; strings: byte length.
    pub(crate) len: u32,
}

/// Size of [`Header`]; the object's body starts at this offset.
pub const HEADER_SIZE: usize = std::mem::size_of::<Header>();

/// Strings store their character count in the first 8 bytes of the body.
pub(crate) const STRING_PREFIX: usize = 8;

/// A reference to a heap object.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ref(NonNull<Header>);

// SAFETY: a `Ref` is a pointer to a heap object that lives as long as its
// heap. Objects are shared by every VM thread, and after publication they are
// only mutated through atomics (slots, hash, mark, next, lock_word); the rest
// of the header and string bytes are immutable. So sending a `Ref` to, or
// sharing it with, another OS thread cannot create a data race.
unsafe impl Send for Ref {}
// SAFETY: see `Send` above.
unsafe impl Sync for Ref {}

/// The next identity hash to hand out (shared by all heaps; only used by
/// `tostr`, so contention is irrelevant).
static NEXT_HASH: AtomicU32 = AtomicU32::new(0x1f);

impl Ref {
    /// Wraps a pointer to a fully initialised object header.
    ///
    /// # Safety
    /// `ptr` must point at an initialised object allocated by a
    /// [`crate::heap::Heap`] that outlives every use of the returned `Ref`.
    #[inline(always)]
    pub(crate) unsafe fn from_header(ptr: NonNull<Header>) -> Ref {
        Ref(ptr)
    }

    /// The raw address, as stored in a reference slot.
    #[inline(always)]
    pub fn to_bits(self) -> u64 {
        self.0.as_ptr() as usize as u64
    }

    /// Rebuilds a reference from a slot's bits; `None` for 0 (null).
    ///
    /// # Safety
    /// `bits` must be 0 or have come from [`Ref::to_bits`] of a live object.
    #[inline(always)]
    pub(crate) unsafe fn from_bits(bits: u64) -> Option<Ref> {
        NonNull::new(bits as usize as *mut Header).map(Ref)
    }

    #[inline(always)]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a Ref only ever points at a live, initialised object
        // (invariant of `from_header`), and the header's non-atomic fields are
        // never written after publication.
        unsafe { self.0.as_ref() }
    }

    /// The kind of object.
    #[inline(always)]
    pub fn kind(self) -> ObjKind {
        self.header().kind
    }

    /// The class of an instance; `None` for arrays and strings.
    #[inline(always)]
    pub fn class(self) -> Option<ClassIdx> {
        let h = self.header();
        (h.kind == ObjKind::Instance).then_some(ClassIdx(h.class))
    }

    /// The element type of an array; `None` for other objects.
    #[inline(always)]
    pub fn array_elem_type(self) -> Option<ValueType> {
        let h = self.header();
        if h.kind == ObjKind::Array {
            ValueType::from_u8(h.elem_type)
        } else {
            None
        }
    }

    /// The slots of an instance or array (empty for strings and threads).
    #[inline(always)]
    pub fn slots(&self) -> &[AtomicU64] {
        let h = self.header();
        if h.kind == ObjKind::Str || h.kind == ObjKind::Thread {
            return &[];
        }
        // SAFETY: instances and arrays are allocated with `len` zeroed
        // (= valid) AtomicU64 slots right after the header, 8-byte aligned,
        // and live as long as the heap.
        unsafe {
            let first = (self.0.as_ptr() as *const u8).add(HEADER_SIZE) as *const AtomicU64;
            std::slice::from_raw_parts(first, h.len as usize)
        }
    }

    /// The text of a string object; `None` for other objects.
    #[inline(always)]
    pub fn as_str(&self) -> Option<&str> {
        let h = self.header();
        if h.kind != ObjKind::Str {
            return None;
        }
        // SAFETY: a string object is its header, a u64 char count and `len`
        // bytes copied from a `&str` at allocation; they are never written
        // again, so they are valid UTF-8 for the life of the heap.
        unsafe {
            let bytes = (self.0.as_ptr() as *const u8).add(HEADER_SIZE + STRING_PREFIX);
            Some(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                bytes,
                h.len as usize,
            )))
        }
    }

    /// The number of characters (Unicode scalar values) of a string object;
    /// `None` for other objects.
    #[inline(always)]
    pub fn str_char_count(&self) -> Option<usize> {
        let h = self.header();
        if h.kind != ObjKind::Str {
            return None;
        }
        // SAFETY: string objects store their char count, 8-byte aligned, at
        // the start of the body, written once before publication.
        Some(unsafe { *((self.0.as_ptr() as *const u8).add(HEADER_SIZE) as *const u64) as usize })
    }

    /// The body of a thread object; `None` for other objects.
    #[inline]
    pub fn as_thread(&self) -> Option<&crate::threads::ThreadObject> {
        if self.header().kind != ObjKind::Thread {
            return None;
        }
        // SAFETY: it is a thread object.
        Some(unsafe { self.thread_object_unchecked() })
    }

    /// The body of a thread object, without checking the kind.
    ///
    /// # Safety
    /// `self` is a thread object.
    #[inline]
    pub(crate) unsafe fn thread_object_unchecked(&self) -> &crate::threads::ThreadObject {
        // SAFETY: a thread object's body, initialised before publication, is
        // right after the header, 8-aligned; the heap outlives every Ref.
        unsafe {
            &*((self.0.as_ptr() as *const u8).add(HEADER_SIZE)
                as *const crate::threads::ThreadObject)
        }
    }

    /// The object's identity hash, assigned on first use.
    pub fn identity_hash(self) -> u32 {
        let h = &self.header().hash;
        let current = h.load(Ordering::Relaxed);
        if current != 0 {
            return current;
        }
        let mut fresh = NEXT_HASH.fetch_add(1, Ordering::Relaxed);
        if fresh == 0 {
            fresh = NEXT_HASH.fetch_add(1, Ordering::Relaxed);
        }
        match h.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => fresh,
            Err(winner) => winner,
        }
    }
}

impl fmt::Debug for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({:?} @{:p})", self.kind(), self.0.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_32_bytes_and_8_aligned() {
        assert_eq!(HEADER_SIZE, 32);
        assert_eq!(std::mem::align_of::<Header>(), 8);
    }
}

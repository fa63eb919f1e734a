//! The shared heap: the one allocation path, byte accounting and the
//! `max_heap` limit, and the lists that keep every object findable.
//!
//! One [`Heap`] per program, shared by all of its VM threads (which run on
//! several worker OS threads at once). There is no lock on the access path:
//! objects are read and written through their atomic slots (see
//! [`object`], [`slot`]).
//!
//! Allocation: every object is allocated by [`Heap::alloc_raw`] (through the
//! typed `alloc_*` wrappers), which adds its size to one atomic byte counter
//! and refuses (→ OutOfMemoryError) when the total would pass `max_heap`.
//! Threads' VM stacks are not objects but count against the same limit
//! ([`Heap::charge`] when a stack is created or grows, [`Heap::uncharge`]
//! when it is freed), so `max_heap` bounds all the memory a program's
//! threads can make the VM use, and deep recursion in many threads ends in
//! OutOfMemoryError rather than in the host running out of memory.
//! Exception objects the VM creates itself (and their messages and stack
//! traces) are *exempt* from the limit (up to a reserve of an eighth of it)
//! but still counted, so the VM can always report an OutOfMemoryError; past
//! the reserve it throws one preallocated at link time.
//!
//! Findability: each VM thread owns an [`AllocList`], an intrusive list
//! (through `Header::next`) of every object it allocated; pushing onto it
//! takes no lock. When the thread ends its list is handed to the heap
//! ([`Heap::retire`], one short lock per thread exit). So every object is on
//! exactly one list: a live thread's, or the heap's retired list. A tracing
//! collector can walk them all.
//!
//! Lifetime: there is no collector yet (the next issue adds one), so objects
//! are never freed before the heap is dropped at VM exit; dropping the heap
//! frees every object on the retired list.

pub mod array;
pub mod object;
pub mod slot;
pub mod string;

use std::alloc::Layout;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crossbeam_utils::CachePadded;

use crate::isa::{ClassIdx, ValueType};
use object::{Header, ObjKind, Ref, HEADER_SIZE, STRING_PREFIX};

/// Default `max_heap`: 2 GiB.
pub const DEFAULT_MAX_HEAP: usize = 2 << 30;

/// Body size of a thread object.
const THREAD_BODY: usize = std::mem::size_of::<crate::threads::ThreadObject>();

/// The largest array length and string byte length (Java's limit).
pub const MAX_LENGTH: usize = i32::MAX as usize;

/// An allocation was refused: the heap limit (or the host) is out of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes requested.
    pub requested: usize,
}

/// The objects one VM thread allocated, newest first: an intrusive list
/// through `Header::next`. Owned by exactly one thread; no locking.
pub struct AllocList {
    head: *mut Header,
    tail: *mut Header,
    count: usize,
    /// The worker running the owning thread (set at the start of each of
    /// its slices), whose allocation budget it draws on; `NO_WORKER` outside
    /// the scheduler.
    worker: usize,
}

/// [`AllocList::set_worker`] for a list used outside the scheduler.
pub const NO_WORKER: usize = usize::MAX;

// SAFETY: an AllocList is owned by one VM thread at a time (it moves with its
// ThreadState between worker OS threads); the objects it points at are heap
// objects, which are themselves Send + Sync (see `Ref`).
unsafe impl Send for AllocList {}

impl AllocList {
    /// An empty list.
    pub fn new() -> AllocList {
        AllocList {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            count: 0,
            worker: NO_WORKER,
        }
    }

    /// The owning thread now runs on `worker` (see [`Heap::with_workers`]).
    #[inline]
    pub fn set_worker(&mut self, worker: usize) {
        self.worker = worker;
    }

    /// Number of objects on the list.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no object is on the list.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn push(&mut self, obj: NonNull<Header>) {
        // SAFETY: `obj` was just allocated and is not yet published; only
        // this thread can see it.
        unsafe { (*obj.as_ptr()).next.store(self.head, Ordering::Relaxed) };
        if self.tail.is_null() {
            self.tail = obj.as_ptr();
        }
        self.head = obj.as_ptr();
        self.count += 1;
    }

    /// Moves all of `other`'s objects onto this list.
    fn append(&mut self, other: AllocList) {
        if other.head.is_null() {
            return;
        }
        // SAFETY: `other.tail` is the last object of a non-empty list we own.
        unsafe { (*other.tail).next.store(self.head, Ordering::Relaxed) };
        if self.tail.is_null() {
            self.tail = other.tail;
        }
        self.head = other.head;
        self.count += other.count;
    }
}

impl Default for AllocList {
    fn default() -> Self {
        AllocList::new()
    }
}

/// The heap shared by every thread of one program.
pub struct Heap {
    /// Bytes allocated so far. Every allocating thread adds (Relaxed
    /// fetch_add); anyone may read. On its own cache line: written by every
    /// worker, it must not slow down reads of the fields below.
    allocated: CachePadded<AtomicUsize>,
    /// Per worker: bytes reserved from `allocated` (in `chunk`s) and not yet
    /// used, so most allocations touch no cache line another worker writes.
    /// Only the thread running on a worker uses its budget, one slice at a
    /// time, so a plain load and store update it.
    budgets: Box<[CachePadded<AtomicUsize>]>,
    /// How much a worker reserves at once: 1/256 of `max_heap`, between 256
    /// bytes and 64 KiB, so reserved-but-unused bytes (which count against
    /// the limit) stay under 1/256 of it per worker.
    chunk: usize,
    /// The limit for non-exempt allocations. Immutable.
    max_heap: usize,
    /// Objects of ended threads and of the program itself (interned
    /// constants). Locked once per thread exit, never on allocation.
    retired: Mutex<AllocList>,
}

impl Heap {
    /// An empty heap that refuses allocations past `max_heap` bytes; every
    /// allocation is accounted on the shared counter.
    pub fn new(max_heap: usize) -> Heap {
        Heap::with_workers(max_heap, 0)
    }

    /// Like [`Heap::new`], with an allocation budget for each of `workers`
    /// scheduler workers (see `budgets`).
    pub fn with_workers(max_heap: usize, workers: usize) -> Heap {
        Heap {
            allocated: CachePadded::new(AtomicUsize::new(0)),
            budgets: (0..workers)
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            chunk: (max_heap / 256).clamp(256, 64 << 10),
            max_heap,
            retired: Mutex::new(AllocList::new()),
        }
    }

    /// Bytes allocated so far, plus what workers have reserved for their
    /// next allocations (at most one chunk each).
    pub fn allocated_bytes(&self) -> usize {
        self.allocated.load(Ordering::Relaxed)
    }

    /// How far exempt allocations may go past `max_heap`: an eighth of it,
    /// at least 1 MiB. Without a collector, a program that keeps catching
    /// VM exceptions would otherwise grow without bound; past the reserve,
    /// the VM throws its preallocated OutOfMemoryError.
    fn exempt_reserve(&self) -> usize {
        (self.max_heap / 8).max(1 << 20)
    }

    /// The configured limit.
    pub fn max_heap(&self) -> usize {
        self.max_heap
    }

    /// Counts `bytes` of memory that is not an object (a thread's VM stack)
    /// against `max_heap`, from the budget of the worker running `list`'s
    /// thread. False if the limit refuses; nothing is counted then.
    pub fn charge(&self, list: &AllocList, bytes: usize) -> bool {
        bytes == 0 || self.account(list.worker, bytes, false)
    }

    /// Gives back `bytes` counted by [`Heap::charge`] (the memory is freed):
    /// into the budget of the worker running `list`'s thread (the caller, as
    /// for `charge`), up to one chunk, and the rest to the shared counter. A
    /// thread ending on a worker so touches no cache line another worker
    /// writes (skynet ends a million threads).
    pub fn uncharge(&self, list: &AllocList, bytes: usize) {
        let mut rest = bytes;
        if let Some(budget) = self.budgets.get(list.worker) {
            let have = budget.load(Ordering::Relaxed);
            let keep = self.chunk.saturating_sub(have).min(bytes);
            budget.store(have + keep, Ordering::Relaxed);
            rest -= keep;
        }
        if rest != 0 {
            self.allocated.fetch_sub(rest, Ordering::Relaxed);
        }
    }

    /// Hands a thread's objects over to the heap (at thread exit).
    pub fn retire(&self, list: AllocList) {
        // Most threads allocate nothing (skynet's leaves): no lock for them.
        if list.is_empty() {
            return;
        }
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        retired.append(list);
    }

    /// THE allocation path: accounts `size` bytes (refusing past `max_heap`
    /// unless `exempt`), allocates zeroed memory, writes `header` and links
    /// the object onto `list`.
    fn alloc_raw(
        &self,
        list: &mut AllocList,
        size: usize,
        header: Header,
        exempt: bool,
    ) -> Result<NonNull<Header>, OutOfMemory> {
        let oom = OutOfMemory { requested: size };
        if !self.account(list.worker, size, exempt) {
            return Err(oom);
        }
        let layout = match Layout::from_size_align(size, 8) {
            Ok(l) => l,
            Err(_) => {
                self.allocated.fetch_sub(size, Ordering::Relaxed);
                return Err(oom);
            }
        };
        // SAFETY: `layout` has a non-zero size (>= HEADER_SIZE).
        let raw = unsafe { std::alloc::alloc_zeroed(layout) } as *mut Header;
        let Some(obj) = NonNull::new(raw) else {
            self.allocated.fetch_sub(size, Ordering::Relaxed);
            return Err(oom);
        };
        // SAFETY: `obj` is fresh, 8-aligned and at least HEADER_SIZE bytes.
        unsafe { obj.as_ptr().write(header) };
        list.push(obj);
        Ok(obj)
    }

    /// Counts `size` more bytes against the limit: from `worker`'s budget
    /// if it has enough, else by reserving a new chunk for it, else (near
    /// the limit, for exempt objects, or outside the scheduler) directly.
    /// False if the limit refuses.
    #[inline]
    fn account(&self, worker: usize, size: usize, exempt: bool) -> bool {
        if !exempt {
            if let Some(budget) = self.budgets.get(worker) {
                let have = budget.load(Ordering::Relaxed);
                if have >= size {
                    budget.store(have - size, Ordering::Relaxed);
                    return true;
                }
                let chunk = self.chunk.max(size);
                if self.reserve(chunk, self.max_heap) {
                    budget.store(have + chunk - size, Ordering::Relaxed);
                    return true;
                }
            }
        }
        let limit = if exempt {
            self.max_heap.saturating_add(self.exempt_reserve())
        } else {
            self.max_heap
        };
        self.reserve(size, limit)
    }

    /// Adds `n` bytes to the shared counter unless that passes `limit`.
    fn reserve(&self, n: usize, limit: usize) -> bool {
        let before = self.allocated.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > limit {
            self.allocated.fetch_sub(n, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn header(kind: ObjKind, elem_type: u8, class: u32, len: u32) -> Header {
        Header {
            next: AtomicPtr::new(ptr::null_mut()),
            lock_word: AtomicU64::new(0),
            kind,
            elem_type,
            mark: AtomicU8::new(0),
            _reserved: 0,
            class,
            hash: AtomicU32::new(0),
            len,
        }
    }

    /// Allocates an instance of `class` with `slots` zeroed slots.
    pub fn alloc_instance(
        &self,
        list: &mut AllocList,
        class: ClassIdx,
        slots: u32,
    ) -> Result<Ref, OutOfMemory> {
        self.alloc_instance_inner(list, class, slots, false)
    }

    /// Like [`Heap::alloc_instance`] but exempt from `max_heap` (for
    /// exceptions the VM throws itself).
    pub fn alloc_instance_exempt(
        &self,
        list: &mut AllocList,
        class: ClassIdx,
        slots: u32,
    ) -> Result<Ref, OutOfMemory> {
        self.alloc_instance_inner(list, class, slots, true)
    }

    fn alloc_instance_inner(
        &self,
        list: &mut AllocList,
        class: ClassIdx,
        slots: u32,
        exempt: bool,
    ) -> Result<Ref, OutOfMemory> {
        let size = HEADER_SIZE + 8 * slots as usize;
        let header = Heap::header(ObjKind::Instance, 0, class.0, slots);
        let obj = self.alloc_raw(list, size, header, exempt)?;
        // SAFETY: fully initialised (header written, slots zeroed = valid)
        // and owned by this heap.
        Ok(unsafe { Ref::from_header(obj) })
    }

    /// Allocates a zeroed array of `len` elements of type `elem`
    /// (`len <= MAX_LENGTH`, else OutOfMemory).
    pub fn alloc_array(
        &self,
        list: &mut AllocList,
        elem: ValueType,
        len: usize,
    ) -> Result<Ref, OutOfMemory> {
        self.alloc_array_inner(list, elem, len, false)
    }

    /// Like [`Heap::alloc_array`] but exempt from `max_heap`.
    pub fn alloc_array_exempt(
        &self,
        list: &mut AllocList,
        elem: ValueType,
        len: usize,
    ) -> Result<Ref, OutOfMemory> {
        self.alloc_array_inner(list, elem, len, true)
    }

    fn alloc_array_inner(
        &self,
        list: &mut AllocList,
        elem: ValueType,
        len: usize,
        exempt: bool,
    ) -> Result<Ref, OutOfMemory> {
        if len > MAX_LENGTH {
            return Err(OutOfMemory {
                requested: len.saturating_mul(8),
            });
        }
        let size = HEADER_SIZE + 8 * len;
        let header = Heap::header(ObjKind::Array, elem as u8, 0, len as u32);
        let obj = self.alloc_raw(list, size, header, exempt)?;
        // SAFETY: fully initialised (header written, elements zeroed).
        Ok(unsafe { Ref::from_header(obj) })
    }

    /// Allocates an immutable string holding `s`.
    pub fn alloc_string(&self, list: &mut AllocList, s: &str) -> Result<Ref, OutOfMemory> {
        self.alloc_string_inner(list, s, false)
    }

    /// Like [`Heap::alloc_string`] but exempt from `max_heap`.
    pub fn alloc_string_exempt(&self, list: &mut AllocList, s: &str) -> Result<Ref, OutOfMemory> {
        self.alloc_string_inner(list, s, true)
    }

    fn alloc_string_inner(
        &self,
        list: &mut AllocList,
        s: &str,
        exempt: bool,
    ) -> Result<Ref, OutOfMemory> {
        if s.len() > MAX_LENGTH {
            return Err(OutOfMemory { requested: s.len() });
        }
        let size = HEADER_SIZE + STRING_PREFIX + s.len();
        let header = Heap::header(ObjKind::Str, 0, 0, s.len() as u32);
        let obj = self.alloc_raw(list, size, header, exempt)?;
        let chars = string::char_count(s) as u64;
        // SAFETY: the object has room for the u64 char count (8-aligned
        // right after the 32-byte header) and `s.len()` bytes after it; it is
        // not yet published, so nobody else reads it.
        unsafe {
            let body = (obj.as_ptr() as *mut u8).add(HEADER_SIZE);
            (body as *mut u64).write(chars);
            ptr::copy_nonoverlapping(s.as_ptr(), body.add(STRING_PREFIX), s.len());
        }
        // SAFETY: fully initialised.
        Ok(unsafe { Ref::from_header(obj) })
    }

    /// Allocates the object of a NEW thread numbered `id`, without its
    /// record yet (the caller attaches it before publishing the object).
    pub fn alloc_thread(&self, list: &mut AllocList, id: u64) -> Result<Ref, OutOfMemory> {
        let size = HEADER_SIZE + THREAD_BODY;
        let header = Heap::header(ObjKind::Thread, 0, 0, 0);
        let obj = self.alloc_raw(list, size, header, false)?;
        // SAFETY: the object has room for the body, 8-aligned right after the
        // header; it is not yet published.
        unsafe {
            let body = (obj.as_ptr() as *mut u8).add(HEADER_SIZE);
            (body as *mut crate::threads::ThreadObject)
                .write(crate::threads::ThreadObject::new(id));
        }
        // SAFETY: fully initialised.
        Ok(unsafe { Ref::from_header(obj) })
    }

    /// The allocation size of an object (what `alloc_raw` was asked for).
    fn object_size(h: &Header) -> usize {
        match h.kind {
            ObjKind::Instance | ObjKind::Array => HEADER_SIZE + 8 * h.len as usize,
            ObjKind::Str => HEADER_SIZE + STRING_PREFIX + h.len as usize,
            ObjKind::Thread => HEADER_SIZE + THREAD_BODY,
        }
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let list = std::mem::take(self.retired.get_mut().unwrap_or_else(|e| e.into_inner()));
        let mut cur = list.head;
        while !cur.is_null() {
            // SAFETY: every object on the retired list was allocated by
            // `alloc_raw` with exactly `object_size` bytes, align 8, and is
            // on no other list. The heap is being dropped, so no thread (and
            // no Ref still in use) can reach it any more.
            unsafe {
                let next = (*cur).next.load(Ordering::Relaxed);
                let size = Heap::object_size(&*cur);
                if (*cur).kind == ObjKind::Thread {
                    // Releases the record of a thread that never ended.
                    let body = (cur as *mut u8).add(HEADER_SIZE);
                    ptr::drop_in_place(body as *mut crate::threads::ThreadObject);
                }
                std::alloc::dealloc(cur as *mut u8, Layout::from_size_align_unchecked(size, 8));
                cur = next;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn worker_budgets_reserve_chunks_and_still_enforce_the_limit() {
        // 64 KiB: chunks of 256 bytes; objects of 32 + 8 * 4 = 64 bytes.
        let heap = Heap::with_workers(64 << 10, 2);
        let mut list = AllocList::new();
        list.set_worker(1);
        heap.alloc_instance(&mut list, ClassIdx(20), 4).unwrap();
        assert_eq!(heap.allocated_bytes(), 256, "one chunk reserved");
        for _ in 0..3 {
            heap.alloc_instance(&mut list, ClassIdx(20), 4).unwrap();
        }
        assert_eq!(heap.allocated_bytes(), 256, "drawn from the budget");
        heap.alloc_instance(&mut list, ClassIdx(20), 4).unwrap();
        assert_eq!(heap.allocated_bytes(), 512, "a second chunk");
        // Fill up to the limit: every byte is usable; then it refuses.
        let mut n = 5;
        while heap.alloc_instance(&mut list, ClassIdx(20), 4).is_ok() {
            n += 1;
        }
        assert_eq!(n, (64 << 10) / 64);
        assert!(heap.allocated_bytes() <= 64 << 10);
        // A list outside the scheduler counts exactly (and is refused too).
        let mut outside = AllocList::new();
        assert!(heap.alloc_instance(&mut outside, ClassIdx(20), 0).is_err());
        heap.retire(list);
    }

    #[test]
    fn allocations_are_counted_listed_and_limited() {
        let heap = Heap::new(1000);
        let mut list = AllocList::new();
        let obj = heap.alloc_instance(&mut list, ClassIdx(20), 3).unwrap();
        assert_eq!(obj.class(), Some(ClassIdx(20)));
        assert_eq!(obj.slots().len(), 3);
        assert_eq!(heap.allocated_bytes(), 32 + 24);
        let s = heap.alloc_string(&mut list, "héllo").unwrap();
        assert_eq!(s.as_str(), Some("héllo"));
        assert_eq!(s.str_char_count(), Some(5));
        assert_eq!(list.len(), 2);
        assert!(heap.alloc_array(&mut list, ValueType::Int, 1000).is_err());
        assert_eq!(list.len(), 2);
        // exempt allocations pass the limit but are still counted
        let big = heap
            .alloc_array_exempt(&mut list, ValueType::Float, 200)
            .unwrap();
        assert_eq!(big.array_elem_type(), Some(ValueType::Float));
        assert!(
            matches!(slot::load(&big.slots()[199], ValueType::Float), Value::Float(f) if f == 0.0)
        );
        assert!(heap.allocated_bytes() > 1000);
        heap.retire(list);
    }

    #[test]
    fn heap_can_be_shared_across_os_threads() {
        let heap = std::sync::Arc::new(Heap::new(DEFAULT_MAX_HEAP));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let heap = heap.clone();
                std::thread::spawn(move || {
                    let mut list = AllocList::new();
                    for _ in 0..100 {
                        heap.alloc_array(&mut list, ValueType::Ref, 4).unwrap();
                    }
                    heap.retire(list);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(heap.retired.lock().unwrap().len(), 400);
    }
}

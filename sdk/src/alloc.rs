//! The plugins' memory allocator: small blocks from per-size free lists.
//!
//! A request decodes into many short-lived small values (strings, map
//! nodes, vectors of a few items), so a plugin spends much of its time in
//! `malloc`/`free`. wasi-libc's dlmalloc, which Rust's default allocator
//! calls on wasm, searches bins, splits and coalesces on each call. Here a
//! small block (up to [`MAX_SMALL`] bytes) is popped from, and pushed back
//! to, the free list of its size class; new blocks are cut from 64 KiB
//! chunks. Larger blocks go to the system allocator. The limit is where the
//! many short-lived blocks end (strings, vectors of a few items, map nodes)
//! and the few large buffers begin: a freed block serves only its own class,
//! so large buffers stay with dlmalloc, which merges freed neighbours and
//! keeps a big request (a 1000-key listing) from growing the instance's
//! memory for good.
//!
//! Freed small blocks are kept for reuse by their class and never returned
//! to the system: a plugin instance is short-lived (the host retires it
//! after a bounded number of calls, or once its memory has grown past a
//! bound), so this trades a little memory for speed.
//!
//! [`crate::plugin!`] installs it as the global allocator on wasm; a plugin
//! instance runs one call at a time on one thread, which is what lets it go
//! without locks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Block sizes of the classes; all multiples of 16, so every block is
/// 16-aligned when its chunk is.
const SIZES: [usize; 12] = [16, 32, 48, 64, 80, 96, 112, 128, 192, 256, 384, 512];

/// The largest block served from the free lists.
pub const MAX_SMALL: usize = SIZES[SIZES.len() - 1];

/// Alignment every small block has.
const ALIGN: usize = 16;

/// Bytes taken from the system at a time to cut small blocks from.
const CHUNK: usize = 64 * 1024;

/// The size class of a request, if it is small enough.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(1);
    if layout.align() > ALIGN || size > MAX_SMALL {
        return None;
    }
    Some(if size <= 128 {
        (size - 1) / 16
    } else {
        // Above 128 the classes are 2^k and 1.5 * 2^k: find the power of
        // two that holds `size`, then whether its lower three quarters do.
        let e = (usize::BITS - (size - 1).leading_zeros()) as usize;
        8 + 2 * (e - 8) + usize::from(size > 3 << (e - 2))
    })
}

/// Free lists and the chunk being cut.
struct Pools {
    /// Head of each class's free list; a free block holds the next pointer.
    free: [*mut u8; SIZES.len()],
    /// Next uncut byte of the current chunk.
    bump: *mut u8,
    /// Uncut bytes left in the current chunk.
    left: usize,
}

/// Size-class allocator for single-threaded plugin instances.
pub struct SizeClasses {
    pools: UnsafeCell<Pools>,
}

// SAFETY: a plugin instance is single-threaded (wasm without threads); the
// allocator is installed globally only there. Native tests use their own
// instance from one thread.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    /// An allocator with no memory yet.
    pub const fn new() -> Self {
        Self {
            pools: UnsafeCell::new(Pools {
                free: [ptr::null_mut(); SIZES.len()],
                bump: ptr::null_mut(),
                left: 0,
            }),
        }
    }

    /// A block of class `c`: from its free list, else cut from a chunk.
    unsafe fn take(&self, c: usize) -> *mut u8 {
        // SAFETY: single-threaded (see the `Sync` impl); no reference to
        // the pools outlives this call.
        let pools = unsafe { &mut *self.pools.get() };
        let head = pools.free[c];
        if !head.is_null() {
            // SAFETY: a free block's first word is the next free block.
            pools.free[c] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = SIZES[c];
        if pools.left < size {
            // The rest of the old chunk (less than one block) is left unused.
            // SAFETY: CHUNK is non-zero and ALIGN a power of two.
            let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
            if chunk.is_null() {
                return chunk;
            }
            pools.bump = chunk;
            pools.left = CHUNK;
        }
        let block = pools.bump;
        // SAFETY: `size <= left`, so the block lies inside the chunk.
        pools.bump = unsafe { block.add(size) };
        pools.left -= size;
        block
    }

    /// Returns a block of class `c` to its free list.
    unsafe fn give(&self, c: usize, block: *mut u8) {
        // SAFETY: as in `take`.
        let pools = unsafe { &mut *self.pools.get() };
        // SAFETY: every block is at least 16 bytes and 16-aligned.
        unsafe { block.cast::<*mut u8>().write(pools.free[c]) };
        pools.free[c] = block;
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks of a class never overlap (each is cut once from a chunk
// and is on at most one free list); large layouts go to `System` as they are.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            // SAFETY: forwarded contract.
            Some(c) => unsafe { self.take(c) },
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            // SAFETY: `ptr` came from `alloc` with this layout, so from class `c`.
            Some(c) => unsafe { self.give(c, ptr) },
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with this alignment is a
        // valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new)) {
            (Some(a), Some(b)) if a == b => ptr,
            // SAFETY: both large: the system allocator grows in place when it can.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: forwarded contract; the copy covers the smaller size.
                unsafe {
                    let to = self.alloc(new);
                    if !to.is_null() {
                        ptr::copy_nonoverlapping(ptr, to, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    to
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_fit_their_requests() {
        for size in 1..=MAX_SMALL {
            let c = class_of(Layout::from_size_align(size, 8).unwrap()).unwrap();
            assert!(SIZES[c] >= size, "size {size} in class {c}");
            assert!(
                c == 0 || SIZES[c - 1] < size,
                "size {size} not in the tightest class"
            );
        }
        assert_eq!(
            class_of(Layout::from_size_align(MAX_SMALL + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_of(Layout::from_size_align(8, 32).unwrap()), None);
    }

    #[test]
    fn blocks_are_distinct_aligned_and_reused() {
        let a = SizeClasses::new();
        let layout = |n| Layout::from_size_align(n, 8).unwrap();
        unsafe {
            let blocks: Vec<(*mut u8, usize)> = (1..3000)
                .step_by(7)
                .map(|n| {
                    let p = a.alloc(layout(n));
                    assert_eq!(p as usize % 8, 0);
                    ptr::write_bytes(p, (n % 251) as u8, n);
                    (p, n)
                })
                .collect();
            // Every block kept its own bytes: none overlaps another.
            for &(p, n) in &blocks {
                assert!(
                    std::slice::from_raw_parts(p, n)
                        .iter()
                        .all(|&b| b == (n % 251) as u8)
                );
            }
            let (p, n) = blocks[3];
            a.dealloc(p, layout(n));
            assert_eq!(a.alloc(layout(n)), p, "a freed block is reused first");
            // Growing within a class keeps the block; across classes copies.
            let q = a.alloc(layout(20));
            ptr::write_bytes(q, 7, 20);
            assert_eq!(a.realloc(q, layout(20), 30), q);
            let r = a.realloc(q, layout(30), 5000);
            assert!(std::slice::from_raw_parts(r, 20).iter().all(|&b| b == 7));
            let s = a.realloc(r, layout(5000), 10);
            assert!(std::slice::from_raw_parts(s, 10).iter().all(|&b| b == 7));
            a.dealloc(s, layout(10));
            for (p, n) in blocks.into_iter().skip(4) {
                a.dealloc(p, layout(n));
            }
        }
    }
}

//! Fiber stacks kept for reuse. Every plugin call runs on a fiber stack of
//! its own; wasmtime's on-demand allocator maps a new one and unmaps it after
//! whenever a store's cached stack is busy (a call that invokes another
//! plugin), and each unmap interrupts every core to flush its TLB while the
//! fresh pages fault in one by one. Profiling SNS Publish fanned out to SQS
//! found a fifth of the server's time there. Stacks given back wait here
//! for the next call instead, up to [`MAX_KEPT`]; an idle server lets them go.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use wasmtime::{StackCreator, StackMemory};

/// Most stacks kept for reuse (each holds the pages its deepest call
/// touched).
const MAX_KEPT: usize = 32;

/// A mapped stack: a guard page below `size` usable bytes.
struct Mapping {
    base: *mut u8,
    guard: usize,
    size: usize,
}

// SAFETY: the mapping is plain memory owned by whoever holds the `Mapping`;
// wasmtime runs one fiber on it at a time.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `size` usable bytes (a multiple of `page`) above a guard page.
    fn new(size: usize, page: usize) -> wasmtime::Result<Self> {
        let total = size + page;
        // SAFETY: a fresh anonymous mapping, checked before use.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(wasmtime::Error::msg(format!(
                "mapping a {total}-byte fiber stack: {}",
                std::io::Error::last_os_error()
            )));
        }
        let base = base.cast::<u8>();
        let mapping = Mapping {
            base,
            guard: page,
            size,
        };
        // SAFETY: the range lies inside the mapping made above.
        let rc = unsafe {
            libc::mprotect(
                base.add(page).cast(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if rc != 0 {
            return Err(wasmtime::Error::msg(format!(
                "protecting a fiber stack: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(mapping)
    }

    /// Zero-fills the usable part (its pages are dropped and fault in as
    /// zeros again).
    fn zero(&self) {
        // SAFETY: the usable range of our own mapping; nothing runs on it.
        unsafe {
            libc::madvise(
                self.base.add(self.guard).cast(),
                self.size,
                libc::MADV_DONTNEED,
            );
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the whole mapping made in `new`, no longer lent out.
        unsafe {
            libc::munmap(self.base.cast(), self.guard + self.size);
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// The stacks waiting for reuse; given to the engine as its stack creator.
#[derive(Default)]
pub struct StackCache {
    free: Arc<Mutex<Vec<Mapping>>>,
}

impl StackCache {
    /// Unmaps every stack waiting for reuse (the server is idle).
    pub fn release(&self) {
        let freed = std::mem::take(&mut *self.free.lock().unwrap());
        drop(freed);
    }

    /// How many stacks wait for reuse.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().unwrap().len()
    }
}

// SAFETY: every stack has a guard page below it, is page aligned, and is
// zero-filled when new and when `zeroed` is asked for on reuse.
unsafe impl StackCreator for StackCache {
    fn new_stack(&self, size: usize, zeroed: bool) -> wasmtime::Result<Box<dyn StackMemory>> {
        let page = page_size();
        let wanted = size.div_ceil(page) * page;
        let reused = {
            let mut free = self.free.lock().unwrap();
            free.iter()
                .position(|m| m.size == wanted)
                .map(|i| free.swap_remove(i))
        };
        let mapping = match reused {
            Some(m) => {
                if zeroed {
                    m.zero();
                }
                m
            }
            None => Mapping::new(wanted, page)?,
        };
        Ok(Box::new(Lent {
            mapping: Some(mapping),
            home: self.free.clone(),
        }))
    }
}

/// A stack lent to wasmtime; dropping it gives it back.
struct Lent {
    mapping: Option<Mapping>,
    home: Arc<Mutex<Vec<Mapping>>>,
}

impl Lent {
    fn mapping(&self) -> &Mapping {
        self.mapping.as_ref().expect("a lent stack has its mapping")
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(m) = self.mapping.take() {
            let mut free = self.home.lock().unwrap();
            if free.len() < MAX_KEPT {
                free.push(m);
            }
        }
    }
}

// SAFETY: the ranges describe the mapping this value owns.
unsafe impl StackMemory for Lent {
    fn top(&self) -> *mut u8 {
        let m = self.mapping();
        // SAFETY: one past the end of our own mapping.
        unsafe { m.base.add(m.guard + m.size) }
    }

    fn range(&self) -> Range<usize> {
        let m = self.mapping();
        let start = m.base as usize + m.guard;
        start..start + m.size
    }

    fn guard_range(&self) -> Range<*mut u8> {
        let m = self.mapping();
        // SAFETY: the guard page at the start of our own mapping.
        m.base..unsafe { m.base.add(m.guard) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_back_stack_is_lent_again() {
        let cache = StackCache::default();
        let a = cache.new_stack(64 * 1024, false).unwrap();
        let top = a.top();
        let range = a.range();
        assert_eq!(range.end, top as usize);
        assert_eq!(range.len(), 64 * 1024);
        // The stack is writable down to its guard page.
        unsafe { *(range.start as *mut u8) = 7 };
        drop(a);
        assert_eq!(cache.kept(), 1);
        let b = cache.new_stack(64 * 1024, true).unwrap();
        assert_eq!(b.top(), top);
        // Asked for zeroed, a reused stack reads zeros again.
        assert_eq!(unsafe { *(b.range().start as *const u8) }, 0);
        assert_eq!(cache.kept(), 0);
        drop(b);
        cache.release();
        assert_eq!(cache.kept(), 0);
    }

    #[test]
    fn stacks_of_another_size_are_not_mixed_up() {
        let cache = StackCache::default();
        drop(cache.new_stack(64 * 1024, false).unwrap());
        let b = cache.new_stack(128 * 1024, false).unwrap();
        assert_eq!(b.range().len(), 128 * 1024);
        assert_eq!(cache.kept(), 1);
    }
}

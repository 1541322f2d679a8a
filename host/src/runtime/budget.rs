//! One memory budget for the linear memories of every plugin instance
//! together. Each instance also has its own cap, but N concurrent requests
//! that each push an instance to that cap would otherwise multiply it; here
//! every growth is taken from one shared budget, and a growth the budget
//! cannot cover stops the call (answered as throttling), not the server.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared budget, in bytes.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Takes `bytes` from the budget; false (taking nothing) if they are not there.
    pub fn try_take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `bytes` taken earlier.
    pub fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Bytes taken now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// The budget's size in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The default budget for all plugin instances together: a quarter of the
/// memory this process may use (the machine's, or its container's limit),
/// at most 2 GiB, and never less than one instance's cap.
pub fn default_limit(per_instance: usize) -> usize {
    let quarter = machine_memory().map_or(2 << 30, |m| (m / 4) as usize);
    quarter.min(2 << 30).max(per_instance)
}

/// Physical memory, or the cgroup (container) limit when lower.
fn machine_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        let physical = (pages > 0 && size > 0).then(|| pages as u64 * size as u64);
        let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        match (physical, cgroup) {
            (Some(p), Some(c)) => Some(p.min(c)),
            (p, c) => p.or(c),
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_what_is_left_and_gets_it_back() {
        let b = MemoryBudget::new(100);
        assert!(b.try_take(60));
        assert!(!b.try_take(41));
        assert_eq!(b.used(), 60);
        assert!(b.try_take(40));
        b.give_back(60);
        assert!(b.try_take(60));
        assert_eq!(b.used(), 100);
    }

    #[test]
    fn the_default_covers_one_instance_and_stays_bounded() {
        assert!(default_limit(512 << 20) >= 512 << 20);
        assert!(default_limit(1) <= 2 << 30);
    }
}

//! The process's own memory: glibc's allocator tuned for a server that
//! serves bursts of small requests and big bodies, and freed memory handed
//! back to the operating system once a burst is over, so that an idle server
//! holds little more than it did before the burst.

use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Runtime;
use crate::server::requests_received;

/// How often the idle trimmer looks for a pause in requests.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Runs until the process ends: after a second without requests that follows
/// some requests, keeps one warm instance per plugin (the others' linear
/// memories are unmapped) and hands freed heap memory back. glibc returns
/// only the free top of a heap by itself; the commits of a burst of writes
/// leave free pages across the heap (measured: 61 MiB of a 96 MiB server
/// after a minute of SQS receives and deletes at 32 connections).
pub async fn trim_when_idle(runtime: Arc<Runtime>) {
    let mut seen = requests_received();
    let mut trimmed = seen;
    loop {
        tokio::time::sleep(IDLE_CHECK).await;
        let now = requests_received();
        if now == seen && now != trimmed {
            let runtime = runtime.clone();
            let _ = tokio::task::spawn_blocking(move || {
                runtime.shrink_pools();
                release_freed_memory();
            })
            .await;
            trimmed = now;
        }
        seen = now;
    }
}

/// Keeps glibc's allocator from holding on to memory after bursts of big
/// bodies: buffers of 128 KiB and more are always mapped on their own (and
/// unmapped when freed) instead of glibc's threshold creeping up to 32 MiB
/// and keeping them in the heap. Arenas: one per request worker (tokio runs
/// one per core), one for the main thread and one the background threads
/// share, instead of glibc's eight per core; fewer limit fragmentation, but
/// two workers sharing an arena wait on its lock on every allocation, which
/// cost a quarter of the throughput of small requests. Called first thing,
/// before any thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any
    // other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        libc::mallopt(libc::M_ARENA_MAX, workers as libc::c_int + 2);
    }
}

/// Hands freed heap memory back to the operating system (after plugins were
/// compiled, and when the server falls idle), so RSS reflects what the
/// server really holds.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Tells the kernel that this process no longer needs the pages of embedded
/// read-only data (a built-in plugin's packed code, once unpacked): they
/// leave the resident set, and would be read from the binary again if ever
/// touched. Only whole pages inside `bytes` are given up.
pub fn forget_embedded(bytes: &'static [u8]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (bytes.as_ptr() as usize).next_multiple_of(PAGE);
        let end = (bytes.as_ptr() as usize + bytes.len()) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside a `'static` slice of the binary's
            // read-only data, a private file mapping nothing writes to: after
            // MADV_DONTNEED a read maps the same bytes from the file again.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

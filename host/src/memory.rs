//! The process's own memory: glibc's allocator tuned for a server that
//! serves bursts of small requests and big bodies, freed memory handed back
//! to the operating system, and code pages out when not running. It knows
//! nothing of plugins or requests: [`crate::idle`] decides when to trim.

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

/// Hands back the pages of code the process has mapped but is not running
/// now: its own binary's code and read-only data, and the plugins' compiled
/// code. These are clean pages of files, which the kernel maps in 64 KiB runs
/// around every page touched, so a few requests leave megabytes of them
/// mapped; paged out (`MADV_PAGEOUT`) they are dropped from memory and read
/// again, page by page, when next used. Only read-only, never-written file
/// mappings are touched (nothing to write back); a kernel without
/// `MADV_PAGEOUT` (before 5.4) just keeps them.
pub fn page_out_code() {
    #[cfg(target_os = "linux")]
    {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return;
        };
        for (start, end) in clean_code_mappings(&smaps) {
            // SAFETY: the range is a whole mapping of a file, read-only and
            // never written (no anonymous pages): paging it out loses
            // nothing, a later read maps the same bytes from the file.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT);
            }
        }
    }
}

/// The address ranges of `/proc/self/smaps` that are read-only private
/// mappings of a file (the binary, libraries, compiled plugins) holding no
/// anonymous (copied-on-write) pages.
fn clean_code_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            let perms = fields.next().unwrap_or_default();
            let path = fields.nth(3).unwrap_or_default();
            let file = path.starts_with('/');
            current = (file && (perms == "r-xp" || perms == "r--p")).then_some((start, end));
        } else if let Some(kb) = line.strip_prefix("Anonymous:")
            && let Some(range) = current.take()
            && kb.trim().trim_end_matches("kB").trim() == "0"
        {
            out.push(range);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_read_only_file_mappings_are_paged_out() {
        let smaps = "\
55a0-55b0 r-xp 00000000 fd:01 123 /usr/bin/ruststack
Size:                 64 kB
Anonymous:             0 kB
55b0-55c0 r--p 00000000 fd:01 123 /usr/bin/ruststack
Anonymous:             8 kB
55c0-55d0 rw-p 00000000 fd:01 123 /usr/bin/ruststack
Anonymous:             0 kB
7f00-7f10 r-xp 00000000 fd:01 9 /home/u/.cache/ruststack/x.cwasm
Anonymous:             0 kB
7f10-7f20 rw-p 00000000 00:00 0
Anonymous:            16 kB
7f20-7f30 r--p 00000000 00:00 0 [vvar]
Anonymous:             0 kB
";
        assert_eq!(
            clean_code_mappings(smaps),
            vec![(0x55a0, 0x55b0), (0x7f00, 0x7f10)]
        );
    }
}

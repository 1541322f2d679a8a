//! Where the server's log lines go: a buffer that a thread of its own
//! writes to stderr every [`FLUSH_EVERY`].
//!
//! With the request log on, every call writes a line. Handing each line to
//! a writer thread that wakes for it (what `tracing-appender` does) costs a
//! thread wake-up, and often a system call, per request: on two cores that
//! was a quarter of the host's throughput for a plugin that does nothing.
//! Here a request's thread only appends its formatted line to a shared
//! buffer under a lock; the writer thread sleeps and writes whatever has
//! gathered in one system call. Lines therefore reach stderr up to
//! [`FLUSH_EVERY`] late (and a `kill -9` loses at most that much log), and
//! the [`Guard`] writes what is left when the server stops.
//!
//! The buffer is bounded: a thread whose line would take it past
//! [`MAX_BUFFERED`] (stderr is a full pipe nobody reads) waits until the
//! writer has drained it, as a blocking write would, so no line is lost.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Bytes the buffer holds at most before writers wait for the writer thread.
pub const MAX_BUFFERED: usize = 1 << 20;

/// The buffer and the writer thread's signals.
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread early (a full buffer, or the end).
    wake: Condvar,
    /// Tells waiting writers the buffer was drained.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while appending left whole lines behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The log's `MakeWriter`: appends each formatted line to the buffer.
#[derive(Clone)]
pub struct BufferedStderr {
    shared: Arc<Shared>,
}

/// Keeps the writer thread; dropping it writes the rest and stops the thread.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The writer and its guard, with the writer thread started; lines go to
/// `out` (stderr for the server).
pub fn start(out: impl Write + Send + 'static) -> (BufferedStderr, Guard) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        drained: Condvar::new(),
    });
    let thread = std::thread::Builder::new()
        .name("ruststack-log".into())
        .spawn({
            let shared = shared.clone();
            move || write_loop(&shared, out)
        })
        .expect("starting the log writer thread");
    (
        BufferedStderr {
            shared: shared.clone(),
        },
        Guard {
            shared,
            thread: Some(thread),
        },
    )
}

/// The writer thread: every [`FLUSH_EVERY`] (sooner when a writer finds
/// the buffer full, or at the end), takes what has gathered and writes it
/// with the lock released.
fn write_loop(shared: &Shared, mut out: impl Write) {
    let mut spare = Vec::new();
    loop {
        let stopping = {
            let mut state = shared.lock();
            if !state.stopping && state.buf.len() < MAX_BUFFERED / 2 {
                state = shared
                    .wake
                    .wait_timeout(state, FLUSH_EVERY)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            std::mem::swap(&mut state.buf, &mut spare);
            shared.drained.notify_all();
            state.stopping
        };
        if !spare.is_empty() {
            // Nowhere to report a failed write of the log itself.
            let _ = out.write_all(&spare);
            let _ = out.flush();
            spare.clear();
        }
        if stopping && shared.lock().buf.is_empty() {
            return;
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One event's writer (tracing formats a line, then writes it here).
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        while state.buf.len() + bytes.len() > MAX_BUFFERED
            && !state.buf.is_empty()
            && !state.stopping
        {
            self.shared.wake.notify_one();
            state = self
                .shared
                .drained
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        state.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` into a shared vector, to see what the writer thread wrote.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_in_order_and_the_guard_writes_the_rest() {
        let sink = Sink::default();
        let (writer, guard) = start(sink.clone());
        for i in 0..1000 {
            writer
                .make_writer()
                .write_all(format!("line {i}\n").as_bytes())
                .unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[999], "line 999");
    }

    #[test]
    fn lines_are_written_without_the_guard_going() {
        let sink = Sink::default();
        let (writer, _guard) = start(sink.clone());
        writer.make_writer().write_all(b"early\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(&*sink.0.lock().unwrap(), b"early\n");
    }

    #[test]
    fn a_full_buffer_makes_writers_wait_not_lose_lines() {
        let sink = Sink::default();
        let (writer, guard) = start(sink.clone());
        let line = vec![b'x'; 64 * 1024];
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (w, l) = (writer.clone(), line.clone());
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        w.make_writer().write_all(&l).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        assert_eq!(sink.0.lock().unwrap().len(), 4 * 40 * 64 * 1024);
    }
}

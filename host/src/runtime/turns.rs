//! Turns: how many calls of one plugin run at once. A call takes a turn
//! before it runs and gives it back when the plugin returns. A call that
//! keeps running (a loop, a slow computation) trades its turn after
//! [`OVERTIME_AFTER_TICKS`] for the plugin's single overtime turn, so that
//! looping calls together hold at most one turn's worth of the plugin's
//! concurrency and its other requests keep being answered; overtime calls
//! wait for that turn in line, and each is still stopped at its deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

/// Epoch ticks (see `EPOCH_TICK`) a call may spend running wasm before it
/// trades its turn for the overtime turn: about half a second. The epoch
/// callback fires only while wasm runs, so time spent waiting in the host
/// (for the store, a blob, outbound HTTP) does not count.
pub const OVERTIME_AFTER_TICKS: u32 = 100;

/// A future the epoch callback hands wasmtime to await before the call goes on.
pub type Pause = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A plugin version's turns: as many regular ones as its concurrency, and one
/// overtime turn.
pub struct Turns {
    regular: Arc<Semaphore>,
    overtime: Arc<Semaphore>,
}

impl Turns {
    /// `n` regular turns (at least one) and one overtime turn.
    pub fn new(n: usize) -> Self {
        Turns {
            regular: Arc::new(Semaphore::new(n.max(1))),
            overtime: Arc::new(Semaphore::new(1)),
        }
    }

    /// Waits for a regular turn.
    pub async fn acquire(&self) -> Result<Turn, AcquireError> {
        Ok(Turn {
            regular: Some(self.regular.clone().acquire_owned().await?),
            overtime: self.overtime.clone(),
            held_overtime: Arc::new(Mutex::new(None)),
        })
    }

    /// Regular turns free now (for tests).
    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.regular.available_permits()
    }
}

/// A call's turn: a regular one, or, once it ran too long, the overtime turn
/// (or its place in line for it). Dropping it gives back whichever it holds.
pub struct Turn {
    regular: Option<OwnedSemaphorePermit>,
    overtime: Arc<Semaphore>,
    held_overtime: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl Turn {
    /// Called by the epoch callback after the call ran `ticks` ticks. At
    /// [`OVERTIME_AFTER_TICKS`] the regular turn is given back, and the
    /// answer is a pause that waits for the overtime turn, but no longer
    /// than `deadline` (the next tick then stops the call).
    pub fn tick(&mut self, ticks: u32, deadline: Instant) -> Option<Pause> {
        if ticks < OVERTIME_AFTER_TICKS {
            return None;
        }
        drop(self.regular.take()?);
        let (overtime, held) = (self.overtime.clone(), self.held_overtime.clone());
        Some(Box::pin(async move {
            let wait = overtime.acquire_owned();
            if let Ok(Ok(p)) = tokio::time::timeout_at(deadline.into(), wait).await {
                *held.lock().unwrap() = Some(p);
            }
        }))
    }

    /// True while the call holds a regular turn.
    #[cfg(test)]
    pub fn is_regular(&self) -> bool {
        self.regular.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_long_call_trades_its_turn_for_the_single_overtime_turn() {
        let turns = Turns::new(2);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut a = turns.acquire().await.unwrap();
        let mut b = turns.acquire().await.unwrap();
        assert_eq!(turns.available(), 0);
        assert!(a.tick(OVERTIME_AFTER_TICKS - 1, deadline).is_none());
        // Past the budget: the regular turn is free again.
        let pause_a = a.tick(OVERTIME_AFTER_TICKS, deadline).unwrap();
        assert_eq!(turns.available(), 1);
        assert!(!a.is_regular());
        pause_a.await;
        // A second long call gives its turn back too, then waits in line.
        let pause_b = b.tick(OVERTIME_AFTER_TICKS, deadline).unwrap();
        assert_eq!(turns.available(), 2);
        let waiting = tokio::spawn(pause_b);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one overtime turn at a time");
        drop(a);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the overtime turn passes on")
            .unwrap();
        // Later ticks change nothing.
        assert!(b.tick(OVERTIME_AFTER_TICKS + 1, deadline).is_none());
    }

    #[tokio::test]
    async fn waiting_for_overtime_ends_at_the_deadline() {
        let turns = Turns::new(2);
        let far = Instant::now() + Duration::from_secs(60);
        let mut a = turns.acquire().await.unwrap();
        a.tick(OVERTIME_AFTER_TICKS, far).unwrap().await;
        let mut b = turns.acquire().await.unwrap();
        let soon = Instant::now() + Duration::from_millis(30);
        tokio::time::timeout(
            Duration::from_secs(1),
            b.tick(OVERTIME_AFTER_TICKS, soon).unwrap(),
        )
        .await
        .expect("the pause ends at the call's deadline");
    }
}

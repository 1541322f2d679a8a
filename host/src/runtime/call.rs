//! One plugin call, from a turn to a commit: [`Runtime::call`] runs the
//! attempts; admission (the solo lock and turns), getting an instance,
//! running the export and classifying a failure are each their own piece.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{RwLockReadGuard, RwLockWriteGuard};
use wasmtime::Trap;

use super::plugin::PluginVersion;
use super::pool::{self, Warm};
use super::state::MemoryHit;
use super::turns::Turn;
use super::{Entry, Failure, MAX_ATTEMPTS, OutOfMemory, Runtime, SOLO_AFTER, Veto};
use crate::store::{CallTxn, CommitOutcome, IncomingBody};
use crate::wit::Outcome;

/// What lets a top-level call run: a share of its plugin's solo lock (the
/// whole lock once it has lost too many races, so that no other call of the
/// plugin can commit under it) and a turn while the plugin runs.
///
/// The lock is taken before a turn and never awaited while holding one, so a
/// call waiting for it never keeps a turn from the calls it waits for. A turn
/// is held while the plugin runs, not while its writes wait for the
/// committer, so that more calls run meanwhile and commit together. Nested
/// calls (`invoke`) skip both: their caller holds a turn, possibly of this
/// same plugin.
struct Admission<'v> {
    version: &'v PluginVersion,
    nested: bool,
    shared: Option<RwLockReadGuard<'v, ()>>,
    alone: Option<RwLockWriteGuard<'v, ()>>,
    turn: Option<Turn>,
}

impl<'v> Admission<'v> {
    async fn new(version: &'v PluginVersion, depth: u32) -> Self {
        let nested = depth > 0;
        let shared = if nested {
            None
        } else {
            Some(version.solo.read().await)
        };
        Admission {
            version,
            nested,
            shared,
            alone: None,
            turn: None,
        }
    }

    /// Gets ready for attempt `attempt`: alone after enough lost races, and
    /// with a turn.
    async fn before(&mut self, attempt: u32) -> Result<(), tokio::sync::AcquireError> {
        if attempt == SOLO_AFTER && self.shared.is_some() {
            self.shared = None;
            self.alone = Some(self.version.solo.write().await);
            tracing::debug!(
                plugin = &*self.version.name,
                "running alone after {attempt} lost races"
            );
        }
        if !self.nested && self.turn.is_none() {
            self.turn = Some(self.version.turns.acquire().await?);
        }
        Ok(())
    }

    /// Gives the turn back (the plugin is done; its commit waits).
    fn end_turn(&mut self) {
        self.turn = None;
    }
}

impl Runtime {
    /// Runs one call on a warm instance and commits its writes, running it
    /// again when a compare-and-set lost to a concurrent call.
    pub(super) async fn call(
        &self,
        version: &Arc<PluginVersion>,
        mut entry: Entry<'_>,
        incoming: Option<Arc<IncomingBody>>,
        depth: u32,
        caller: Option<&mut CallTxn>,
        veto: Option<Veto<'_>>,
    ) -> Result<(Option<Outcome>, u64), Failure> {
        let name = version.name.clone();
        let unavailable = |e: anyhow::Error| {
            let failure = Failure::Unavailable {
                plugin: name.to_string(),
                message: format!("{e:#}"),
            };
            tracing::error!(plugin = &*name, "{failure}");
            failure
        };
        // A call of the caller's own plugin commits on its own: one
        // transaction per plugin in a commit.
        let mut caller = caller.filter(|c| **c.plugin() != *name);
        let mut admission = Admission::new(version, depth).await;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                tokio::task::yield_now().await;
            }
            admission
                .before(attempt)
                .await
                .map_err(|e| unavailable(e.into()))?;
            let mut warm = self.warm_instance(version).await?;
            let joined = caller.as_deref_mut().and_then(|c| c.take_joined(&name));
            let mut txn: CallTxn = match joined {
                Some(t) => t,
                None => self
                    .store
                    .begin(name.clone(), incoming.clone())
                    .map_err(unavailable)?,
            };
            if let Entry::Timer(_, k) = &entry {
                txn.finish_timer(k.clone());
            }
            let seq = txn.snapshot_seq();
            let (result, txn) = self
                .run(
                    &mut warm,
                    &mut entry,
                    txn,
                    depth,
                    attempt,
                    &mut admission.turn,
                )
                .await;
            match result {
                Ok(outcome) => {
                    if !self.limits.fresh_instances {
                        pool::give_back(version, warm, self.limits.max_uses);
                    }
                    let Some(txn) = txn else {
                        return Err(unavailable(anyhow::anyhow!(
                            "the call lost its transaction"
                        )));
                    };
                    if let Some(c) = caller.as_deref_mut() {
                        c.join(txn);
                        return Ok((outcome, seq));
                    }
                    admission.end_turn();
                    // A listing for the console stores nothing.
                    if matches!(entry, Entry::Resources(..)) {
                        drop(txn);
                        return Ok((outcome, seq));
                    }
                    if let (Some(veto), Some(o)) = (veto, &outcome)
                        && veto(o)
                    {
                        drop(txn);
                        return Err(Failure::Vetoed {
                            plugin: name.to_string(),
                        });
                    }
                    match txn.commit().await.map_err(unavailable)? {
                        CommitOutcome::Committed => return Ok((outcome, seq)),
                        CommitOutcome::Conflict => continue,
                    }
                }
                Err(e) => {
                    drop(txn);
                    let st = warm.store.data_mut();
                    let (hit, panic) = (st.limits.hit, st.panic.take());
                    drop(warm);
                    let failure = self.classify(&name, e, hit, panic);
                    let request_id = entry.request_id();
                    tracing::error!(plugin = &*name, request_id, "{failure}");
                    return Err(failure);
                }
            }
        }
        Err(unavailable(anyhow::anyhow!(
            "gave up after {MAX_ATTEMPTS} attempts lost compare-and-set races"
        )))
    }

    /// An idle instance of `version`, or a new one.
    async fn warm_instance(&self, version: &Arc<PluginVersion>) -> Result<Warm, Failure> {
        if let Some(w) = pool::take(version).filter(|_| !self.limits.fresh_instances) {
            return Ok(w);
        }
        let name = &version.name;
        self.instantiate(&version.pre, name.clone())
            .await
            .map_err(|e| match e.downcast_ref::<OutOfMemory>() {
                Some(OutOfMemory(hit)) => Failure::Memory {
                    plugin: name.to_string(),
                    hit: *hit,
                    message: format!("instantiating failed: {e:#}"),
                },
                None => Failure::Trap {
                    plugin: name.to_string(),
                    message: format!("instantiating failed: {e:#}"),
                },
            })
    }

    /// Runs the export `entry` names once on `warm` with `txn` as the call's
    /// view of the store; gives the transaction back with the result.
    async fn run(
        &self,
        warm: &mut Warm,
        entry: &mut Entry<'_>,
        txn: CallTxn,
        depth: u32,
        attempt: u32,
        turn: &mut Option<Turn>,
    ) -> (wasmtime::Result<Option<Outcome>>, Option<CallTxn>) {
        {
            let st = warm.store.data_mut();
            st.txn = Some(txn);
            st.depth = depth;
            st.deadline = Instant::now() + self.limits.call_timeout;
            st.turn = turn.take();
            st.ticks = 0;
            st.panic = None;
        }
        warm.store.set_epoch_deadline(1);
        let service = warm.bindings.ruststack_plugin_service();
        let result = match entry {
            Entry::Handle(req) => {
                req.context.attempt = attempt;
                service.call_handle(&mut warm.store, req).await.map(Some)
            }
            Entry::Timer(payload, _) => service
                .call_on_timer(&mut warm.store, payload)
                .await
                .map(|()| None),
            Entry::Resources(account, region, out) => service
                .call_resources(&mut warm.store, account, region)
                .await
                .map(|r| {
                    **out = r;
                    None
                }),
        };
        let st = warm.store.data_mut();
        *turn = st.turn.take();
        (result, st.txn.take())
    }

    /// Why a run failed: its deadline, a memory limit, a panic (the
    /// plugin reported its message before trapping), or another trap.
    fn classify(
        &self,
        plugin: &str,
        e: wasmtime::Error,
        hit: Option<MemoryHit>,
        panic: Option<String>,
    ) -> Failure {
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return Failure::Timeout {
                plugin: plugin.to_string(),
                timeout: self.limits.call_timeout,
            };
        }
        match hit {
            Some(hit) => {
                if hit == MemoryHit::Total {
                    // Idle instances hold budget too: let them go so that
                    // the retry the client makes finds room.
                    self.shrink_pools();
                }
                Failure::Memory {
                    plugin: plugin.to_string(),
                    hit,
                    message: format!("{e:#}"),
                }
            }
            None => match panic {
                Some(message) => Failure::Panic {
                    plugin: plugin.to_string(),
                    message,
                },
                // The cause first (the wasm backtrace says only where).
                None => Failure::Trap {
                    plugin: plugin.to_string(),
                    message: format!("{}\n{e:?}", e.root_cause()),
                },
            },
        }
    }
}

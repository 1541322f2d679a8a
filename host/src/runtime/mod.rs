//! The wasmtime runtime: loads plugins, keeps warm instances, calls them per
//! request with a deadline and a memory cap, commits their writes, and turns
//! traps into failures the server answers with an AWS-shaped 500.

mod budget;
mod cache;
mod call;
pub mod capabilities;
pub mod errors;
mod plugin;
mod pool;
pub mod reload;
mod settings;
mod stacks;
mod state;
mod turns;

pub use budget::default_limit as default_total_memory;
pub use cache::CompileCache;
pub use plugin::{PluginVersion, Source, wasm_hash};
pub use settings::Settings;
pub use state::{CallState, MemoryHit};

use std::fs::File;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::WasiCtx;

use crate::wit::{Body, Description, Outcome, PluginPre, Request, Response};
use pool::Warm;

use crate::router::{RequestFacts, Router};
use crate::store::{self, CallTxn, IncomingBody, Store};

/// How often the engine's epoch advances (the deadline's resolution).
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// How often a call whose compare-and-set lost is run again before giving up.
const MAX_ATTEMPTS: u32 = 100;
/// After this many lost races a call runs alone among its plugin's calls.
const SOLO_AFTER: u32 = 3;
/// The longest one request may spend waiting in total (long polls).
const MAX_TOTAL_WAIT: Duration = Duration::from_secs(15 * 60);

/// Limits applied to every call.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A call still running after this is interrupted.
    pub call_timeout: Duration,
    /// Most linear memory one instance may grow to.
    pub memory_bytes: usize,
    /// Most linear memory all instances together may hold.
    pub total_memory_bytes: usize,
    /// Calls an instance serves before it is replaced.
    pub max_uses: u64,
    /// A new instance for every request (finds plugins that keep state in memory).
    pub fresh_instances: bool,
    /// Most calls one plugin runs at once; more wait for a turn. Calls are
    /// mostly CPU work, so more than a few per core only costs memory (an
    /// instance each) without adding throughput.
    pub max_concurrent_calls: usize,
}

/// Why a call produced no answer from the plugin.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The plugin panicked; the message and place its panic reported.
    #[error("plugin {plugin} panicked: {message}")]
    Panic { plugin: String, message: String },
    /// The plugin trapped without a panic (unreachable, stack overflow, ...).
    #[error("plugin {plugin} trapped: {message}")]
    Trap { plugin: String, message: String },
    /// The plugin ran past its deadline.
    #[error("plugin {plugin} ran past its {timeout:?} deadline")]
    Timeout { plugin: String, timeout: Duration },
    /// A memory limit refused the plugin more memory.
    #[error("plugin {plugin} ran out of memory ({hit:?} limit): {message}")]
    Memory {
        plugin: String,
        hit: MemoryHit,
        message: String,
    },
    /// The store failed or calls kept conflicting.
    #[error("plugin {plugin} could not complete: {message}")]
    Unavailable { plugin: String, message: String },
    /// The caller's veto (a fault rule) threw the call's answer and writes away.
    #[error("a fault rule answered instead of plugin {plugin}")]
    Vetoed { plugin: String },
}

/// Looks at a call's outcome before its writes are stored; true throws the
/// writes away and ends the call with [`Failure::Vetoed`] (fault injection
/// for calls whose operation only the plugin knows).
pub type Veto<'a> = &'a (dyn Fn(&Outcome) -> bool + Send + Sync);

/// An instance could not be made because a memory limit refused its memory.
#[derive(Debug, thiserror::Error)]
#[error("out of plugin memory ({0:?} limit)")]
struct OutOfMemory(MemoryHit);

/// A loaded plugin and its current version (swapped on reload).
pub struct Slot {
    /// The plugin's declared name, also its storage namespace.
    pub name: Arc<str>,
    current: RwLock<Arc<PluginVersion>>,
    /// Set when the newest file of this plugin failed to load (hot reload).
    pub last_error: Mutex<Option<String>>,
}

impl Slot {
    /// The version new requests go to.
    pub fn current(&self) -> Arc<PluginVersion> {
        self.current.read().unwrap().clone()
    }

    /// Makes `next` the version new requests go to; in-flight calls finish on the old one.
    pub fn swap(&self, next: Arc<PluginVersion>) {
        let old = std::mem::replace(&mut *self.current.write().unwrap(), next);
        old.retired.store(true, Ordering::Release);
        old.pool.lock().unwrap().clear();
    }
}

/// The loaded plugins and how requests reach them.
#[derive(Default)]
pub struct Registry {
    /// Every plugin, in load order.
    pub slots: Vec<Arc<Slot>>,
    /// Routing table over `slots`.
    pub router: Router,
}

impl Registry {
    fn build(slots: Vec<Arc<Slot>>) -> Self {
        let mut router = Router::default();
        for (i, s) in slots.iter().enumerate() {
            let d = &s.current().description;
            router.add(i, &d.matchers, d.fallback);
        }
        Self { slots, router }
    }
}

/// A plugin's answer as the host sends it: a blob body is opened for
/// streaming before the call's own cleanup.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers as the plugin set them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: AnswerBody,
}

/// The body of an [`Answer`].
pub enum AnswerBody {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// Ranges of blob files, opened before the request ended.
    Files(Vec<(File, u64, u64)>),
}

/// What a call runs.
enum Entry<'a> {
    /// A request; its `context.attempt` is set for each run.
    Handle(&'a mut Request),
    /// A due timer: its payload and its key (removed with the call's writes).
    Timer(&'a [u8], Vec<u8>),
    /// The plugin's resources in an account and region, written to the vector.
    Resources(&'a str, &'a str, &'a mut Vec<crate::wit::Resource>),
}

impl Entry<'_> {
    /// For the log line of a failure: the request id the client was given.
    fn request_id(&self) -> &str {
        match self {
            Entry::Handle(req) => &req.context.request_id,
            Entry::Timer(..) => "(timer)",
            Entry::Resources(..) => "(console)",
        }
    }
}

/// The wasmtime engine, the loaded plugins and the store they use.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    store: Arc<Store>,
    cache: CompileCache,
    limits: Limits,
    budget: Arc<budget::MemoryBudget>,
    /// Fiber stacks of finished calls, for the next ones.
    stacks: Arc<stacks::StackCache>,
    settings: Arc<Settings>,
    registry: RwLock<Arc<Registry>>,
    /// Built-in services left out (`--services`): their names and what they
    /// would claim, so that a request for one is told it is not enabled.
    disabled: RwLock<(Vec<String>, Router)>,
    me: Weak<Runtime>,
}

impl Runtime {
    /// Builds the engine and linker, and starts the epoch ticker.
    pub fn new(
        store: Arc<Store>,
        cache_dir: Option<std::path::PathBuf>,
        limits: Limits,
        settings: Settings,
    ) -> Result<Arc<Self>> {
        let stacks = Arc::new(stacks::StackCache::default());
        let engine = ruststack_engine::new_engine_with_stacks(stacks.clone())?;
        let mut linker = Linker::new(&engine);
        capabilities::add_to_linker(&mut linker)?;
        let cache = CompileCache::new(&engine, cache_dir);
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("ruststack-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        Ok(Arc::new_cyclic(|me| Self {
            engine,
            linker,
            store,
            cache,
            budget: Arc::new(budget::MemoryBudget::new(limits.total_memory_bytes)),
            stacks,
            limits,
            settings: Arc::new(settings),
            registry: RwLock::new(Arc::new(Registry::default())),
            disabled: RwLock::new((Vec::new(), Router::default())),
            me: me.clone(),
        }))
    }

    /// The store plugins write to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Bytes of linear memory all plugin instances hold now, and the most they may.
    pub fn plugin_memory(&self) -> (usize, usize) {
        (self.budget.used(), self.budget.limit())
    }

    /// The plugin settings given at start-up.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Makes sure every loaded plugin has its namespace (after the state was
    /// replaced by one that lacks some).
    pub fn ensure_namespaces(&self) {
        for slot in &self.registry().slots {
            if let Err(e) = self.store.ensure_namespace(&slot.name) {
                tracing::error!(plugin = &*slot.name, "creating its namespace failed: {e:#}");
            }
        }
    }

    /// The plugins now loaded.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().unwrap().clone()
    }

    /// Compiles (or loads from cache), links and describes one plugin.
    pub async fn load(&self, source: Source) -> Result<Arc<PluginVersion>> {
        let loaded = tokio::task::block_in_place(|| self.cache.load(&self.engine, &source))
            .with_context(|| format!("compiling {}", source.display()))?;
        let pre = PluginPre::new(self.linker.instantiate_pre(&loaded.component)?)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("linking {}", source.display()))?;
        let mut warm = self.instantiate(&pre, "(loading)".into()).await?;
        let description = match warm
            .bindings
            .ruststack_plugin_service()
            .call_describe(&mut warm.store)
            .await
        {
            Ok(d) => d,
            // A plugin that panics here (a service model that does not
            // parse, say) is refused with its panic message.
            Err(e) => {
                let e = match warm.store.data_mut().panic.take() {
                    Some(message) => anyhow::anyhow!("it panicked: {message}"),
                    None => anyhow::Error::from(e),
                };
                return Err(e.context(format!("asking {} to describe itself", source.display())));
            }
        };
        validate_name(&description.name)?;
        self.settings.check(&description)?;
        warm.store.data_mut().plugin = description.name.as_str().into();
        self.store.ensure_namespace(&description.name)?;
        let version = Arc::new(PluginVersion {
            name: description.name.as_str().into(),
            description,
            source,
            hash: loaded.hash,
            origin: loaded.origin,
            pre,
            pool: Mutex::new(Vec::new()),
            retired: Default::default(),
            turns: turns::Turns::new(self.limits.max_concurrent_calls),
            solo: tokio::sync::RwLock::new(()),
        });
        tracing::debug!(
            plugin = version.description.name.as_str(),
            origin = version.origin.as_str(),
            "loaded {}",
            version.source.display()
        );
        pool::give_back(&version, warm, self.limits.max_uses);
        Ok(version)
    }

    /// Records the built-in services left out, by what they declare.
    pub fn set_disabled(&self, descriptions: &[Description]) {
        let mut router = Router::default();
        for (i, d) in descriptions.iter().enumerate() {
            router.add(i, &d.matchers, d.fallback);
        }
        let names = descriptions.iter().map(|d| d.name.clone()).collect();
        *self.disabled.write().unwrap() = (names, router);
    }

    /// The left-out service a request no loaded plugin serves was meant
    /// for, if any.
    pub fn disabled_for(&self, facts: &RequestFacts) -> Option<String> {
        let d = self.disabled.read().unwrap();
        d.1.route(facts).map(|i| d.0[i].clone())
    }

    /// The built-in services left out.
    pub fn disabled_names(&self) -> Vec<String> {
        self.disabled.read().unwrap().0.clone()
    }

    /// Replaces the whole registry (start-up).
    pub fn install(&self, versions: Vec<Arc<PluginVersion>>) -> Result<()> {
        let mut slots: Vec<Arc<Slot>> = Vec::new();
        for v in versions {
            let name: Arc<str> = v.description.name.as_str().into();
            if let Some(existing) = slots.iter().find(|s| s.name == name) {
                tracing::info!(
                    "plugin {name} from {} replaces the one from {}",
                    v.source.display(),
                    existing.current().source.display()
                );
                existing.swap(v);
                continue;
            }
            slots.push(Arc::new(Slot {
                name,
                current: RwLock::new(v),
                last_error: Mutex::new(None),
            }));
        }
        *self.registry.write().unwrap() = Arc::new(Registry::build(slots));
        Ok(())
    }

    /// Swaps in a new version of an already loaded plugin (hot reload) and
    /// rebuilds the routing table from its new declaration.
    pub fn replace(&self, next: Arc<PluginVersion>) -> Result<()> {
        let reg = self.registry();
        let Some(slot) = reg.slots.iter().find(|s| *s.name == *next.description.name) else {
            bail!("no loaded plugin is named {}", next.description.name);
        };
        slot.swap(next);
        *slot.last_error.lock().unwrap() = None;
        *self.registry.write().unwrap() = Arc::new(Registry::build(reg.slots.clone()));
        Ok(())
    }

    /// Adds a plugin that was not loaded before (a new file under `--watch`).
    pub fn add(&self, version: Arc<PluginVersion>) -> Result<()> {
        let reg = self.registry();
        let mut slots = reg.slots.clone();
        slots.push(Arc::new(Slot {
            name: version.description.name.as_str().into(),
            current: RwLock::new(version),
            last_error: Mutex::new(None),
        }));
        *self.registry.write().unwrap() = Arc::new(Registry::build(slots));
        Ok(())
    }

    /// The plugin that serves a request, if any.
    pub fn route(&self, facts: &RequestFacts) -> Option<Arc<Slot>> {
        let reg = self.registry();
        reg.router.route(facts).map(|i| reg.slots[i].clone())
    }

    async fn instantiate(&self, pre: &PluginPre<CallState>, plugin: Arc<str>) -> Result<Warm> {
        let state = CallState {
            plugin,
            wasi: WasiCtx::builder().inherit_stderr().build(),
            table: ResourceTable::new(),
            limits: state::MemoryWatch {
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_bytes)
                    .trap_on_grow_failure(true)
                    .build(),
                high_water: 0,
                budget: self.budget.clone(),
                taken: 0,
                hit: None,
            },
            runtime: self.me.clone(),
            settings: self.settings.clone(),
            txn: None,
            depth: 0,
            deadline: Instant::now() + self.limits.call_timeout,
            turn: None,
            ticks: 0,
            panic: None,
        };
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let st = ctx.data_mut();
            if Instant::now() >= st.deadline {
                return Ok(UpdateDeadline::Interrupt);
            }
            st.ticks = st.ticks.saturating_add(1);
            let (ticks, deadline) = (st.ticks, st.deadline);
            Ok(
                match st.turn.as_mut().and_then(|t| t.tick(ticks, deadline)) {
                    Some(pause) => UpdateDeadline::YieldCustom(1, pause),
                    None => UpdateDeadline::Yield(1),
                },
            )
        });
        let bindings = match pre.instantiate_async(&mut store).await {
            Ok(b) => b,
            Err(e) => {
                let e = anyhow::Error::from(e);
                return Err(match store.data().limits.hit {
                    Some(hit) => anyhow::Error::new(OutOfMemory(hit)).context(format!("{e:#}")),
                    None => e,
                });
            }
        };
        Ok(Warm {
            store,
            bindings,
            uses: 0,
        })
    }

    /// Serves a request with the plugin in `slot`, waiting as the plugin asks
    /// (long polling) without holding an instance meanwhile.
    pub async fn serve(
        &self,
        slot: &Slot,
        mut req: Request,
        incoming: Option<Arc<IncomingBody>>,
        depth: u32,
        mut caller: Option<&mut CallTxn>,
        veto: Option<Veto<'_>>,
    ) -> Result<Answer, Failure> {
        let started = Instant::now();
        loop {
            let version = slot.current();
            let (outcome, seq) = self
                .call(
                    &version,
                    Entry::Handle(&mut req),
                    incoming.clone(),
                    depth,
                    caller.as_deref_mut(),
                    veto,
                )
                .await?;
            match outcome {
                Some(Outcome::Respond(resp)) => {
                    return self.open_answer(&slot.name, resp, incoming.as_deref());
                }
                Some(Outcome::Wait(w)) => {
                    if req.context.final_call {
                        return Err(Failure::Trap {
                            plugin: slot.name.to_string(),
                            message: "asked to wait on its final call".into(),
                        });
                    }
                    let timeout = Duration::from_millis(w.timeout_ms as u64);
                    let end = self
                        .store
                        .feed()
                        .wait(&slot.name, &w.prefix, seq, timeout)
                        .await;
                    if end == store::WaitEnd::Closed || started.elapsed() > MAX_TOTAL_WAIT {
                        req.context.final_call = true;
                    }
                }
                None => unreachable!("handle always returns an outcome"),
            }
        }
    }

    /// What the plugin in `slot` stores in `account` and `region`, for the
    /// console (a read: the call's writes are discarded).
    pub async fn resources(
        &self,
        slot: &Slot,
        account: &str,
        region: &str,
    ) -> Result<Vec<crate::wit::Resource>, Failure> {
        let version = slot.current();
        let mut out = Vec::new();
        self.call(
            &version,
            Entry::Resources(account, region, &mut out),
            None,
            0,
            None,
            None,
        )
        .await?;
        Ok(out)
    }

    /// Fires a due timer of the plugin in `slot`.
    pub async fn fire_timer(
        &self,
        slot: &Slot,
        key: Vec<u8>,
        payload: &[u8],
    ) -> Result<(), Failure> {
        let version = slot.current();
        self.call(&version, Entry::Timer(payload, key), None, 0, None, None)
            .await
            .map(|_| ())
    }

    /// Serves a request one plugin sends another through `invoke`; the body of
    /// the answer is always bytes, since the caller cannot see the callee's blobs.
    /// With `caller`, the callee's writes join that transaction.
    pub async fn invoke(&self, req: Request, depth: u32, caller: Option<&mut CallTxn>) -> Response {
        let facts = crate::router::facts_of(
            &req.method,
            &req.path,
            &req.query,
            &req.headers,
            body_bytes(&req.body),
        );
        let Some(slot) = self.route(&facts) else {
            return errors::unrouted(&facts, &req.context.request_id).into();
        };
        if matches!(req.body, Body::Blob(_)) {
            let e = ruststack_protocol::AwsError::internal_failure();
            return errors::aws_error(&slot, &e, &req.context.request_id).into();
        }
        let request_id = req.context.request_id.clone();
        match Box::pin(self.serve(&slot, req, None, depth, caller, None)).await {
            Ok(reply) => match reply.into_bytes() {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("reading an invoke reply: {e}");
                    let e = ruststack_protocol::AwsError::internal_failure();
                    errors::aws_error(&slot, &e, &request_id).into()
                }
            },
            Err(f) => errors::for_failure(&slot, &f, &request_id).into(),
        }
    }

    /// Opens the blob files of a blob body so it can be streamed after the
    /// request's own cleanup.
    fn open_answer(
        &self,
        plugin: &str,
        resp: Response,
        incoming: Option<&IncomingBody>,
    ) -> Result<Answer, Failure> {
        let body = match resp.body {
            Body::Empty => AnswerBody::Bytes(Vec::new()),
            Body::Bytes(b) => AnswerBody::Bytes(b),
            Body::Blob(slice) => {
                let fail = |message: String| Failure::Unavailable {
                    plugin: plugin.to_string(),
                    message,
                };
                let own = incoming.filter(|i| i.blob_id == slice.blob);
                let extents = match own {
                    Some(inc) => vec![store::Extent {
                        file: inc.file.clone(),
                        offset: 0,
                        len: inc.len,
                    }],
                    None => {
                        self.store
                            .blob(plugin, &slice.blob)
                            .map_err(|e| fail(format!("{e:#}")))?
                            .ok_or_else(|| {
                                fail(format!("answered with unknown blob {}", slice.blob))
                            })?
                            .extents
                    }
                };
                let window = store::slice_extents(&extents, slice.offset, slice.length)
                    .ok_or_else(|| fail("answered with a blob range past its end".into()))?;
                let total: u64 = window.iter().map(|e| e.len).sum();
                if total <= crate::body::SMALL_BODY {
                    // Small: read now, sent in one piece. The request's own
                    // body file may be deleted when the request ends, so it
                    // is read without being kept open.
                    let bytes = match own {
                        Some(_) => store::read_extents(self.store.blob_dir(), &window, 0, total),
                        None => self.store.read_committed(&window),
                    };
                    return Ok(Answer {
                        status: resp.status,
                        headers: resp.headers,
                        body: AnswerBody::Bytes(
                            bytes.map_err(|e| fail(format!("reading blob: {e}")))?,
                        ),
                    });
                }
                let mut files = Vec::with_capacity(window.len());
                for e in window {
                    let f = File::open(store::blob_file_path(self.store.blob_dir(), &e.file))
                        .map_err(|err| fail(format!("opening blob file: {err}")))?;
                    files.push((f, e.offset, e.len));
                }
                AnswerBody::Files(files)
            }
        };
        Ok(Answer {
            status: resp.status,
            headers: resp.headers,
            body,
        })
    }

    /// Keeps at most one small warm instance per plugin, and no spare fiber
    /// stack (the server is idle).
    pub fn shrink_pools(&self) {
        for s in &self.registry().slots {
            pool::keep_one_small(&s.current());
        }
        self.stacks.release();
    }

    /// Drops every warm instance (shutdown).
    pub fn clear_pools(&self) {
        for s in &self.registry().slots {
            s.current().pool.lock().unwrap().clear();
        }
    }
}

/// Turns a host-side failure inside an import into a trap of the calling plugin.
pub fn trap(e: anyhow::Error) -> wasmtime::Error {
    wasmtime::Error::msg(format!("{e:#}"))
}

fn body_bytes(b: &Body) -> &[u8] {
    match b {
        Body::Bytes(b) => b,
        _ => &[],
    }
}

impl Answer {
    /// The whole reply in memory (for `invoke`).
    pub fn into_bytes(self) -> std::io::Result<Response> {
        let body = match self.body {
            AnswerBody::Bytes(b) => b,
            AnswerBody::Files(files) => {
                use std::io::{Read, Seek, SeekFrom};
                let mut out = Vec::new();
                for (mut f, offset, len) in files {
                    f.seek(SeekFrom::Start(offset))?;
                    f.take(len).read_to_end(&mut out)?;
                }
                out
            }
        };
        Ok(Response {
            status: self.status,
            headers: self.headers,
            body: if body.is_empty() {
                Body::Empty
            } else {
                Body::Bytes(body)
            },
        })
    }
}

/// Plugin names become storage namespaces, log tags and health keys.
fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        bail!("plugin name {name:?} must be 1-64 characters of a-z, 0-9, '-' and '_'");
    }
    Ok(())
}

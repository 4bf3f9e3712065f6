//! What every request shares: the store (one connection for work, one for token lookups, each
//! behind a mutex and used only from `spawn_blocking`), the bundled facts, the screening index
//! of the current list versions, and the metrics.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chipwarden_classify::{CountryGroups, RuleBook};
use chipwarden_core::Catalog;
use chipwarden_screen::{Lexicon, Screener};
use chipwarden_store::Store;

use crate::error::{ApiError, ApiResult, Code};
use crate::metrics::Metrics;

/// The store file in the data directory, as the CLI names it.
pub const STORE_FILE: &str = chipwarden_service::config::STORE_FILE;

/// How the server is set up; validated once by [`AppState::open`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory (the CLI's `--data-dir`).
    pub data_dir: PathBuf,
    /// How long a request may take before it is answered with a timeout.
    pub request_timeout: Duration,
    /// The store's URL or path (`--database-url`); `None`: the data directory's configuration
    /// file, else its SQLite file (see `chipwarden_service::config`).
    pub database_url: Option<String>,
    /// How often the server looks for new usage to raise the meter's alerts as cases.
    pub alert_interval: Duration,
    /// How many connections to a PostgreSQL store requests share (each request holds one for its
    /// work). An SQLite store gets one: SQLite has one writer at a time, and writers on several
    /// connections would wait for each other in its sleeping busy handler instead of in turn.
    pub store_connections: usize,
}

impl Config {
    /// Where the store is: `database_url`, else the data directory's configuration file, else
    /// its SQLite file.
    pub fn store_location(&self) -> Result<String, StartError> {
        chipwarden_service::config::store_location(&self.data_dir, self.database_url.as_deref())
            .map_err(|e| StartError::Config(e.to_string()))
    }

    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            request_timeout: Duration::from_secs(30),
            database_url: None,
            alert_interval: Duration::from_secs(30),
            store_connections: 4,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory `{path}`: {cause}")]
    DataDir { path: String, cause: std::io::Error },
    #[error(transparent)]
    Store(#[from] chipwarden_store::StoreError),
    #[error("the bundled {what} cannot be loaded: {cause}")]
    Bundled { what: &'static str, cause: String },
    #[error("the configuration: {0}")]
    Config(String),
    #[error("the landmarks in the data directory: {0}")]
    Landmarks(String),
    #[error("cannot listen on `{addr}`: {cause}")]
    Bind { addr: String, cause: std::io::Error },
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// The screening index over the list versions it was built from.
#[derive(Debug)]
pub struct Index {
    pub versions: Vec<i64>,
    pub screener: Screener,
}

/// Connections to the store, each behind its mutex.
#[derive(Debug)]
pub struct Pool {
    connections: Vec<Mutex<Store>>,
    /// Where the next caller starts looking for a free connection.
    next: std::sync::atomic::AtomicUsize,
}

impl Pool {
    /// `first` and `size - 1` more connections to `location`.
    fn open(first: Store, location: &str, size: usize) -> Result<Pool, StartError> {
        let mut connections = vec![Mutex::new(first)];
        for _ in 1..size {
            connections.push(Mutex::new(Store::open_url(location)?));
        }
        Ok(Pool { connections, next: std::sync::atomic::AtomicUsize::new(0) })
    }

    /// A free connection, or (all busy) the next one in turn once it is free.
    pub fn get(&self) -> ApiResult<std::sync::MutexGuard<'_, Store>> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
        for i in 0..n {
            match self.connections[(start + i) % n].try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::WouldBlock) => {}
                Err(std::sync::TryLockError::Poisoned(_)) => {
                    return Err(ApiError::internal("a store connection's lock is poisoned"));
                }
            }
        }
        self.connections[start].lock().map_err(|_| ApiError::internal("a store connection's lock is poisoned"))
    }
}

/// Shared by every request; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    /// The connections requests do their store work on: a request takes a free one (or waits
    /// for one), so requests do not queue behind one connection's round trips. Writes stay one
    /// transaction each; concurrent writers are serialized by the store (SQLite's write lock,
    /// PostgreSQL's advisory lock), as with several processes.
    pub stores: Pool,
    /// Connections for token lookups, so that authentication does not queue behind a long
    /// write (an SQLite store is in WAL mode: readers do not wait for the writer).
    pub auth_stores: Pool,
    pub catalog: Catalog,
    pub book: RuleBook,
    pub groups: CountryGroups,
    pub lexicon: Lexicon,
    pub index: Mutex<Option<Arc<Index>>>,
    pub metrics: Metrics,
    /// The landmarks measurement records are judged by (`landmarks.csv` and `landmark_keys.csv`
    /// in the data directory), if the server has any.
    pub landmarks: Option<chipwarden_service::measurements::LandmarkSet>,
    /// The log's key as an auditor, read once on first use (every case change is signed with it).
    pub auditor: std::sync::OnceLock<chipwarden_service::audit::Auditor>,
}

impl AppState {
    /// Opens the store in the data directory (creating both if needed) and loads the bundled
    /// catalog, rules, country groups and screening lexicon.
    pub fn open(config: Config) -> Result<AppState, StartError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|cause| StartError::DataDir { path: config.data_dir.display().to_string(), cause })?;
        let location = config.store_location()?;
        let first = Store::open_url(&location)?;
        let connections = if first.dialect() == "postgres" { config.store_connections.max(1) } else { 1 };
        let stores = Pool::open(first, &location, connections)?;
        let auth_stores = Pool::open(Store::open_url(&location)?, &location, connections)?;
        let bundled = |what: &'static str| move |cause: String| StartError::Bundled { what, cause };
        let catalog = Catalog::bundled().map_err(|e| e.to_string()).map_err(bundled("catalog"))?;
        let book = RuleBook::bundled().map_err(|e| e.to_string()).map_err(bundled("rule sets"))?;
        let groups = CountryGroups::bundled().map_err(|e| e.to_string()).map_err(bundled("country groups"))?;
        let lexicon = Lexicon::bundled().map_err(|e| e.to_string()).map_err(bundled("screening lexicon"))?;
        let landmarks = chipwarden_service::measurements::LandmarkSet::load(&config.data_dir)
            .map_err(|e| StartError::Landmarks(e.to_string()))?;
        Ok(AppState {
            inner: Arc::new(Inner {
                config,
                stores,
                auth_stores,
                catalog,
                book,
                groups,
                lexicon,
                index: Mutex::new(None),
                landmarks,
                metrics: Metrics::new(),
                auditor: std::sync::OnceLock::new(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    /// Runs `f` with the store on a blocking thread: SQLite work never blocks the async workers.
    pub async fn with_store<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Inner) -> ApiResult<T> + Send + 'static,
    {
        let state = self.clone();
        blocking(move || {
            let mut store = state.inner.store()?;
            f(&mut store, &state.inner)
        })
        .await
    }

    /// Runs pure engine work (no store) on a blocking thread.
    pub async fn compute<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> ApiResult<T> + Send + 'static,
    {
        let state = self.clone();
        blocking(move || f(&state.inner)).await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("a blocking task failed: {e}")))?
}

impl Inner {
    /// A free store connection for a request's work.
    pub fn store(&self) -> ApiResult<std::sync::MutexGuard<'_, Store>> {
        self.stores.get()
    }

    /// The log's key (read once, on first use) acting as `actor`.
    pub fn auditor(&self, actor: &str) -> ApiResult<chipwarden_service::audit::Auditor> {
        let log = match self.auditor.get() {
            Some(log) => log,
            None => {
                let opened = chipwarden_service::audit::Auditor::open(&self.config.data_dir, "server")?;
                // Two requests may race to open it: either key is the same file's.
                let _ = self.auditor.set(opened);
                self.auditor.get().ok_or_else(|| ApiError::internal("the log's key could not be kept"))?
            }
        };
        Ok(log.acting_as(actor)?)
    }

    /// The screening index over the current list versions, rebuilt only when they changed.
    /// Called with the store held, so the versions it reads are the ones it indexes.
    pub fn index(&self, store: &Store) -> ApiResult<Arc<Index>> {
        let mut versions: Vec<i64> =
            store.current_versions().map_err(ApiError::store)?.into_iter().map(|v| v.id).collect();
        versions.sort_unstable();
        let mut cached = self.index.lock().map_err(|_| ApiError::internal("the index's lock is poisoned"))?;
        if let Some(index) = cached.as_ref().filter(|i| i.versions == versions) {
            return Ok(Arc::clone(index));
        }
        let (listed, _) = chipwarden_service::screening::listed(store)?;
        let index = Arc::new(Index { versions, screener: Screener::build(self.lexicon.clone(), listed) });
        *cached = Some(Arc::clone(&index));
        Ok(index)
    }

    /// The index, refusing to screen against nothing.
    pub fn nonempty_index(&self, store: &Store) -> ApiResult<Arc<Index>> {
        let index = self.index(store)?;
        if index.screener.entry_count() == 0 {
            return Err(ApiError::new(
                Code::InvalidInput,
                "no list is imported yet: import lists first (`chipwarden lists import` or `lists update`)",
            ));
        }
        Ok(index)
    }
}

/// Now, as RFC 3339 text (UTC), for what the store records.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Today in UTC.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

//! The local platform, `.edgespark/local/`: what `deploy`, `var` and `secret` act on
//! when no remote is configured. Every command that changes it holds its lock, so concurrent
//! commands queue instead of losing each other's writes; every file is replaced atomically;
//! secrets live in a file only its owner can read, and no value is ever written to the event log.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// The platform's copy of the auth config (`edgespark auth apply`).
pub const AUTH_CONFIG_FILE: &str = "auth-config.yaml";
/// The buckets `storage apply` made, by name.
pub const BUCKETS_FILE: &str = "buckets.json";

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::project::Project;
use crate::project::fsio::{write_all_atomic, write_private_atomic};

/// A key-value store of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Vars,
    Secrets,
}

impl Store {
    /// Its file in the local platform's folder (replaced atomically: safe to read unlocked).
    pub fn file(self) -> &'static str {
        match self {
            Store::Vars => "vars.json",
            Store::Secrets => "secrets.json",
        }
    }

    /// Its name in messages and event kinds: `var`, `secret`.
    pub fn noun(self) -> &'static str {
        match self {
            Store::Vars => "var",
            Store::Secrets => "secret",
        }
    }
}

pub struct LocalPlatform {
    dir: PathBuf,
    /// The directory itself, flock()ed exclusively until dropped (no lock file is left behind).
    lock: File,
}

impl Drop for LocalPlatform {
    /// A command that wrote nothing (it failed early, or only read) leaves no empty folder.
    fn drop(&mut self) {
        if std::fs::read_dir(&self.dir).is_ok_and(|mut d| d.next().is_none()) {
            let _ = std::fs::remove_dir(&self.dir);
            let _ = std::fs::remove_dir(self.dir.parent().unwrap_or(&self.dir));
        }
        let _ = self.lock.unlock();
    }
}

/// Whether the open `file` is still what `path` names.
fn same_file(file: &File, path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl LocalPlatform {
    /// Open the project's local platform, waiting for any other command that holds it; then
    /// clear the temporary files a killed command left behind.
    pub fn open(project: &Project) -> Result<LocalPlatform> {
        let dir = project.local_dir();
        // The holder before may remove the directory (it was left empty) at any point, also
        // between our making it and opening it: then it is made anew.
        // (Bounded: a directory that keeps vanishing is an error, not a reason to spin.)
        let mut tries = 0;
        let mut gone = |e: &std::io::Error| {
            tries += 1;
            e.kind() == std::io::ErrorKind::NotFound && tries < 1000
        };
        let lock = loop {
            match std::fs::create_dir_all(&dir) {
                Err(e) if gone(&e) => continue,
                made => made.with_context(|| format!("creating {}", dir.display()))?,
            }
            let lock = match File::open(&dir) {
                Err(e) if gone(&e) => continue,
                opened => opened.with_context(|| format!("opening {}", dir.display()))?,
            };
            if lock.try_lock().is_err() {
                errln!("waiting for another edgespark command on this project...");
                lock.lock().context("locking the local platform")?;
            }
            // Removed while we waited for its lock: lock anew.
            if same_file(&lock, &dir) {
                break lock;
            }
        };
        let platform = LocalPlatform { dir, lock };
        platform.remove_stale_temp_files(project);
        Ok(platform)
    }

    /// Files an interrupted atomic write left (`fsio::TEMP_PREFIX`) in the folders that are
    /// only written under this lock. Nobody else can be writing them now.
    fn remove_stale_temp_files(&self, project: &Project) {
        let server = project.server_dir();
        let mut dirs = vec![
            self.dir.clone(),
            self.dir.join("deployments"),
            server.join("dist"),
            server.join("src/__generated__"),
        ];
        let migrations = project.migrations_dir();
        dirs.push(migrations.join("meta"));
        dirs.push(migrations);
        for (i, dir) in dirs.iter().enumerate() {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            // The platform's own folders (the first two) may also hold `.tmpXXXXXX` files of
            // writes made before temporary files had a name of their own.
            let own = i < 2;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let old_style = own
                    && name.len() == 10
                    && name.starts_with(".tmp")
                    && name[4..].chars().all(|c| c.is_ascii_alphanumeric());
                if (name.starts_with(crate::project::fsio::TEMP_PREFIX) || old_style)
                    && e.file_type().is_ok_and(|t| t.is_file())
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// The keys and values in `store` (none before the first write).
    pub fn read(&self, store: Store) -> Result<BTreeMap<String, String>> {
        let path = self.dir.join(store.file());
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a JSON object of strings", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Replace `store`'s contents; secrets are written with mode 0600.
    pub fn write(&self, store: Store, values: &BTreeMap<String, String>) -> Result<()> {
        let path = self.dir.join(store.file());
        let bytes = serde_json::to_vec_pretty(values)?;
        match store {
            Store::Vars => write_all_atomic(&[(path, &bytes)]),
            Store::Secrets => write_private_atomic(&path, &bytes),
        }
    }

    /// Append an event (`kind`, and details that never hold a secret's value) to the log.
    pub fn log(&self, kind: &str, details: Value) -> Result<()> {
        append_event(&self.dir, kind, details)
    }

    /// Every event logged, oldest first.
    pub fn events(&self) -> Result<Vec<Value>> {
        let path = self.dir.join("events.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .with_context(|| format!("{} holds a line that is not JSON", path.display()))
            })
            .collect()
    }

    /// Make a bundle live: stored by content (`deployments/<blake3>.js`, once however often it
    /// is deployed, with its source map as `<blake3>.js.map`), a manifest of its bindings
    /// (`deployments/<id>.json`, the history), then the live pointer (`live.json`), which moves
    /// only once the rest is in place.
    pub fn deploy(&self, bundle: &[u8], map: Option<&[u8]>, bindings: Value) -> Result<Value> {
        let hash = blake3::hash(bundle).to_hex().to_string();
        let dir = self.dir.join("deployments");
        let number = self.manifests()?.len() + 1;
        let id = format!("{number:04}-{}", &hash[..12]);
        let time = crate::jsjson::date_now();
        let manifest = json!({ "id": id, "bundle": format!("{hash}.js"), "created_at": time, "bindings": bindings });
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
        let live = serde_json::to_vec_pretty(&json!({ "id": id, "bundle": format!("{hash}.js") }))?;
        let bundle_path = dir.join(format!("{hash}.js"));
        let mut files: Vec<(PathBuf, &[u8])> = vec![];
        if let Some(map) = map {
            files.push((dir.join(format!("{hash}.js.map")), map));
        }
        if !bundle_path.is_file() {
            files.push((bundle_path, bundle));
        }
        files.push((dir.join(format!("{id}.json")), &manifest_bytes));
        files.push((self.dir.join("live.json"), &live));
        write_all_atomic(&files)?;
        self.log("deploy", json!({ "id": id, "bundle": hash }))?;
        Ok(manifest)
    }

    /// The deployments' manifest files, oldest first.
    fn manifests(&self) -> Result<Vec<PathBuf>> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("deployments")) else {
            return Ok(vec![]);
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// A file of the platform's state (`buckets.json`, `auth-config.yaml`), if written yet.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        write_all_atomic(&[(self.dir.join(name), bytes)])
    }

    /// The folder that holds every bucket's folder.
    pub fn buckets_root(&self) -> PathBuf {
        self.dir.join("buckets")
    }

    /// Where a bucket's objects live: a folder of `buckets/`, for a valid bucket name only.
    pub fn bucket_dir(&self, name: &str) -> Result<PathBuf> {
        if let Some(problem) = crate::project::paths::bucket_name_problem(name) {
            anyhow::bail!("{problem}");
        }
        crate::project::paths::child(&self.buckets_root(), name)
    }

    /// Remove bucket `name`'s folder and its objects: only below `buckets/`, and only while
    /// `buckets/` itself resolves to a folder inside the platform's (a `buckets` symlinked
    /// elsewhere is refused, whatever it points at).
    pub fn remove_bucket_dir(&self, name: &str) -> Result<()> {
        let dir = self.bucket_dir(name)?;
        self.check_buckets_root()?;
        crate::project::paths::remove_dir_below(&self.buckets_root(), &dir)
    }

    /// `buckets/` (if there) resolves to a folder inside the platform's: buckets are made and
    /// removed there only.
    pub fn check_buckets_root(&self) -> Result<()> {
        let root = self.buckets_root();
        if root.exists() {
            let local = self
                .dir
                .canonicalize()
                .with_context(|| format!("resolving {}", self.dir.display()))?;
            let resolved = root
                .canonicalize()
                .with_context(|| format!("resolving {}", root.display()))?;
            if !resolved.starts_with(&local) || resolved == local {
                anyhow::bail!(
                    "{} leads outside {} (to {}); buckets are only made and removed inside it",
                    root.display(),
                    self.dir.display(),
                    resolved.display()
                );
            }
        }
        Ok(())
    }
}

/// Append an event to the event log of the platform in `dir`, without its lock (see
/// `EventLog`).
pub fn append_event(dir: &std::path::Path, kind: &str, details: Value) -> Result<()> {
    EventLog::open(dir)?.append(kind, details)
}

/// The event log held open by a running app (dev, serve), which logs each request while other
/// commands use the platform: one line per append (O_APPEND), never interleaved with another.
pub struct EventLog {
    file: File,
}

impl EventLog {
    pub fn open(dir: &std::path::Path) -> Result<EventLog> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("events.jsonl"))
            .context("opening the event log")?;
        Ok(EventLog { file })
    }

    pub fn append(&mut self, kind: &str, details: Value) -> Result<()> {
        self.append_all(&[(kind, details)])
    }

    /// Several events in one write (whole lines, in order).
    pub fn append_all<D: serde::Serialize>(&mut self, events: &[(&str, D)]) -> Result<()> {
        #[derive(serde::Serialize)]
        struct Line<'a, D> {
            time: i64,
            event: &'a str,
            details: &'a D,
        }
        let time = crate::jsjson::date_now();
        let mut text = Vec::with_capacity(events.len() * 128);
        for (event, details) in events {
            serde_json::to_writer(
                &mut text,
                &Line {
                    time,
                    event,
                    details,
                },
            )?;
            text.push(b'\n');
        }
        self.file.write_all(&text).context("writing the event log")
    }
}

//! The build cache (`.edgespark/cache/build/`): what a build wrote, kept beside what it was made
//! of: the hash of every file it read, and every look its resolver took at the file system with
//! what it found. When all of that is as it was, and the tool and the options are the same, the
//! build would write the same bytes: they are taken from the cache instead of being made again.
//! Nothing in the cache is trusted: a memo that does not parse, a file whose bytes do not hash
//! to its name, is ignored and the build made afresh.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::resolve::probes::Probe;

/// How many memos (builds with different options or by different binaries) are kept.
const KEPT_MEMOS: usize = 8;
/// Copies per memo before they are pruned: a build writes one or two files (a bundle, its
/// source map), and leaves those of the build before until the prune.
const COPIES_PER_MEMO: usize = 4;

/// What one build was made of and wrote.
#[derive(Serialize, Deserialize)]
struct Memo {
    /// Each file it wrote and blake3 of its bytes (the name of its copy in `blobs/`). First:
    /// the prune reads only this (`outputs_of`).
    outputs: Vec<(PathBuf, String)>,
    /// The files it read, each with blake3 of its bytes.
    sources: Vec<(PathBuf, String)>,
    probes: Vec<Probe>,
    /// What the build reported about its output (a size, say), given back on a hit.
    report: serde_json::Value,
    /// Of a build that wrote one file: where each module's statements are in it, for
    /// `last_edit`. The project's modules among them have a copy of their source in
    /// `sources/`.
    #[serde(default)]
    sections: Vec<Section>,
}

/// Where one module's statements are in a build's one file (`start..end`), and what the
/// build's other statements use of it: its top-level bindings they mention, by name.
#[derive(Serialize, Deserialize, Clone)]
pub struct Section {
    pub module: PathBuf,
    pub start: usize,
    pub end: usize,
    pub inbound: Vec<String>,
}

/// Of a memo, the copies it names, read from its beginning (a large app's memo is a
/// megabyte, and the prune reads eight). None: not a memo as this binary writes them.
fn outputs_of(memo: &[u8]) -> Option<Vec<(PathBuf, String)>> {
    let rest = memo.strip_prefix(br#"{"outputs":"#)?;
    let mut values = serde_json::Deserializer::from_slice(rest).into_iter();
    values.next()?.ok()
}

/// A build taken from the cache.
pub struct Hit {
    /// The files the build read: its sources, and the files the resolver read (package.json
    /// files, tsconfigs).
    pub sources: Vec<PathBuf>,
    /// Each file the build wrote, with its bytes when the file on disk differs from them
    /// (`None`: it holds them already).
    pub outputs: Vec<(PathBuf, Option<Vec<u8>>)>,
    pub report: serde_json::Value,
}

/// The cache of one kind of build: its memo is named by a hash of the tool and the options.
pub struct BuildCache {
    dir: PathBuf,
    memo: PathBuf,
    /// blake3 of this binary's identity: what heads the files kept `beside` the memos.
    tool: [u8; 32],
}

impl BuildCache {
    /// The cache under `cache_dir` for builds made with `options` (every option that changes
    /// the output, in words) by this binary.
    pub fn new(cache_dir: &Path, options: &str) -> BuildCache {
        let dir = cache_dir.join("build");
        let tool = tool_identity();
        let mut key = blake3::Hasher::new();
        key.update(tool.as_bytes());
        key.update(options.as_bytes());
        let memo = dir.join(format!("{}.json", &key.finalize().to_hex()[..32]));
        let tool = *blake3::hash(tool.as_bytes()).as_bytes();
        BuildCache { dir, memo, tool }
    }

    /// What the last build by this binary kept in the file `name` beside the memos (one for
    /// every set of options); None when there is none, or another binary wrote it.
    pub fn beside(&self, name: &str) -> Option<Vec<u8>> {
        let kept = std::fs::read(self.dir.join(name)).ok()?;
        Some(kept.strip_prefix(&self.tool[..])?.to_vec())
    }

    /// The last build with these options, if everything it was made of is as it was and its
    /// outputs are intact in the cache.
    pub fn lookup(&self) -> Option<Hit> {
        let memo: Memo = serde_json::from_slice(&std::fs::read(&self.memo).ok()?).ok()?;
        // Newest first: after an edit, the edited file is the first one looked at, and the
        // miss is known without reading every other file.
        let mut newest_first: Vec<(Option<SystemTime>, &(PathBuf, String))> = memo
            .sources
            .par_iter()
            .map(|source| {
                let modified = std::fs::metadata(&source.0).and_then(|m| m.modified());
                (modified.ok(), source)
            })
            .collect();
        newest_first.sort_by_key(|s| std::cmp::Reverse(s.0));
        let sources_hold = newest_first
            .par_iter()
            .all(|(_, (path, hash))| hash_of_file(path).as_deref() == Some(hash.as_str()));
        if !sources_hold || !memo.probes.par_iter().all(Probe::holds) {
            return None;
        }
        let outputs = memo
            .outputs
            .par_iter()
            .map(|(path, hash)| {
                if hash_of_file(path).as_deref() == Some(hash.as_str()) {
                    return Some((path.clone(), None));
                }
                let blob = self.blob(hash);
                let bytes = std::fs::read(&blob).ok()?;
                if blake3::hash(&bytes).to_hex().as_str() != hash {
                    // Damaged: gone, so that the next build that keeps these bytes writes
                    // them again (a copy is not written where one is found).
                    let _ = std::fs::remove_file(&blob);
                    return None;
                }
                Some((path.clone(), Some(bytes)))
            })
            .collect::<Option<Vec<_>>>()?;
        let read_by_resolver = memo
            .probes
            .into_iter()
            .filter(Probe::read_a_file)
            .map(|p| p.path);
        Some(Hit {
            sources: memo
                .sources
                .into_iter()
                .map(|(p, _)| p)
                .chain(read_by_resolver)
                .collect(),
            outputs,
            report: memo.report,
        })
    }

    /// Keep a build begun at `started` that read `sources` (with `contents`, the hash of the
    /// bytes it read of each, where known), looked at the file system as `probes` say, and wrote `outputs`.
    /// A source without a known hash is hashed now, and the build is not kept when that
    /// source changed after the build began (its bytes now may not be those it read).
    /// `beside`: files (name, bytes) kept beside the memos for the next build by this binary
    /// (see `beside`), written with the rest.
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &self,
        started: SystemTime,
        sources: &[PathBuf],
        contents: &[Option<blake3::Hash>],
        probes: Vec<Probe>,
        outputs: &[(PathBuf, &[u8])],
        report: serde_json::Value,
        beside: &[(&str, &[u8])],
        sections: Vec<Section>,
    ) -> Result<()> {
        let sources: Option<Vec<(PathBuf, String)>> = sources
            .par_iter()
            .zip(contents)
            .map(|(path, read)| {
                if let Some(hash) = read {
                    return Some((path.clone(), hash.to_hex().to_string()));
                }
                let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
                if modified >= started {
                    return None;
                }
                Some((path.clone(), hash_of_file(path)?))
            })
            .collect();
        let Some(sources) = sources else {
            return Ok(());
        };
        let mut files: Vec<(PathBuf, &[u8])> = vec![];
        let mut written = vec![];
        for (path, bytes) in outputs {
            let hash = blake3::hash(bytes).to_hex().to_string();
            let blob = self.blob(&hash);
            if !blob.is_file() {
                files.push((blob, bytes));
            }
            written.push((crate::project::paths::absolute(path)?, hash));
        }
        self.copy_sources(&sources, &sections);
        let memo = Memo {
            sources,
            probes,
            outputs: written,
            report,
            sections,
        };
        let json = serde_json::to_vec(&memo)?;
        let headed: Vec<(PathBuf, Vec<u8>)> = beside
            .iter()
            .map(|(name, bytes)| (self.dir.join(name), [&self.tool[..], bytes].concat()))
            .collect();
        files.extend(headed.iter().map(|(p, b)| (p.clone(), &b[..])));
        // The copies first: a memo is never there without them.
        files.push((self.memo.clone(), &json));
        crate::project::fsio::write_all_atomic(&files).context("writing the build cache")?;
        self.prune();
        Ok(())
    }

    fn blob(&self, hash: &str) -> PathBuf {
        self.dir.join("blobs").join(hash)
    }

    fn source_copy(&self, hash: &str) -> PathBuf {
        self.dir.join("sources").join(hash)
    }

    /// Copy the sources of the project's modules (not packages') with a section into
    /// `sources/` where they are not yet, read now (a file whose bytes are no longer those the
    /// build read gets none). Written plainly, one after another: a copy is checked against its
    /// name when read, so none needs writing atomically and syncing (a first build of a
    /// thousand modules spent 200 ms so, and as long again writing them on two threads, which
    /// wait on the directory; one after another, 30 ms). When `sources/` holds many more
    /// copies than the sections, those no section names go.
    fn copy_sources(&self, sources: &[(PathBuf, String)], sections: &[Section]) {
        let have: std::collections::HashSet<String> = std::fs::read_dir(self.dir.join("sources"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
            })
            .into_iter()
            .flatten()
            .collect();
        let hashes: std::collections::HashMap<&Path, &str> = (sources.iter())
            .map(|(p, h)| (p.as_path(), h.as_str()))
            .collect();
        let wanted: Vec<&str> = (sections.iter())
            .filter(|s| !crate::resolve::in_package(&s.module))
            .filter_map(|s| hashes.get(s.module.as_path()).copied())
            .collect();
        if have.len() > 2 * wanted.len() + 64 {
            let named: std::collections::HashSet<&str> = wanted.iter().copied().collect();
            for stale in have.iter().filter(|h| !named.contains(h.as_str())) {
                let _ = std::fs::remove_file(self.source_copy(stale));
            }
        }
        if std::fs::create_dir_all(self.dir.join("sources")).is_err() {
            return;
        }
        (sections.iter())
            .map(|s| &s.module)
            .filter(|p| !crate::resolve::in_package(p))
            .for_each(|p| {
                let Some(&hash) = hashes.get(p.as_path()) else {
                    return;
                };
                if have.contains(hash) {
                    return;
                }
                if let Ok(bytes) = std::fs::read(p)
                    && blake3::hash(&bytes).to_hex().as_str() == hash
                {
                    let _ = std::fs::write(self.source_copy(hash), bytes);
                }
            });
    }

    /// The last build with these options when, of what it was made of, only the contents of
    /// one of the project's modules changed, and the module's last source and the bundle
    /// are intact in the cache: what a splice (`bundler::splice`) needs.
    pub fn last_edit(&self) -> Option<LastEdit> {
        let memo: Memo = serde_json::from_slice(&std::fs::read(&self.memo).ok()?).ok()?;
        if memo.outputs.len() != 1 || memo.sections.is_empty() {
            return None;
        }
        // Each source: unchanged (None), or changed with its bytes now; gone fails.
        type Now = Option<(usize, Vec<u8>)>;
        let now: Option<Vec<Now>> = (memo.sources.par_iter().enumerate())
            .map(|(i, (path, hash))| {
                let bytes = std::fs::read(path).ok()?;
                Some((blake3::hash(&bytes).to_hex().as_str() != hash).then_some((i, bytes)))
            })
            .collect();
        let mut changed = now?.into_iter().flatten();
        let (changed, after) = changed.next().filter(|_| changed.next().is_none())?;
        if !memo.probes.par_iter().all(Probe::holds) {
            return None;
        }
        let (path, hash) = &memo.sources[changed];
        let section = memo.sections.iter().find(|s| s.module == *path)?;
        let (start, end, inbound) = (section.start, section.end, section.inbound.clone());
        let copy = self.source_copy(hash);
        let Some(before) = read_intact(&copy, hash) else {
            // Damaged (or gone): removed, so that the next build that keeps it writes it again
            // (a copy is not written where one is found).
            let _ = std::fs::remove_file(&copy);
            return None;
        };
        let (out, out_hash) = &memo.outputs[0];
        let bundle =
            read_intact(out, out_hash).or_else(|| read_intact(&self.blob(out_hash), out_hash))?;
        Some(LastEdit {
            path: path.clone(),
            before,
            after,
            bundle,
            section: (start, end),
            inbound,
            changed,
            memo,
        })
    }

    /// Keep the build that `edit` made by splicing: its bundle `bundle`, its module's
    /// statements now `section_len` bytes long; as `store` keeps a build.
    pub fn store_edit(
        &self,
        edit: LastEdit,
        bundle: &[u8],
        section_len: usize,
        report: serde_json::Value,
        beside: &[(&str, &[u8])],
    ) -> Result<()> {
        let LastEdit {
            mut memo,
            changed,
            after,
            section: (start, end),
            ..
        } = edit;
        let new_hash = blake3::hash(&after).to_hex().to_string();
        let old_hash = std::mem::replace(&mut memo.sources[changed].1, new_hash.clone());
        let out_hash = blake3::hash(bundle).to_hex().to_string();
        memo.outputs[0].1 = out_hash.clone();
        let shift = |at: usize| {
            if at >= end {
                at + section_len + start - end
            } else {
                at
            }
        };
        for s in &mut memo.sections {
            if (s.start, s.end) == (start, end) {
                s.end = start + section_len;
            } else {
                (s.start, s.end) = (shift(s.start), shift(s.end));
            }
        }
        memo.report = report;
        let mut files: Vec<(PathBuf, &[u8])> = vec![];
        let blob = self.blob(&out_hash);
        if !blob.is_file() {
            files.push((blob, bundle));
        }
        // Plainly, as `copy_sources` writes: checked when read.
        let _ = std::fs::create_dir_all(self.dir.join("sources"));
        let _ = std::fs::write(self.source_copy(&new_hash), &after);
        let headed: Vec<(PathBuf, Vec<u8>)> = beside
            .iter()
            .map(|(name, bytes)| (self.dir.join(name), [&self.tool[..], bytes].concat()))
            .collect();
        files.extend(headed.iter().map(|(p, b)| (p.clone(), &b[..])));
        let json = serde_json::to_vec(&memo)?;
        files.push((self.memo.clone(), &json));
        crate::project::fsio::write_all_atomic(&files).context("writing the build cache")?;
        // The module's last source is no longer any module's (unless another has its bytes).
        if !memo.sources.iter().any(|(_, h)| *h == old_hash) {
            let _ = std::fs::remove_file(self.source_copy(&old_hash));
        }
        self.prune();
        Ok(())
    }

    /// Only the newest memos are kept, and only the copies they name. Pruned when due: more
    /// memos than are kept, or more copies than memos could name (a build's options have one
    /// memo, and each build leaves the copies its memo named before): reading every memo to
    /// know what they name costs more than a build's own memo.
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let copies = std::fs::read_dir(self.dir.join("blobs")).map_or(0, |b| b.count());
        let mut memos: Vec<(SystemTime, PathBuf)> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let t = std::fs::metadata(&p).and_then(|m| m.modified());
                (t.unwrap_or(SystemTime::UNIX_EPOCH), p)
            })
            .collect();
        if memos.len() <= KEPT_MEMOS && copies <= COPIES_PER_MEMO * memos.len() {
            return;
        }
        memos.sort_by(|a, b| b.cmp(a));
        let mut named = std::collections::HashSet::new();
        for (i, (_, memo)) in memos.iter().enumerate() {
            let kept = i < KEPT_MEMOS
                && std::fs::read(memo)
                    .ok()
                    .and_then(|b| outputs_of(&b))
                    .map(|outputs| named.extend(outputs.into_iter().map(|(_, h)| h)))
                    .is_some();
            if !kept {
                let _ = std::fs::remove_file(memo);
            }
        }
        let Ok(blobs) = std::fs::read_dir(self.dir.join("blobs")) else {
            return;
        };
        for blob in blobs.flatten() {
            if !named.contains(blob.file_name().to_string_lossy().as_ref()) {
                let _ = std::fs::remove_file(blob.path());
            }
        }
    }
}

/// The last build, and the one module of it whose source changed since (`last_edit`).
pub struct LastEdit {
    memo: Memo,
    /// The module's index among the memo's sources.
    changed: usize,
    pub path: PathBuf,
    /// Its source's bytes as the last build read them, and now.
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// The last build's bundle, and where the module's statements are in it.
    pub bundle: Vec<u8>,
    pub section: (usize, usize),
    /// What the build's other statements use of the module (`Section::inbound`).
    pub inbound: Vec<String>,
}

impl LastEdit {
    /// What the last build reported.
    pub fn report(&self) -> &serde_json::Value {
        &self.memo.report
    }

    /// The files the build read: its sources, and the files the resolver read.
    pub fn sources(&self) -> Vec<PathBuf> {
        (self.memo.sources.iter().map(|(p, _)| p.clone()))
            .chain(
                (self.memo.probes.iter())
                    .filter(|p| p.read_a_file())
                    .map(|p| p.path.clone()),
            )
            .collect()
    }

    /// The file the build wrote.
    pub fn output(&self) -> &Path {
        &self.memo.outputs[0].0
    }
}

/// A file's bytes, when they hash to `hash`.
fn read_intact(path: &Path, hash: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    (blake3::hash(&bytes).to_hex().as_str() == hash).then_some(bytes)
}

fn hash_of_file(path: &Path) -> Option<String> {
    Some(
        blake3::hash(&std::fs::read(path).ok()?)
            .to_hex()
            .to_string(),
    )
}

/// This binary: its version, and its size and time (a rebuilt binary may bundle differently).
fn tool_identity() -> String {
    let exe = std::env::current_exe().and_then(std::fs::metadata);
    let stamp = exe
        .as_ref()
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
        .unwrap_or_default();
    format!("edgespark {} {stamp:?}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prune_reads_a_memos_outputs_from_its_beginning() {
        let outputs = vec![
            (PathBuf::from("/p/server/dist/bundle.js"), "ab".repeat(32)),
            (
                PathBuf::from("/p/server/dist/bundle.js.map"),
                "cd".repeat(32),
            ),
        ];
        let memo = Memo {
            outputs: outputs.clone(),
            sources: vec![(PathBuf::from("/p/server/src/index.ts"), "ef".repeat(32))],
            probes: vec![],
            report: serde_json::json!({ "bytes": 10 }),
            sections: vec![],
        };
        let json = serde_json::to_vec(&memo).unwrap();
        assert_eq!(outputs_of(&json), Some(outputs));
        assert_eq!(outputs_of(br#"{"sources":[],"outputs":[]}"#), None);
        assert_eq!(outputs_of(b"{not json"), None);
    }

    #[test]
    fn a_file_kept_beside_the_memos_is_given_back_to_the_same_binary_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BuildCache::new(dir.path(), "options");
        assert_eq!(cache.beside("sizes"), None);
        let none = serde_json::Value::Null;
        let kept: &[u8] = b"kept";
        cache
            .store(
                SystemTime::now(),
                &[],
                &[],
                vec![],
                &[],
                none,
                &[("sizes", kept)],
                vec![],
            )
            .unwrap();
        let again = BuildCache::new(dir.path(), "other options");
        assert_eq!(again.beside("sizes").as_deref(), Some(&b"kept"[..]));
        let other = BuildCache {
            tool: [7; 32],
            ..BuildCache::new(dir.path(), "options")
        };
        assert_eq!(other.beside("sizes"), None, "another binary's file");
    }
}

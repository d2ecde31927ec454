//! The graph stage: from the entries, parse every reachable file (on all threads, each as soon
//! as an import reaches it), resolve its imports, and record the module graph. Modules are
//! numbered afterwards in breadth-first discovery order, which depends only on the sources:
//! the output is the same with any number of threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use swc_core::common::{GLOBALS, Globals, Mark, SourceMap, sync::Lrc};

use crate::bundler::js::record::ImportKind;
use crate::bundler::js::{self, Marks, ParsedModule};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::resolve::{Options, Resolved, ResolvedFile, Resolver};

pub type ModuleId = usize;

/// What an import record points at.
#[derive(Debug, Clone)]
pub enum Target {
    Module(ModuleId),
    External(String),
}

/// What each of a module's import records resolved to (same order); shared with the session,
/// which keeps it for the next build.
type Resolutions = std::sync::Arc<Vec<Result<Resolved, String>>>;

/// A module parsed, its key and content hash (see `Source`), what each of its import records
/// resolved to, and whether they were resolved (not the session's).
type Scanned = Result<(
    ParsedModule,
    blake3::Hash,
    Option<blake3::Hash>,
    Resolutions,
    bool,
)>;

/// A module's text and what it is parsed with; `key` stands for all three.
struct Source {
    text: String,
    loader: crate::resolve::Loader,
    transforms: js::transform::Transforms,
    key: blake3::Hash,
    /// blake3 of the file's bytes as read (None: no file was read as its content).
    content: Option<blake3::Hash>,
}

/// The syntax transforms `path`'s tsconfig asks for.
pub(crate) fn transforms_for(
    path: &Path,
    resolver: &Resolver,
) -> Result<js::transform::Transforms> {
    let tsconfig = resolver
        .tsconfig_for(path)
        .map_err(|why| anyhow!("{why}"))?;
    js::transform::Transforms::of_tsconfig(tsconfig.as_deref()).map_err(|why| anyhow!("{why}"))
}

fn source_of(path: &Path, disabled: bool, resolver: &Resolver) -> Result<Source> {
    let loader = resolver.loader_for(path);
    let (text, content) = if disabled {
        ("module.exports = {};".to_string(), None)
    } else {
        js::source_text(path, loader)?
    };
    let transforms = transforms_for(path, resolver)?;
    let mut h = blake3::Hasher::new();
    // The text is made from the file's bytes and the loader alone: their hash stands for it
    // (hashing the text again took 5% of a large scan).
    match &content {
        Some(bytes) => h.update(bytes.as_bytes()),
        None => h.update(text.as_bytes()),
    };
    h.update(format!("{loader:?} {transforms:?}").as_bytes());
    Ok(Source {
        key: h.finalize(),
        text,
        loader,
        transforms,
        content,
    })
}

/// A module a watching session keeps: its source's key and its file's content hash (see
/// `Source`), whether it stood for a disabled file, and the module.
struct Kept {
    key: blake3::Hash,
    content: Option<blake3::Hash>,
    disabled: bool,
    module: ParsedModule,
}

/// The session's module for `path`, if it was parsed from the same source.
fn cached<'a>(
    parsed: &'a HashMap<PathBuf, Kept>,
    path: &Path,
    key: blake3::Hash,
) -> Option<&'a ParsedModule> {
    parsed
        .get(path)
        .filter(|kept| kept.key == key)
        .map(|kept| &kept.module)
}

pub struct ModuleGraph {
    pub cm: Lrc<SourceMap>,
    pub globals: std::sync::Arc<Globals>,
    pub marks: Marks,
    pub modules: Vec<ParsedModule>,
    /// Per module, its file and its package's facts (side effects, Node's module mode).
    pub files: Vec<ResolvedFile>,
    /// Per module, blake3 of its file's bytes as the scan read them (None: no file was read as
    /// its content).
    pub contents: Vec<Option<blake3::Hash>>,
    /// Per module, the target of each of its import records (same order).
    pub targets: Vec<Vec<Target>>,
    /// Per module, its import records' indexes sorted by specifier and kind: `import_target`
    /// is asked about every import, and an entry may have thousands.
    import_index: Vec<Vec<u32>>,
    pub entries: Vec<ModuleId>,
}

impl ModuleGraph {
    /// A graph of one module, its entry, every import of which is external: the module
    /// linked alone, its imports kept as they are written.
    pub fn of_one(
        cm: Lrc<SourceMap>,
        globals: std::sync::Arc<Globals>,
        marks: Marks,
        module: ParsedModule,
        file: ResolvedFile,
    ) -> ModuleGraph {
        let targets = (module.record.imports.iter())
            .map(|r| Target::External(r.specifier.clone()))
            .collect();
        ModuleGraph {
            cm,
            globals,
            marks,
            import_index: vec![import_index(&module)],
            modules: vec![module],
            files: vec![file],
            contents: vec![None],
            targets: vec![targets],
            entries: vec![0],
        }
    }

    /// Every module's statements, moved out; the records, paths and marks stay.
    pub fn take_bodies(&mut self) -> Vec<Vec<swc_core::ecma::ast::ModuleItem>> {
        self.modules
            .iter_mut()
            .map(|m| std::mem::take(&mut m.ast.body))
            .collect()
    }

    /// Every module `entry` loads, by any kind of import, in discovery order.
    pub fn reachable(&self, entry: ModuleId) -> Vec<ModuleId> {
        let seen = self.loaded_through(entry, |_| true);
        (0..self.modules.len()).filter(|&i| seen[i]).collect()
    }

    /// Per module: whether `entry` loads it through static imports alone (before it runs).
    pub fn statically_loaded(&self, entry: ModuleId) -> Vec<bool> {
        self.loaded_through(entry, |k| k == ImportKind::Static)
    }

    /// Per module: whether `entry` reaches it following the imports of the kinds `follow` accepts.
    fn loaded_through(&self, entry: ModuleId, follow: impl Fn(ImportKind) -> bool) -> Vec<bool> {
        let mut seen = vec![false; self.modules.len()];
        let mut stack = vec![entry];
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            for (r, t) in self.modules[id]
                .record
                .imports
                .iter()
                .zip(&self.targets[id])
            {
                if let Target::Module(m) = t
                    && follow(r.kind)
                {
                    stack.push(*m);
                }
            }
        }
        seen
    }

    /// What `module`'s import of `specifier` (of this kind) resolved to.
    pub fn import_target(
        &self,
        module: ModuleId,
        specifier: &str,
        kind: ImportKind,
    ) -> Option<&Target> {
        let imports = &self.modules[module].record.imports;
        let index = &self.import_index[module];
        let key = (specifier, kind as u8);
        let first = index.partition_point(|&i| {
            let r = &imports[i as usize];
            (r.specifier.as_str(), r.kind as u8) < key
        });
        let &i = index.get(first)?;
        let r = &imports[i as usize];
        (r.specifier == specifier && r.kind == kind).then(|| &self.targets[module][i as usize])
    }

    /// Static dependencies first, in source order, then the module itself (Node's evaluation
    /// order for ES modules; a module already on the stack is skipped, as in a cycle). Modules
    /// reached only through `require()`/`import()` follow, in discovery order.
    pub fn evaluation_order(&self, entry: ModuleId) -> Vec<ModuleId> {
        let mut order = vec![];
        let mut state = vec![0u8; self.modules.len()]; // 0 new, 1 visiting, 2 done
        self.visit(entry, &mut state, &mut order);
        for id in self.reachable(entry) {
            self.visit(id, &mut state, &mut order);
        }
        order
    }

    fn visit(&self, id: ModuleId, state: &mut [u8], order: &mut Vec<ModuleId>) {
        if state[id] != 0 {
            return;
        }
        state[id] = 1;
        for (r, t) in self.modules[id]
            .record
            .imports
            .iter()
            .zip(&self.targets[id])
        {
            if let (ImportKind::Static, Target::Module(dep)) = (r.kind, t) {
                self.visit(*dep, state, order);
            }
        }
        state[id] = 2;
        order.push(id);
    }
}

/// The modules earlier builds of a `--watch` session parsed, reused by the next build when
/// their text, loader and transforms are the same: only what changed is parsed again. The
/// session keeps the one source map and set of marks the cached syntax trees refer to.
pub struct Session {
    cm: Lrc<SourceMap>,
    globals: std::sync::Arc<Globals>,
    marks: Marks,
    parsed: HashMap<PathBuf, Kept>,
    /// Per module file, by its source's key, what its imports resolved to with the kept
    /// resolver (dropped with it).
    resolutions: HashMap<PathBuf, (blake3::Hash, Resolutions)>,
    /// The files that may have changed since the last scan read them, when only these may
    /// have (a watch reports them); None: any file may have, and every file is read again.
    changed: Option<rustc_hash::FxHashSet<PathBuf>>,
    /// Whether whoever builds with this session reports what changes (`changed_since_last`).
    reports_changes: bool,
    /// How many modules the last scan parsed (the others were the session's).
    last_parsed: usize,
    /// Whether what a scan parses is kept for the next (a watch session) or not (one build).
    keep: bool,
    /// The files of the modules the last scan reached when it failed (empty when it did not).
    reached: Vec<PathBuf>,
    /// A copy of kept modules, made by `prepare_next` while a watch waits: a build moves the
    /// copy into its graph (the linker consumes it) instead of copying on its critical path.
    spares: HashMap<PathBuf, ParsedModule>,
    /// Per output file, the statements its last build printed (a watch session's).
    printed: HashMap<PathBuf, crate::bundler::emit::PrintMemo>,
    /// The last build's resolver and the options it was made with, its answers kept for the
    /// next build (a watch session's) until `forget_resolutions`.
    resolver: Option<(Options, Resolver)>,
}

impl Session {
    /// What the last build printed per output file, for the next build to take its texts
    /// from; None in a session that keeps nothing. Put back with `put_printed`.
    pub(crate) fn take_printed(
        &mut self,
    ) -> Option<HashMap<PathBuf, crate::bundler::emit::PrintMemo>> {
        self.keep.then(|| std::mem::take(&mut self.printed))
    }

    pub(crate) fn put_printed(
        &mut self,
        printed: HashMap<PathBuf, crate::bundler::emit::PrintMemo>,
    ) {
        self.printed = printed;
    }

    /// Copy, on all threads, each kept module the next build would otherwise copy itself: for
    /// a watch to call while it waits for a change.
    pub fn prepare_next(&mut self) {
        if !self.keep {
            return;
        }
        let missing: Vec<(&PathBuf, &ParsedModule)> = self
            .parsed
            .iter()
            .filter(|(path, _)| !self.spares.contains_key(*path))
            .map(|(path, kept)| (path, &kept.module))
            .collect();
        let made: Vec<(PathBuf, ParsedModule)> = missing
            .into_par_iter()
            .map(|(path, m)| (path.clone(), m.clone()))
            .collect();
        self.spares.extend(made);
    }

    /// The files of the modules the last scan reached if it failed, the one with the error
    /// among them (what a watch must watch for the fix); empty after a scan that succeeded.
    pub fn take_reached(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.reached)
    }

    /// The resolver for a build with `options`: the last build's, with what it found, if this
    /// session keeps it and the options are the same; else a new one.
    pub(crate) fn take_resolver(&mut self, options: &Options) -> Resolver {
        match self.resolver.take() {
            Some((kept, resolver)) if kept == *options => resolver,
            _ => {
                self.resolutions.clear();
                Resolver::new(options)
            }
        }
    }

    /// Keep a build's resolver for the next, in a session that keeps what it parses. One that
    /// copied files (the `copy` loader) is not kept: its list of copies is the build's own.
    pub(crate) fn put_resolver(&mut self, options: &Options, resolver: Resolver) {
        if self.keep && resolver.copied().is_empty() {
            self.resolver = Some((options.clone(), resolver));
        } else {
            self.resolutions.clear();
            crate::timing::drop_off_the_critical_path(resolver);
        }
    }

    /// Before the next build, what changed since the last: `Some(files)` when only the
    /// contents of these files did (every import still means the file it meant, and the
    /// others are not read again); None when files appeared, went or were renamed, or a
    /// package.json or tsconfig changed: every file is read and every import resolved afresh.
    /// Reports add up until the next scan (a build that failed early scans nothing). Once a
    /// session has had a report, a file not reported is taken as the last scan read it.
    pub fn changed_since_last(&mut self, contents: Option<&std::collections::BTreeSet<PathBuf>>) {
        self.reports_changes = true;
        match (contents, &mut self.changed) {
            (Some(files), Some(changed)) => changed.extend(files.iter().cloned()),
            (Some(_), None) => {}
            (None, _) => {
                self.changed = None;
                self.resolutions.clear();
                if let Some((_, resolver)) = self.resolver.take() {
                    crate::timing::drop_off_the_critical_path(resolver);
                }
            }
        }
    }

    /// A session whose builds keep what they parse for the next one.
    pub fn watching() -> Session {
        Session {
            keep: true,
            ..Session::default()
        }
    }

    /// Of the top-level statements the last build printed (in all its output files), how many
    /// it printed, and how many in all (the rest it had printed before).
    pub fn last_printed(&self) -> (usize, usize) {
        self.printed
            .values()
            .map(|m| m.last_printed())
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    }

    /// How many modules the last build parsed; the rest it had from earlier builds.
    pub fn last_parsed(&self) -> usize {
        self.last_parsed
    }
}

impl Default for Session {
    fn default() -> Session {
        let globals = Globals::new();
        let marks = GLOBALS.set(&globals, || Marks {
            unresolved: Mark::new(),
            linker: Mark::new(),
            helpers: Mark::new(),
        });
        Session {
            cm: Default::default(),
            globals: std::sync::Arc::new(globals),
            marks,
            parsed: HashMap::new(),
            resolutions: HashMap::new(),
            changed: None,
            reports_changes: false,
            last_parsed: 0,
            keep: false,
            reached: vec![],
            spares: HashMap::new(),
            printed: HashMap::new(),
            resolver: None,
        }
    }
}

/// More imports than this in one module are resolved on all threads.
const MANY_IMPORTS: usize = 32;

/// Parse everything reachable from `entries`.
pub fn scan(entries: &[PathBuf], resolver: &Resolver) -> Result<ModuleGraph> {
    scan_in(entries, resolver, &mut Session::default())
}

/// `scan` in `session`: a module whose text, loader and transforms are those of the one the
/// session holds is a copy of it, not parsed again; a watching session keeps what was parsed
/// for the next build.
pub fn scan_in(
    entries: &[PathBuf],
    resolver: &Resolver,
    session: &mut Session,
) -> Result<ModuleGraph> {
    let cm = session.cm.clone();
    let globals = session.globals.clone();
    let marks = session.marks;
    session.reached.clear();
    let mut ids: FxHashMap<PathKey, ModuleId> = FxHashMap::default();
    let mut paths: Vec<ResolvedFile> = vec![];
    let mut entry_ids = vec![];
    for e in entries {
        let p = e
            .canonicalize()
            .map_err(|err| anyhow!("{}: {err}", e.display()))?;
        let file = resolver.resolve_entry(&p).map_err(|why| anyhow!("{why}"))?;
        let id = *ids.entry(PathKey(file.path.clone())).or_insert_with(|| {
            paths.push(file);
            paths.len() - 1
        });
        entry_ids.push(id);
    }
    let mut scanned = discover(&paths, resolver, session, &cm, &globals, marks);
    // From here on, what changes is what the session is told (`changed_since_last`).
    session.changed = (session.keep && session.reports_changes).then(Default::default);
    session.last_parsed = scanned.values().filter(|f| f.parsed).count();
    // Sized ahead: a module is large to move, and a big app has thousands.
    let reached = scanned.len();
    ids.reserve(reached);
    paths.reserve(reached);
    let mut modules: Vec<ParsedModule> = Vec::with_capacity(reached);
    let mut targets: Vec<Vec<Target>> = Vec::with_capacity(reached);
    let mut contents: Vec<Option<blake3::Hash>> = Vec::with_capacity(reached);
    // Every unresolved import and syntax error, reported together at the end.
    let mut found: Vec<Diagnostic> = vec![];
    // Numbered breadth first, each module's imports in order: the order depends only on the
    // sources, not on which thread finished first.
    let mut id = 0;
    while id < paths.len() {
        let key = (PathKey(paths[id].path.clone()), paths[id].disabled);
        let one = scanned
            .remove(&key)
            .expect("every module reached was scanned");
        let path = key.0.0;
        id += 1;
        let (m, key, content, resolved, resolved_now) = match one.result {
            Ok(parsed) => parsed,
            Err(e) => {
                found.push(e.downcast::<Diagnostic>()?);
                continue;
            }
        };
        if session.keep && resolved_now {
            session
                .resolutions
                .insert(path.clone(), (key, resolved.clone()));
        }
        let mut ts = vec![];
        for (r, res) in m.record.imports.iter().zip(resolved.iter()) {
            ts.push(match res {
                Ok(Resolved::External(s)) => Target::External(s.clone()),
                Ok(Resolved::File(f)) => {
                    let known = ids.get(key_bytes(&f.path)).copied();
                    Target::Module(known.unwrap_or_else(|| {
                        ids.insert(PathKey(f.path.clone()), paths.len());
                        paths.push(f.clone());
                        paths.len() - 1
                    }))
                }
                // Left to fail at run time, where the code catches it (as esbuild does).
                Err(_) if r.handles_failure => Target::External(r.specifier.clone()),
                Err(why) => {
                    found.push(unresolved(&cm, &m.path, r, why).downcast::<Diagnostic>()?);
                    Target::External(r.specifier.clone())
                }
            });
        }
        if session.keep && cached(&session.parsed, &path, key).is_none() {
            session.spares.remove(&path);
            let kept = Kept {
                key,
                content,
                disabled: paths[id - 1].disabled,
                module: m.clone(),
            };
            session.parsed.insert(path, kept);
        }
        modules.push(m);
        targets.push(ts);
        contents.push(content);
    }
    crate::timing::drop_off_the_critical_path(scanned);
    if !found.is_empty() {
        session.reached = paths
            .iter()
            .filter(|f| !crate::resolve::is_data_url(&f.path))
            .map(|f| f.path.clone())
            .collect();
    }
    match found.len() {
        0 => {}
        1 => return Err(found.remove(0).into()),
        _ => return Err(Diagnostics(found).into()),
    }
    let import_index = modules.iter().map(import_index).collect();
    Ok(ModuleGraph {
        cm,
        globals,
        marks,
        modules,
        files: paths,
        contents,
        targets,
        import_index,
        entries: entry_ids,
    })
}

/// One module as `discover` found it: what scanning it gave, and whether it was parsed (not
/// the session's).
struct Discovered {
    result: Scanned,
    parsed: bool,
}

/// A file as it is reached: a path and whether it is read or stands for an empty module.
type FileKey = (PathKey, bool);

/// A path as a key by its bytes. The resolver's paths are canonical, so the same bytes are the
/// same file; `Path`'s own hash goes component by component, and was most of the time of the
/// serial numbering of the modules (each import's path is looked up there).
#[derive(Clone)]
struct PathKey(PathBuf);

impl PathKey {
    fn bytes(&self) -> &[u8] {
        key_bytes(&self.0)
    }
}

impl PartialEq for PathKey {
    fn eq(&self, other: &PathKey) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for PathKey {}

impl std::hash::Hash for PathKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state)
    }
}

impl std::borrow::Borrow<[u8]> for PathKey {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

/// `path`'s bytes, to look a `PathKey` up by.
fn key_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// Scan every file reachable from `entries`, on all threads, each file's imports scanned as
/// soon as it is parsed (a large module found late is not left to parse alone at the end).
fn discover(
    entries: &[ResolvedFile],
    resolver: &Resolver,
    session: &mut Session,
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    marks: Marks,
) -> FxHashMap<FileKey, Discovered> {
    let spares = std::sync::Mutex::new(std::mem::take(&mut session.spares));
    let scan = Discovery {
        resolver,
        reused: &session.parsed,
        resolutions: &session.resolutions,
        changed: session.changed.as_ref(),
        spares: &spares,
        cm,
        globals,
        marks,
        claimed: Default::default(),
        found: Default::default(),
    };
    rayon::scope(|s| {
        for file in entries {
            if scan.claim(file) {
                let file = file.clone();
                let scan = &scan;
                s.spawn(move |s| scan.visit(s, file));
            }
        }
    });
    let found = scan.found.into_inner().unwrap_or_else(|e| e.into_inner());
    session.spares = spares.into_inner().unwrap_or_else(|e| e.into_inner());
    found
}

/// What scanning shares across threads.
struct Discovery<'a> {
    resolver: &'a Resolver,
    /// The session's modules, by path and source key.
    reused: &'a HashMap<PathBuf, Kept>,
    /// The session's resolutions, by module file and source key.
    resolutions: &'a HashMap<PathBuf, (blake3::Hash, Resolutions)>,
    /// The files that may have changed since the session read them, when only these may have.
    changed: Option<&'a rustc_hash::FxHashSet<PathBuf>>,
    /// Copies of the session's modules made ahead (see `Session::prepare_next`).
    spares: &'a std::sync::Mutex<HashMap<PathBuf, ParsedModule>>,
    cm: &'a Lrc<SourceMap>,
    globals: &'a Globals,
    marks: Marks,
    /// Files some thread has taken to scan.
    claimed: std::sync::Mutex<rustc_hash::FxHashSet<FileKey>>,
    found: std::sync::Mutex<FxHashMap<FileKey, Discovered>>,
}

impl Discovery<'_> {
    /// Whether `file` is newly reached (the caller then scans it).
    fn claim(&self, file: &ResolvedFile) -> bool {
        let key = (PathKey(file.path.clone()), file.disabled);
        self.claimed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
    }

    /// Scan `file`, then, on other tasks, each file it imports that nothing reached before.
    fn visit<'s>(&'s self, s: &rayon::Scope<'s>, file: ResolvedFile) {
        let (result, parsed) = GLOBALS.set(self.globals, || self.scan(&file));
        if let Ok((_, _, _, resolved, _)) = &result {
            for r in resolved.iter() {
                if let Ok(Resolved::File(f)) = r
                    && self.claim(f)
                {
                    let f = f.clone();
                    s.spawn(move |s| self.visit(s, f));
                }
            }
        }
        self.found.lock().unwrap_or_else(|e| e.into_inner()).insert(
            (PathKey(file.path), file.disabled),
            Discovered { result, parsed },
        );
    }

    /// `file` parsed (or taken from the session) and its imports resolved (or taken from the
    /// session); and whether it was parsed.
    fn scan(&self, file: &ResolvedFile) -> (Scanned, bool) {
        let path = &file.path;
        let taken = |m: &ParsedModule| {
            let spare = self
                .spares
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(path);
            spare.unwrap_or_else(|| m.clone())
        };
        // A file the session read that has not changed since is not read again.
        let unchanged = self
            .changed
            .filter(|changed| !changed.contains(path))
            .and_then(|_| self.reused.get(path))
            .filter(|kept| kept.disabled == file.disabled);
        let (m, key, content, fresh) = match unchanged {
            Some(kept) => (taken(&kept.module), kept.key, kept.content, false),
            None => {
                let source = match source_of(path, file.disabled, self.resolver) {
                    Ok(source) => source,
                    Err(e) => return (Err(e), true),
                };
                let (key, content) = (source.key, source.content);
                let parsed = match cached(self.reused, path, key) {
                    Some(m) => Ok((taken(m), false)),
                    None => js::parse(
                        self.cm,
                        path,
                        source.text,
                        source.loader,
                        self.marks,
                        Mark::new(),
                        &source.transforms,
                    )
                    .map(|m| (m, true)),
                };
                match parsed {
                    Ok((m, fresh)) => (m, key, content, fresh),
                    Err(e) => return (Err(e), true),
                }
            }
        };
        // The same source's imports, resolved by the same resolver, mean what they meant.
        if let Some((_, resolved)) = self.resolutions.get(path).filter(|(k, _)| *k == key) {
            return (Ok((m, key, content, resolved.clone(), false)), fresh);
        }
        let resolve = |r: &js::record::ImportRecord| {
            self.resolver
                .resolve(path, &r.specifier, r.kind == ImportKind::Require)
        };
        // A module importing hundreds (an app's index of routes) would be resolved on one
        // thread while the others wait.
        let imports = &m.record.imports;
        let resolved = if imports.len() > MANY_IMPORTS {
            imports.par_iter().map(resolve).collect()
        } else {
            imports.iter().map(resolve).collect()
        };
        (
            Ok((m, key, content, Resolutions::new(resolved), true)),
            fresh,
        )
    }
}

/// A module's import records' indexes, sorted by specifier and kind (stable: of two records
/// alike, the first stays first).
fn import_index(m: &ParsedModule) -> Vec<u32> {
    let imports = &m.record.imports;
    let mut index: Vec<u32> = (0..imports.len() as u32).collect();
    index.sort_by(|&a, &b| {
        let (a, b) = (&imports[a as usize], &imports[b as usize]);
        (a.specifier.as_str(), a.kind as u8).cmp(&(b.specifier.as_str(), b.kind as u8))
    });
    index
}

fn unresolved(
    cm: &Lrc<SourceMap>,
    importer: &Path,
    r: &js::record::ImportRecord,
    why: &str,
) -> anyhow::Error {
    let file = if r.span.is_dummy() {
        None
    } else {
        cm.try_lookup_source_file(r.span.lo).ok().flatten()
    };
    let Some(file) = file else {
        // An import a transform added (a JSX runtime, say) has no place in the source.
        return anyhow!(
            "{}: could not resolve \"{}\" (added by a syntax transform): {why}",
            importer.display(),
            r.specifier
        );
    };
    let lo = (r.span.lo - file.start_pos).0 as usize;
    let hi = (r.span.hi - file.start_pos).0 as usize;
    Diagnostic::new(
        importer,
        &file.src,
        (lo, hi.max(lo)),
        format!("could not resolve \"{}\": {why}", r.specifier),
        "imported here",
    )
    .into()
}

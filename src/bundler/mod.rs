//! The bundler: entry points → one JavaScript file each, as esbuild would write them. Its
//! stages, one folder each: `js` (parse, strip TypeScript), `crate::resolve` (oxc_resolver, shared with the source loader),
//! `graph` (the module graph), `link` (scope hoisting, tree shaking, CommonJS interop) and
//! `emit` (renaming, minifying, printing, source maps). This file drives them.

pub mod emit;
pub mod graph;
pub mod ids;
pub mod js;
pub mod link;
pub mod splice;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::resolve::{self, Options, Resolver};
use emit::{EmitOptions, Emitted};
use link::LinkOptions;

/// The entry points as files: each that names an existing file is that file; any other is
/// resolved as an import from the working directory would be (a package, a path alias), as
/// esbuild does.
pub fn entry_points(entries: &[PathBuf], options: &Options) -> Result<Vec<PathBuf>> {
    let resolver = Resolver::new(options);
    let cwd = std::env::current_dir()?;
    entries
        .iter()
        .map(|e| {
            if e.is_file() {
                return Ok(e.clone());
            }
            let spec = e.to_string_lossy();
            match resolver.resolve(&cwd.join("<entry>"), &spec, false) {
                Ok(resolve::Resolved::File(f)) => Ok(f.path),
                Ok(resolve::Resolved::External(_)) => {
                    bail!("the entry point {spec} is marked external")
                }
                Err(why) => bail!("could not resolve the entry point {spec}: {why}"),
            }
        })
        .collect()
}

/// Bundle every entry for the output file beside it; returns each entry's output, in the order
/// given.
pub fn bundle(
    entries: &[PathBuf],
    outfiles: &[PathBuf],
    options: &Options,
    link: &LinkOptions,
    emit: EmitOptions,
) -> Result<Vec<Emitted>> {
    let mut session = graph::Session::default();
    bundle_in(&mut session, entries, outfiles, options, link, emit, |_| ()).emitted
}

/// `bundle` in a session (`graph::Session::watching` for `--watch`: modules unchanged since
/// the session parsed them are not parsed again), also handing the module graph to `inspect`
/// once it is scanned and before it is linked: an analysis of the same modules (the route
/// list) needs no scan of its own. `inspect` runs only when the scan succeeds; its result is
/// `None` otherwise, and is kept when a later stage fails.
pub fn bundle_in<T>(
    session: &mut graph::Session,
    entries: &[PathBuf],
    outfiles: &[PathBuf],
    options: &Options,
    link: &LinkOptions,
    emit: EmitOptions,
    inspect: impl FnOnce(&graph::ModuleGraph) -> T,
) -> Inspected<T> {
    let timer = crate::timing::StageTimer::from_env();
    let resolver = session.take_resolver(options);
    let mut inspected = None;
    let mut files = None;
    let mut warnings = vec![];
    let mut printed = session.take_printed();
    let first = bundle_once(
        |r: &Resolver| graph::scan_in(entries, r, session),
        &resolver,
        outfiles,
        link,
        emit,
        printed.as_mut(),
        |g| {
            files = Some(read_files(g));
            warnings = warnings_of(g);
            inspected = Some(inspect(g));
        },
    );
    let emitted = match first {
        // Rare (see emit/rename.rs): made again, with the whole-bundle hygiene.
        Err(e) if e.is::<crate::bundler::emit::LostBinding>() => {
            timer.done("lost a binding: made again");
            let emit = EmitOptions {
                runs_alone: false,
                ..emit
            };
            let scan = |r: &Resolver| graph::scan_in(entries, r, session);
            bundle_once(
                scan,
                &resolver,
                outfiles,
                link,
                emit,
                printed.as_mut(),
                |_| (),
            )
        }
        result => result,
    };
    if let Some(printed) = printed {
        session.put_printed(printed);
    }
    let inputs = files.map(|mut read: Vec<(PathBuf, Option<blake3::Hash>)>| {
        read.extend(resolver.copied().into_values().map(|p| (p, None)));
        let (files, contents) = read.into_iter().unzip();
        Inputs {
            files,
            contents,
            looks: resolver.looks(),
        }
    });
    session.put_resolver(options, resolver);
    Inspected {
        emitted,
        inspected,
        inputs,
        reached: session.take_reached(),
        warnings,
    }
}

/// What the bundle may get wrong without failing, as esbuild warns of it: a direct `eval`
/// (the code it runs names bindings the bundler renames or drops).
fn warnings_of(g: &graph::ModuleGraph) -> Vec<crate::diagnostic::Diagnostic> {
    g.modules
        .iter()
        .filter_map(|m| {
            let span = m.record.direct_eval_at?;
            let file = g.cm.lookup_byte_offset(span.lo).sf;
            let at = |pos: swc_core::common::BytePos| (pos - file.start_pos).0 as usize;
            let d = crate::diagnostic::Diagnostic::new(
                &m.path,
                &file.src,
                (at(span.lo), at(span.lo) + "eval".len()),
                "Using direct eval with a bundler is not recommended and may cause problems",
                "direct eval",
            );
            Some(d.as_warning().with_code("bundle/direct-eval"))
        })
        .collect()
}

/// The files of the graph's modules (not data: URLs), each with the hash of what was read.
fn read_files(g: &graph::ModuleGraph) -> Vec<(PathBuf, Option<blake3::Hash>)> {
    g.files
        .iter()
        .zip(&g.contents)
        .filter(|(f, _)| !resolve::is_data_url(&f.path))
        .map(|(f, hash)| (f.path.clone(), *hash))
        .collect()
}

/// A bundle, and what the inspection of its module graph gave (`None`: the scan failed).
pub struct Inspected<T> {
    pub emitted: Result<Vec<Emitted>>,
    pub inspected: Option<T>,
    /// What the bundle was made of (`None`: the scan failed).
    pub inputs: Option<Inputs>,
    /// When the scan failed, the files of the modules it reached (what to watch).
    pub reached: Vec<PathBuf>,
    /// What the scanned modules may get wrong without failing the build.
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

impl<T> Inspected<T> {
    /// The files to watch for the next change: what the bundle was made of (its modules, the
    /// files the resolver read: package.json files, tsconfigs), or, when the scan failed, the
    /// modules it reached (the file with the error among them).
    pub fn watched(&self) -> Vec<PathBuf> {
        match &self.inputs {
            Some(i) => {
                let mut files = i.files.clone();
                files.extend(resolve::probes::files_read(&i.looks));
                files
            }
            None => self.reached.clone(),
        }
    }
}

/// What a bundle was made of: the same files, and the same answers to the resolver's looks at
/// the file system, make the same bundle (the build cache's test).
pub struct Inputs {
    /// The files it read: its modules and the files the `copy` loader copied.
    pub files: Vec<PathBuf>,
    /// Per file, blake3 of the bytes the build read (None: not read as a module's content,
    /// as the `file` and `copy` loaders' files).
    pub contents: Vec<Option<blake3::Hash>>,
    looks: resolve::probes::Log,
}

impl Inputs {
    /// What the resolver looked for and read (package.json files, tsconfigs, files an import
    /// could have meant), with what it found; sorted only when asked for (the build cache).
    pub fn probes(&self) -> Vec<resolve::probes::Probe> {
        resolve::probes::probes_of(&self.looks)
    }
}

fn bundle_once(
    scan: impl FnOnce(&Resolver) -> Result<graph::ModuleGraph>,
    resolver: &Resolver,
    outfiles: &[PathBuf],
    link: &LinkOptions,
    emit: EmitOptions,
    mut printed: Option<&mut std::collections::HashMap<PathBuf, crate::bundler::emit::PrintMemo>>,
    inspect: impl FnOnce(&graph::ModuleGraph),
) -> Result<Vec<Emitted>> {
    let timer = crate::timing::StageTimer::from_env();
    let mut graph = scan(resolver)?;
    timer.done("parse + resolve");
    swc_core::common::GLOBALS.set(&graph.globals, || inspect(&graph));
    refuse_overwriting_inputs(&graph, outfiles, emit.sourcemap.is_some())?;
    // One bundle: it can have the modules' statements rather than copies.
    let mut bodies = if graph.entries.len() == 1 {
        Some(graph.take_bodies())
    } else {
        None
    };
    let pure: rustc_hash::FxHashSet<_> = graph
        .modules
        .iter()
        .flat_map(|m| m.pure_annotations.iter().copied())
        .collect();
    // Syntax contexts are made and compared through swc's globals.
    let emitted = swc_core::common::GLOBALS.set(&graph.globals, || {
        let eval_scopes: Vec<swc_core::common::SyntaxContext> = graph
            .modules
            .iter()
            .filter(|m| m.record.direct_eval_at.is_some())
            .map(|m| swc_core::common::SyntaxContext::empty().apply_mark(m.top_level_mark))
            .collect();
        graph
            .entries
            .iter()
            .zip(outfiles)
            .map(|(&e, outfile)| {
                let linked = crate::bundler::link::link(
                    &graph,
                    bodies.take().unwrap_or_default(),
                    e,
                    link,
                    &pure,
                )?;
                timer.done("link + shake");
                let paths: Vec<Option<&Path>> = (linked.modules.iter())
                    .map(|m| m.map(|m| graph.modules[m].path.as_path()))
                    .collect();
                let text = crate::bundler::emit::print(
                    &graph.cm,
                    &graph.globals,
                    graph.marks.unresolved,
                    linked.module,
                    &eval_scopes,
                    emit,
                    crate::bundler::emit::Output {
                        file: outfile,
                        memo: printed
                            .as_deref_mut()
                            .map(|p| p.entry(outfile.clone()).or_default()),
                        modules: Some(&paths),
                    },
                );
                timer.done("emit");
                let mut emitted = text?;
                if !emitted.sections.is_empty() {
                    let ids: std::collections::HashMap<&Path, usize> = (graph.modules.iter())
                        .enumerate()
                        .map(|(id, m)| (m.path.as_path(), id))
                        .collect();
                    for s in &mut emitted.sections {
                        let used = ids
                            .get(s.module.as_path())
                            .and_then(|id| linked.inbound.get(id));
                        let mut names: Vec<String> =
                            used.into_iter().flatten().map(|n| n.to_string()).collect();
                        names.sort();
                        s.inbound = names;
                    }
                }
                emitted.assets = assets_of(&graph, resolver, e)?;
                Ok(emitted)
            })
            .collect()
    });
    crate::timing::drop_off_the_critical_path(graph);
    emitted
}

/// The files the `file` loader made modules of (those `entry` reaches) and the `copy` loader
/// kept as imports, each with the name of its copy beside the bundle, in name order.
fn assets_of(
    graph: &graph::ModuleGraph,
    resolver: &Resolver,
    entry: graph::ModuleId,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut assets = resolver.copied();
    for m in graph.reachable(entry) {
        let path = &graph.files[m].path;
        if resolver.loader_for(path) == resolve::Loader::File {
            let name = resolve::asset_name(path).map_err(anyhow::Error::msg)?;
            assets.insert(name, path.clone());
        }
    }
    assets
        .into_iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(&path)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
            Ok((name, bytes))
        })
        .collect()
}

/// Each entry's file in `outdir`, as esbuild names them: its path below the entries' lowest
/// common directory (esbuild's outbase), with `.js` for its extension.
pub fn outdir_files(entries: &[PathBuf], outdir: &Path) -> Result<Vec<PathBuf>> {
    let absolute: Vec<PathBuf> = entries
        .iter()
        .map(|e| crate::project::paths::absolute(e))
        .collect::<Result<_>>()?;
    let mut base = absolute[0]
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for e in &absolute[1..] {
        while !e.starts_with(&base) {
            if !base.pop() {
                break;
            }
        }
    }
    Ok(absolute
        .iter()
        .map(|e| {
            outdir
                .join(
                    e.strip_prefix(&base)
                        .unwrap_or(Path::new(e.file_name().unwrap_or_default())),
                )
                .with_extension("js")
        })
        .collect())
}

/// esbuild's rule: no output file may be one of the build's input files (a bundle written over
/// its own source loses the source).
fn refuse_overwriting_inputs(
    graph: &crate::bundler::graph::ModuleGraph,
    outfiles: &[PathBuf],
    maps: bool,
) -> Result<()> {
    let mut outputs = vec![];
    for out in outfiles {
        outputs.push(crate::project::paths::resolved(out)?);
        if maps {
            let mut map = out.clone().into_os_string();
            map.push(".map");
            outputs.push(crate::project::paths::resolved(Path::new(&map))?);
        }
    }
    // Only an input with an output's file name can be that output: resolve just those.
    let names: Vec<_> = outputs.iter().filter_map(|o| o.file_name()).collect();
    for file in &graph.files {
        if !file.path.file_name().is_some_and(|n| names.contains(&n)) {
            continue;
        }
        let Ok(input) = file.path.canonicalize() else {
            continue;
        };
        if outputs.contains(&input) {
            bail!(crate::diagnostic::Failure {
                code: 1,
                message: format!("refusing to overwrite input file {}", file.path.display())
            });
        }
    }
    Ok(())
}

/// Two entries must not write the same file (the second bundle would silently replace the first).
pub fn refuse_shared_outputs(outputs: &[PathBuf]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for out in outputs {
        if !seen.insert(crate::project::paths::resolved(out)?) {
            bail!(crate::diagnostic::Failure {
                code: 1,
                message: format!(
                    "two entry points would both be written to {}; give them different names or bundle them separately",
                    out.display()
                )
            });
        }
    }
    Ok(())
}

/// The files to write: each bundle, its source map as `<bundle>.map` when it has one, and the
/// files its loaders copied beside it (each once).
pub fn output_files<'a>(outputs: &[PathBuf], emitted: &'a [Emitted]) -> Vec<(PathBuf, &'a [u8])> {
    let mut files: Vec<(PathBuf, &[u8])> = vec![];
    for (path, e) in outputs.iter().zip(emitted) {
        files.push((path.clone(), e.code.as_bytes()));
        if let Some(map) = &e.map {
            let mut name = path.clone().into_os_string();
            name.push(".map");
            files.push((PathBuf::from(name), map.as_bytes()));
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        for (name, bytes) in &e.assets {
            let asset = dir.join(name);
            if !files.iter().any(|(p, _)| *p == asset) {
                files.push((asset, bytes.as_slice()));
            }
        }
    }
    files
}

//! `edgespark bundle`: the bundler on any entry points, with esbuild's flag names.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::emit::{EmitOptions, Emitted, SourceMapKind};
use crate::link::{Format, LinkOptions};
use crate::project::fsio::write_all_atomic;
use crate::resolve::{Options, Resolver};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Platform {
    Browser,
    Node,
    Neutral,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Esm,
    Cjs,
    Iife,
}

#[derive(Args, Debug)]
pub struct BundleArgs {
    /// Entry points (one output file each)
    #[arg(required = true)]
    pub entries: Vec<PathBuf>,
    /// Write the bundle of the single entry here
    #[arg(long, conflicts_with = "outdir")]
    pub outfile: Option<PathBuf>,
    /// Write one bundle per entry into this directory (`<entry name>.js`)
    #[arg(long)]
    pub outdir: Option<PathBuf>,
    /// Output format: an ES module, a CommonJS module, or a script running itself (IIFE)
    #[arg(long, value_enum, default_value = "esm")]
    pub format: FormatArg,
    /// Default conditions and main fields, as esbuild's --platform
    #[arg(long, value_enum, default_value = "browser")]
    pub platform: Platform,
    /// Keep imports of this package (or `prefix*` pattern) instead of bundling them
    #[arg(long = "external")]
    pub externals: Vec<String>,
    /// package.json "exports" conditions to match, comma-separated (after the platform's)
    #[arg(long, value_delimiter = ',')]
    pub conditions: Option<Vec<String>>,
    /// package.json fields to try for a package's entry, comma-separated
    #[arg(long, value_delimiter = ',')]
    pub main_fields: Option<Vec<String>>,
    /// tsconfig.json whose `paths` are honoured
    #[arg(long)]
    pub tsconfig: Option<PathBuf>,
    /// Compress and mangle the output (swc_ecma_minifier)
    #[arg(long)]
    pub minify: bool,
    /// Write a source map: `linked` (FILE.map and a comment naming it; the default), `external`
    /// (no comment), `inline` (in the output), `both`
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "linked", value_name = "KIND")]
    pub sourcemap: Option<SourceMapKind>,
    /// Replace reads of a global (identifier or dotted chain) with a JSON value or identifier:
    /// `--define process.env.NODE_ENV='"production"'`
    #[arg(long = "define", value_name = "K=V")]
    pub defines: Vec<String>,
}

fn options(a: &BundleArgs) -> Options {
    let (platform_conditions, main_fields): (&[&str], &[&str]) = match a.platform {
        Platform::Browser => (
            &["browser", "import", "default"],
            &["browser", "module", "main"],
        ),
        Platform::Node => (&["node", "import", "default"], &["main", "module"]),
        Platform::Neutral => (&["import", "default"], &[]),
    };
    let mut conditions: Vec<String> = a.conditions.clone().unwrap_or_default();
    conditions.extend(platform_conditions.iter().map(|s| s.to_string()));
    let mut externals = a.externals.clone();
    if matches!(a.platform, Platform::Node) {
        externals.push("node:*".into());
    }
    Options {
        conditions,
        main_fields: a
            .main_fields
            .clone()
            .unwrap_or_else(|| main_fields.iter().map(|s| s.to_string()).collect()),
        tsconfig: a.tsconfig.clone(),
        externals,
        packages_external: false,
    }
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
    let timer = crate::timing::StageTimer::from_env();
    match bundle_once(entries, outfiles, options, link, emit) {
        // Rare (see emit/outside.rs): made again, with every top-level binding left alone.
        Err(e) if e.is::<crate::emit::LostBinding>() => {
            timer.done("lost a binding: made again");
            bundle_once(
                entries,
                outfiles,
                options,
                link,
                EmitOptions {
                    runs_alone: false,
                    ..emit
                },
            )
        }
        result => result,
    }
}

fn bundle_once(
    entries: &[PathBuf],
    outfiles: &[PathBuf],
    options: &Options,
    link: &LinkOptions,
    emit: EmitOptions,
) -> Result<Vec<Emitted>> {
    let timer = crate::timing::StageTimer::from_env();
    let resolver = Resolver::new(options);
    let mut graph = crate::graph::scan(entries, &resolver)?;
    timer.done("parse + resolve");
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
        graph
            .entries
            .iter()
            .zip(outfiles)
            .map(|(&e, outfile)| {
                let module =
                    crate::link::link(&graph, bodies.take().unwrap_or_default(), e, link, &pure)?;
                timer.done("link + shake");
                let text = crate::emit::print(
                    &graph.cm,
                    &graph.globals,
                    graph.marks.unresolved,
                    module,
                    &pure,
                    emit,
                    outfile,
                );
                timer.done("emit");
                text
            })
            .collect()
    });
    crate::timing::drop_off_the_critical_path((graph, resolver));
    emitted
}

/// Each entry's file in `outdir`, as esbuild names them: its path below the entries' lowest
/// common directory (esbuild's outbase), with `.js` for its extension.
fn outdir_files(entries: &[PathBuf], outdir: &Path) -> Result<Vec<PathBuf>> {
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
    graph: &crate::graph::ModuleGraph,
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
            bail!(crate::cli::output::Failure {
                code: 1,
                message: format!("refusing to overwrite input file {}", file.path.display())
            });
        }
    }
    Ok(())
}

/// Two entries must not write the same file (the second bundle would silently replace the first).
fn refuse_shared_outputs(outputs: &[PathBuf]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for out in outputs {
        if !seen.insert(crate::project::paths::resolved(out)?) {
            bail!(crate::cli::output::Failure {
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

/// The files to write: each bundle, and its source map as `<bundle>.map` when it has one.
pub fn output_files<'a>(outputs: &[PathBuf], emitted: &'a [Emitted]) -> Vec<(PathBuf, &'a [u8])> {
    let mut files = vec![];
    for (path, e) in outputs.iter().zip(emitted) {
        files.push((path.clone(), e.code.as_bytes()));
        if let Some(map) = &e.map {
            let mut name = path.clone().into_os_string();
            name.push(".map");
            files.push((PathBuf::from(name), map.as_bytes()));
        }
    }
    files
}

pub fn run(a: BundleArgs) -> Result<()> {
    let started = Instant::now();
    let outputs: Vec<PathBuf> = match (&a.outfile, &a.outdir) {
        (Some(f), None) => {
            if a.entries.len() != 1 {
                bail!(crate::cli::output::Failure {
                    code: 2,
                    message: "--outfile takes one entry point; use --outdir for several".into()
                });
            }
            vec![f.clone()]
        }
        (None, Some(d)) => outdir_files(&a.entries, d)?,
        _ => bail!(crate::cli::output::Failure {
            code: 2,
            message: "name the output with --outfile FILE or --outdir DIR".into()
        }),
    };
    refuse_shared_outputs(&outputs)?;
    let format = match a.format {
        FormatArg::Esm => Format::Esm,
        FormatArg::Cjs => Format::Cjs,
        FormatArg::Iife => Format::Iife,
    };
    let link = LinkOptions {
        format,
        defines: a.defines.clone(),
    };
    let emitted = bundle(
        &a.entries,
        &outputs,
        &options(&a),
        &link,
        EmitOptions {
            minify: a.minify,
            sourcemap: a.sourcemap,
            runs_alone: true,
        },
    )?;
    let files = output_files(&outputs, &emitted);
    write_all_atomic(&files)?;
    for (path, bytes) in &files {
        errln!(
            "  {}  {:.1} kB",
            path.display(),
            bytes.len() as f64 / 1000.0
        );
    }
    errln!("Done in {} ms", started.elapsed().as_millis());
    Ok(())
}

//! `edgespark bundle`: the bundler on any entry points, with esbuild's flag names.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::bundler::emit::{EmitOptions, SourceMapKind};
use crate::bundler::graph::Session;
use crate::bundler::link::{Format, LinkOptions};
use crate::bundler::{bundle_in, outdir_files, output_files, refuse_shared_outputs};
use crate::diagnostic::Failure;
use crate::project::fsio::write_all_atomic;
use crate::resolve::{Loader, Options};

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
    /// How files of an extension are read, as esbuild's --loader: `.txt=text`, `.bin=base64`;
    /// kinds: js, jsx, ts, tsx, json, text, base64, binary, empty, dataurl, file, copy (default: by extension, `.txt` as text)
    #[arg(long = "loader", value_name = ".EXT=KIND")]
    pub loaders: Vec<String>,
    /// Replace reads of a global (identifier or dotted chain) with a JSON value or identifier:
    /// `--define process.env.NODE_ENV='"production"'`
    #[arg(long = "define", value_name = "K=V")]
    pub defines: Vec<String>,
    /// Build again whenever a file the bundle reads changes (until interrupted)
    #[arg(long)]
    pub watch: bool,
}

/// `--loader .ext=kind` flags as (extension, loader).
fn loaders(a: &BundleArgs) -> Result<Vec<(String, Loader)>> {
    a.loaders
        .iter()
        .map(|l| {
            let usage = |why: String| Failure {
                code: 2,
                message: format!("--loader {l}: {why}"),
            };
            let (ext, kind) = l
                .split_once('=')
                .ok_or_else(|| usage("expected .EXT=KIND".into()))?;
            if !ext.starts_with('.') || ext.len() < 2 {
                bail!(usage("the extension starts with a dot, as in .txt".into()));
            }
            let loader = <Loader as clap::ValueEnum>::from_str(kind, false).map_err(|_| {
                usage(format!(
                    "no loader {kind:?}; the loaders are js, jsx, ts, tsx, json, text, base64, binary, empty, dataurl, file, copy"
                ))
            })?;
            Ok((ext.to_string(), loader))
        })
        .collect()
}

fn options(a: &BundleArgs) -> Result<Options> {
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
        externals.extend(crate::resolve::NODE_BUILTINS.iter().map(|m| m.to_string()));
    }
    Ok(Options {
        conditions,
        main_fields: a
            .main_fields
            .clone()
            .unwrap_or_else(|| main_fields.iter().map(|s| s.to_string()).collect()),
        tsconfig: a.tsconfig.clone(),
        externals,
        packages_external: false,
        loaders: loaders(a)?,
        node_builtins: matches!(a.platform, Platform::Node),
    })
}

pub fn run(a: BundleArgs) -> Result<()> {
    let started = Instant::now();
    let options = options(&a)?;
    // An entry that is not a file is resolved as an import would be (`bundle pkg`).
    let entries = crate::bundler::entry_points(&a.entries, &options)?;
    let a = BundleArgs { entries, ..a };
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
    refuse_map_beside_a_stream(&outputs, a.sourcemap)?;
    let format = match a.format {
        FormatArg::Esm => Format::Esm,
        FormatArg::Cjs => Format::Cjs,
        FormatArg::Iife => Format::Iife,
    };
    let link = LinkOptions {
        format,
        defines: a.defines.clone(),
        entry_exports: crate::bundler::link::EntryExports::All,
    };
    let emit = EmitOptions {
        minify: a.minify,
        sourcemap: a.sourcemap,
        runs_alone: true,
    };
    if !a.watch {
        let mut session = Session::default();
        bundle_and_write(&a, &outputs, &options, &link, emit, &mut session).0?;
        errln!("Done in {} ms", started.elapsed().as_millis());
        return Ok(());
    }
    let mut session = Session::watching();
    let rebuild = |change: crate::ops::watch::Change| {
        let started = Instant::now();
        session.changed_since_last(change.contents());
        let (built, inputs, written) =
            bundle_and_write(&a, &outputs, &options, &link, emit, &mut session);
        match built {
            Ok(()) => errln!(
                "Built in {} ms; watching for changes",
                started.elapsed().as_millis()
            ),
            Err(e) => {
                crate::cli::output::report(e);
                errln!("Build failed; watching for changes");
            }
        }
        // Reported: the copies the next build takes are made while the watch waits.
        session.prepare_next();
        crate::ops::watch::Built { inputs, written }
    };
    crate::ops::watch::watch(rebuild, &a.entries)
}

/// A `.map` file is written beside the bundle: an output that is a stream or a device
/// (`/dev/stdout`) has no "beside" (its map would land in /dev), so only `inline` goes with it.
fn refuse_map_beside_a_stream(outputs: &[PathBuf], kind: Option<SourceMapKind>) -> Result<()> {
    if !matches!(
        kind,
        Some(SourceMapKind::Linked | SourceMapKind::External | SourceMapKind::Both)
    ) {
        return Ok(());
    }
    for out in outputs {
        if std::fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            bail!(crate::cli::output::Failure {
                code: 2,
                message: format!(
                    "{} is not a file, so its source map has nowhere to go beside it; use --sourcemap=inline, or name an output file",
                    out.display()
                )
            });
        }
    }
    Ok(())
}

/// One build, its files written: the outcome, the files to watch (those its module graph read,
/// or reached when it failed; None when it failed before reading any), and the files written.
fn bundle_and_write(
    a: &BundleArgs,
    outputs: &[PathBuf],
    options: &Options,
    link: &LinkOptions,
    emit: EmitOptions,
    session: &mut Session,
) -> (Result<()>, Option<Vec<PathBuf>>, Vec<PathBuf>) {
    let entries = &a.entries;
    let bundled = bundle_in(session, entries, outputs, options, link, emit, |_| ());
    let read = Some(bundled.watched()).filter(|r| !r.is_empty());
    for w in &bundled.warnings {
        errln!("{}", w.render(crate::cli::output::color_enabled()));
    }
    let mut written = vec![];
    let outcome = bundled.emitted.and_then(|emitted| {
        let files = output_files(outputs, &emitted);
        write_all_atomic(&files)?;
        for (path, bytes) in &files {
            errln!(
                "  {}  {:.1} kB",
                path.display(),
                bytes.len() as f64 / 1000.0
            );
            written.push(path.clone());
        }
        Ok(())
    });
    (outcome, read, written)
}

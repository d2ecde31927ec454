//! `edgespark build`: the project's server (`server/src/index.ts`) → `server/dist/bundle.js`, one
//! ES module for Cloudflare Workers, with the platform's modules left as imports.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::bundler::emit::{EmitOptions, SourceMapKind};
use crate::bundler::graph::Session;
use crate::project::Project;

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Compress and mangle the bundle
    #[arg(long)]
    pub minify: bool,
    /// Write server/dist/bundle.js.map (and name it in the bundle)
    #[arg(long)]
    pub sourcemap: bool,
    /// Build again whenever a file the bundle reads changes (until interrupted)
    #[arg(long)]
    pub watch: bool,
    /// Neither take the bundle from the build cache (.edgespark/cache/build) nor keep it there
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(a: BuildArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let emit = EmitOptions {
        minify: a.minify,
        sourcemap: a.sourcemap.then_some(SourceMapKind::Linked),
        runs_alone: true,
    };
    if !a.watch {
        return build_once(&project, emit, &mut Session::default(), !a.no_cache).0;
    }
    let mut session = Session::watching();
    // Later builds have the session's parsed modules; a change made them, so the cache would miss.
    let mut use_cache = !a.no_cache;
    let rebuild = |change: crate::ops::watch::Change| {
        session.changed_since_last(change.contents());
        let (built, inputs, written) =
            build_once(&project, emit, &mut session, std::mem::take(&mut use_cache));
        match built {
            Ok(()) => errln!("watching for changes"),
            Err(e) => {
                crate::cli::output::report(e);
                errln!("Build failed; watching for changes");
            }
        }
        // Reported: the copies the next build takes are made while the watch waits.
        session.prepare_next();
        crate::ops::watch::Built { inputs, written }
    };
    crate::ops::watch::watch(rebuild, &[project.server_entry()?])
}

/// One build written and reported: the outcome, the files its module graph read (None when
/// it failed before reading them), and the files written.
fn build_once(
    project: &Project,
    emit: EmitOptions,
    session: &mut Session,
    use_cache: bool,
) -> (Result<()>, Option<Vec<PathBuf>>, Vec<PathBuf>) {
    let started = Instant::now();
    let built = crate::ops::build::build(project, emit, session, use_cache);
    let outcome = built.outcome.map(|w| {
        for warning in &w.warnings {
            errln!("{warning}");
        }
        errln!(
            "  {}  {}  (gzip {})",
            project.display(&w.bundle),
            kb(w.bytes),
            kb(w.gzipped)
        );
        let cached = if w.cached {
            " (nothing changed: from the build cache)"
        } else if w.spliced {
            " (one module changed: its code put in place in the last build)"
        } else {
            ""
        };
        errln!("Built in {} ms{cached}", started.elapsed().as_millis());
    });
    (outcome, built.inputs, built.written)
}

fn kb(n: usize) -> String {
    format!("{:.1} kB", n as f64 / 1000.0)
}

//! `edgespark build`: the project's server (`server/src/index.ts`) → `server/dist/bundle.js`, one
//! ES module for Cloudflare Workers, with the platform's modules left as imports.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::bundler::emit::{EmitOptions, SourceMapKind};
use crate::bundler::graph::Session;
use crate::bundler::output_files;
use crate::ops::build::{bundle_server_in, gzip_size};
use crate::project::Project;
use crate::project::fsio::write_all_atomic;

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
}

pub fn run(a: BuildArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let emit = EmitOptions {
        minify: a.minify,
        sourcemap: a.sourcemap.then_some(SourceMapKind::Linked),
        runs_alone: true,
    };
    if !a.watch {
        return build_once(&project, emit, &mut Session::default()).0;
    }
    let mut session = Session::watching();
    let rebuild = || {
        let (built, inputs, written) = build_once(&project, emit, &mut session);
        match built {
            Ok(()) => errln!("watching for changes"),
            Err(e) => {
                crate::cli::output::report(e);
                errln!("Build failed; watching for changes");
            }
        }
        crate::ops::watch::Built { inputs, written }
    };
    crate::ops::watch::watch(rebuild, &[project.server_entry()?])
}

/// One build written: the outcome, the files its module graph read (None when it failed
/// before reading them), and the files written.
fn build_once(
    project: &Project,
    emit: EmitOptions,
    session: &mut Session,
) -> (Result<()>, Option<Vec<PathBuf>>, Vec<PathBuf>) {
    let started = Instant::now();
    let read = |g: &crate::bundler::graph::ModuleGraph| -> Vec<PathBuf> {
        g.files.iter().map(|f| f.path.clone()).collect()
    };
    let mut inputs = None;
    let mut written = vec![];
    let outcome = (|| {
        // dist/ is written under the project's lock, as deploy writes it.
        let _lock = crate::platform::LocalPlatform::open(project)?;
        let (out, bundled) = bundle_server_in(project, session, emit, read)?;
        inputs = bundled.inspected;
        let emitted = bundled.emitted?;
        let outputs = [out.clone()];
        let text = &emitted[0].code;
        let timer = crate::timing::StageTimer::from_env();
        let files = output_files(&outputs, &emitted);
        // The gzip size is only reported; measure it while the file is written and flushed.
        let (done, gzipped) = std::thread::scope(|s| {
            let gzipped = s.spawn(|| gzip_size(text.as_bytes()));
            (
                write_all_atomic(&files),
                gzipped.join().expect("gzip does not panic"),
            )
        });
        done?;
        written = files.iter().map(|(p, _)| p.clone()).collect();
        let gzipped = gzipped?;
        timer.done("write + gzip");
        errln!(
            "  {}  {}  (gzip {})",
            project.display(&out),
            kb(text.len()),
            kb(gzipped)
        );
        errln!("Built in {} ms", started.elapsed().as_millis());
        Ok(())
    })();
    (outcome, inputs, written)
}

fn kb(n: usize) -> String {
    format!("{:.1} kB", n as f64 / 1000.0)
}

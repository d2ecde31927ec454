//! `edgespark build`: the project's server (`server/src/index.ts`) → `server/dist/bundle.js`, one
//! ES module for Cloudflare Workers, with the platform's modules left as imports.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::bundler::emit::{EmitOptions, SourceMapKind};
use crate::bundler::output_files;
use crate::ops::build::{bundle_server, gzip_size};
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
}

pub fn run(a: BuildArgs, dir: Option<&Path>) -> Result<()> {
    let started = Instant::now();
    let project = Project::find(dir)?;
    // dist/ is written under the project's lock, as deploy writes it.
    let _lock = crate::platform::LocalPlatform::open(&project)?;
    let emit = EmitOptions {
        minify: a.minify,
        sourcemap: a.sourcemap.then_some(SourceMapKind::Linked),
        runs_alone: true,
    };
    let (out, emitted) = bundle_server(&project, emit)?;
    let outputs = [out.clone()];
    let text = &emitted[0].code;
    let timer = crate::timing::StageTimer::from_env();
    // The gzip size is only reported; measure it while the file is written and flushed.
    let (written, gzipped) = std::thread::scope(|s| {
        let gzipped = s.spawn(|| gzip_size(text.as_bytes()));
        (
            write_all_atomic(&output_files(&outputs, &emitted)),
            gzipped.join().expect("gzip does not panic"),
        )
    });
    written?;
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
}

fn kb(n: usize) -> String {
    format!("{:.1} kB", n as f64 / 1000.0)
}

//! `edgespark build`: the project's server (`server/src/index.ts`) → `server/dist/bundle.js`, one
//! ES module for Cloudflare Workers, with the platform's modules left as imports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::bundle::{bundle, output_files};
use crate::emit::{EmitOptions, Emitted, SourceMapKind};
use crate::link::{Format, LinkOptions};
use crate::project::Project;
use crate::project::fsio::write_all_atomic;
use crate::resolve::Options;

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Compress and mangle the bundle
    #[arg(long)]
    pub minify: bool,
    /// Write server/dist/bundle.js.map (and name it in the bundle)
    #[arg(long)]
    pub sourcemap: bool,
}

/// How a Worker's code is resolved: workerd's conditions, the browser's main fields, the
/// project's tsconfig `paths`, and the modules the platform provides at run time kept external.
pub fn worker_options(server_dir: &Path) -> Options {
    let tsconfig = server_dir.join("tsconfig.json");
    Options {
        conditions: ["workerd", "worker", "browser", "import", "default"].map(String::from).to_vec(),
        main_fields: ["browser", "module", "main"].map(String::from).to_vec(),
        tsconfig: tsconfig.is_file().then_some(tsconfig),
        externals: ["edgespark", "edgespark/*", "cloudflare:*", "node:*"].map(String::from).to_vec(),
        packages_external: false,
    }
}

/// The project's server bundled (not yet written): `server/dist/bundle.js` and what goes there
/// (the bundle, and its source map when asked for).
pub fn bundle_server(project: &Project, emit: EmitOptions) -> Result<(PathBuf, Vec<Emitted>)> {
    let server = project.server_dir();
    let entry = project.server_entry()?;
    let out = server.join("dist/bundle.js");
    let emitted = bundle(&[entry], std::slice::from_ref(&out), &worker_options(&server), &LinkOptions { format: Format::Esm, defines: vec![] }, emit)?;
    Ok((out, emitted))
}

pub fn run(a: BuildArgs, dir: Option<&Path>) -> Result<()> {
    let started = Instant::now();
    let project = Project::find(dir)?;
    let emit = EmitOptions { minify: a.minify, sourcemap: a.sourcemap.then_some(SourceMapKind::Linked), runs_alone: true };
    let (out, emitted) = bundle_server(&project, emit)?;
    let outputs = [out.clone()];
    let text = &emitted[0].code;
    let timer = crate::timing::StageTimer::from_env();
    // The gzip size is only reported; measure it while the file is written and flushed.
    let (written, gzipped) = std::thread::scope(|s| {
        let gzipped = s.spawn(|| gzip_size(text.as_bytes()));
        (write_all_atomic(&output_files(&outputs, &emitted)), gzipped.join().expect("gzip does not panic"))
    });
    written?;
    let gzipped = gzipped?;
    timer.done("write + gzip");
    eprintln!("  {}  {}  (gzip {})", project.display(&out), kb(text.len()), kb(gzipped));
    eprintln!("Built in {} ms", started.elapsed().as_millis());
    Ok(())
}

fn kb(n: usize) -> String {
    format!("{:.1} kB", n as f64 / 1000.0)
}

/// The size the bytes take gzipped (default level), as served over HTTP.
pub fn gzip_size(bytes: &[u8]) -> Result<usize> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).context("gzip")?;
    Ok(gz.finish().context("gzip")?.len())
}

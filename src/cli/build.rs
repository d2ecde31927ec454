//! `edgespark build`: the project's server (`server/src/index.ts`) → `server/dist/bundle.js`, one
//! ES module for Cloudflare Workers, with the platform's modules left as imports.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::cli::bundle::{bundle, output_files};
use crate::emit::{EmitOptions, SourceMapKind};
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

pub fn run(a: BuildArgs, dir: Option<&Path>) -> Result<()> {
    let started = Instant::now();
    let project = Project::find(dir)?;
    let server = project.server_dir();
    let entry = server.join("src/index.ts");
    if !entry.is_file() {
        bail!("{} does not exist: a project's server starts there", project.display(&entry));
    }
    let out = server.join("dist/bundle.js");
    let emit = EmitOptions { minify: a.minify, sourcemap: a.sourcemap.then_some(SourceMapKind::Linked) };
    let outputs = [out.clone()];
    let emitted = bundle(&[entry], &outputs, &worker_options(&server), &LinkOptions { format: Format::Esm, defines: vec![] }, emit)?;
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

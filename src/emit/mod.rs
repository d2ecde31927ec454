//! The emit stage: the linked module → JavaScript text. Collisions between the modules' names
//! are settled here by SWC's hygiene pass (each module's top level has its own syntax context);
//! with `minify`, swc_ecma_minifier then compresses and mangles the whole bundle; parentheses
//! are fixed and the code printed, with a source map when asked for.

mod mangle;
mod minify;
mod private_names;
mod sourcemap;

use std::path::Path;

use anyhow::{Context, Result};
use rustc_hash::FxHashSet;
use swc_core::common::{BytePos, GLOBALS, Globals, Mark, SourceMap, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module, Program};
use swc_core::ecma::codegen::{Config, Emitter, text_writer::{JsWriter, WriteJs, omit_trailing_semi}};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene};

pub use sourcemap::SourceMapKind;

#[derive(Debug, Clone, Copy, Default)]
pub struct EmitOptions {
    pub minify: bool,
    pub sourcemap: Option<SourceMapKind>,
}

/// A printed bundle: its code and, when it goes to a file of its own, its source map.
pub struct Emitted {
    pub code: String,
    pub map: Option<String>,
}

fn emit_with<W: WriteJs>(cm: &Lrc<SourceMap>, cfg: Config, wr: W, program: &Program) -> Result<()> {
    let mut emitter = Emitter { cfg, cm: cm.clone(), comments: None, wr };
    emitter.emit_program(program).context("printing the bundle")
}

/// Print the bundle that will be written to `outfile` (the source map names the sources
/// relative to it). `pure_annotations`: where `/* @__PURE__ */` comments were, so the
/// minifier may drop unused annotated calls too.
pub fn print(cm: &Lrc<SourceMap>, globals: &Globals, unresolved: Mark, module: Module, pure_annotations: &FxHashSet<BytePos>, o: EmitOptions, outfile: &Path) -> Result<Emitted> {
    let timer = crate::timing::StageTimer::from_env();
    let program = GLOBALS.set(globals, || {
        // The minifier settles collisions itself, and reports its own stages.
        let program = if o.minify {
            minify::minify(cm, globals, Program::Module(module), unresolved, pure_annotations)
        } else {
            let program = Program::Module(module).apply(hygiene());
            timer.done("  hygiene");
            program
        };
        program.apply(fixer(None))
    });
    let timer = crate::timing::StageTimer::from_env();
    let mut buf = vec![];
    let mut mappings = vec![];
    {
        let wr = JsWriter::new(cm.clone(), "\n", &mut buf, o.sourcemap.is_some().then_some(&mut mappings));
        let cfg = Config::default().with_target(EsVersion::EsNext).with_minify(o.minify);
        if o.minify {
            // No `;` before a `}`.
            emit_with(cm, cfg, omit_trailing_semi(wr), &program)?;
        } else {
            emit_with(cm, cfg, wr, &program)?;
        }
    }
    timer.done("  print");
    crate::timing::drop_off_the_critical_path(program);
    let code = String::from_utf8(buf).context("the printed bundle is not UTF-8")?;
    match o.sourcemap {
        None => Ok(Emitted { code, map: None }),
        Some(kind) => sourcemap::attach(cm, &mappings, code, kind, outfile),
    }
}



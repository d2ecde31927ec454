//! The emit stage: the linked module → JavaScript text. Collisions between the modules' names
//! are settled here by SWC's hygiene pass (each module's top level has its own syntax context);
//! with `minify`, swc_ecma_minifier then compresses and mangles the whole bundle; parentheses
//! are fixed and the code printed, with a source map when asked for.

mod sourcemap;

use std::path::Path;

use anyhow::{Context, Result};
use rustc_hash::FxHashSet;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, GLOBALS, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Ident, Module, Program};
use swc_core::ecma::codegen::{Config, Emitter, text_writer::JsWriter};
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene, resolver};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

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

/// Print the bundle that will be written to `outfile` (the source map names the sources
/// relative to it). `pure_annotations`: where `/* @__PURE__ */` comments were, so the
/// minifier may drop unused annotated calls too.
pub fn print(cm: &Lrc<SourceMap>, globals: &Globals, module: Module, pure_annotations: &FxHashSet<BytePos>, o: EmitOptions, outfile: &Path) -> Result<Emitted> {
    let program = GLOBALS.set(globals, || {
        let program = Program::Module(module).apply(hygiene());
        let program = if o.minify { minify(cm, program, pure_annotations) } else { program };
        program.apply(fixer(None))
    });
    let mut buf = vec![];
    let mut mappings = vec![];
    {
        let wr = JsWriter::new(cm.clone(), "\n", &mut buf, o.sourcemap.is_some().then_some(&mut mappings));
        let cfg = Config::default().with_target(EsVersion::EsNext).with_minify(o.minify);
        let mut emitter = Emitter { cfg, cm: cm.clone(), comments: None, wr };
        emitter.emit_program(&program).context("printing the bundle")?;
    }
    let code = String::from_utf8(buf).context("the printed bundle is not UTF-8")?;
    match o.sourcemap {
        None => Ok(Emitted { code, map: None }),
        Some(kind) => sourcemap::attach(cm, &mappings, code, kind, outfile),
    }
}

/// Compress and mangle. After hygiene every binding has a distinct name, so the contexts can
/// be dropped and the program resolved afresh, as the minifier expects of one module.
fn minify(cm: &Lrc<SourceMap>, mut program: Program, pure_annotations: &FxHashSet<BytePos>) -> Program {
    program.visit_mut_with(&mut ClearContexts);
    let (unresolved_mark, top_level_mark) = (Mark::new(), Mark::new());
    let program = program.apply(resolver(unresolved_mark, top_level_mark, false));
    let comments = SingleThreadedComments::default();
    for &pos in pure_annotations {
        comments.add_pure_comment(pos);
    }
    let options = MinifyOptions {
        compress: Some(CompressOptions { module: true, top_level: Some(TopLevelOptions { functions: true }), ..Default::default() }),
        mangle: Some(MangleOptions { top_level: Some(true), ..Default::default() }),
        ..Default::default()
    };
    let extra = ExtraOptions { unresolved_mark, top_level_mark, mangle_name_cache: None };
    swc_core::ecma::minifier::optimize(program, cm.clone(), Some(&comments as &dyn Comments), None, &options, &extra)
}

struct ClearContexts;

impl VisitMut for ClearContexts {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        i.ctxt = SyntaxContext::empty();
    }
}

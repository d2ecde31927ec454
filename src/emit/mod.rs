//! The emit stage: the linked module → JavaScript text. Collisions between the modules' names
//! are settled here by SWC's hygiene pass (each module's top level has its own syntax context),
//! then parentheses are fixed and the code printed.

use anyhow::{Context, Result};
use swc_core::common::{GLOBALS, Globals, SourceMap, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module, Program};
use swc_core::ecma::codegen::{Config, Emitter, text_writer::JsWriter};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene};

pub fn print(cm: &Lrc<SourceMap>, globals: &Globals, module: Module) -> Result<String> {
    let program = GLOBALS.set(globals, || Program::Module(module).apply(hygiene()).apply(fixer(None)));
    let mut buf = vec![];
    {
        let wr = JsWriter::new(cm.clone(), "\n", &mut buf, None);
        let mut emitter = Emitter { cfg: Config::default().with_target(EsVersion::EsNext), cm: cm.clone(), comments: None, wr };
        emitter.emit_program(&program).context("printing the bundle")?;
    }
    String::from_utf8(buf).context("the printed bundle is not UTF-8")
}

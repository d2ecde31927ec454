//! `--minify`: our syntax rules (compress.rs, which renames private names in the same walk:
//! private_names.rs), then our own renaming (mangle.rs).

use swc_core::common::{DUMMY_SP, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::*;
use swc_core::ecma::minifier::option::{ExtraOptions, MangleOptions, MinifyOptions};

use super::contexts::{Contexts, one_top_level, resolved_afresh};
use super::mangle::Renames;

/// Compress and mangle the linked bundle (each module's names still in their own contexts,
/// `unresolved`: the globals'). The renamer expects the contexts the resolver gives one
/// module; `one_top_level` makes them out of the modules' own in one parallel pass. With
/// the new names returned, renaming is left to the printer (`mangle::apply_renames`).
pub fn minify(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    program: Program,
    unresolved: Mark,
) -> (Program, Option<Renames>) {
    let timer = crate::timing::StageTimer::from_env();
    let Program::Module(mut module) = program else {
        unreachable!("the bundle is a module")
    };
    let top_level_mark = Mark::new();
    let top = one_top_level(
        globals,
        &mut module.body,
        top_level_mark,
        &Default::default(),
        true,
    );
    let (unresolved_mark, assigned) = match top.contexts {
        Contexts::AsResolved => {
            timer.done("  top level");
            (unresolved, top.assigned)
        }
        // Names change once more: what is assigned is noted afresh.
        Contexts::Unmarked => {
            let unresolved_mark = Mark::new();
            module = resolved_afresh(globals, module, unresolved, unresolved_mark, top_level_mark);
            timer.done("  resolved afresh");
            (unresolved_mark, None)
        }
    };
    let extra = ExtraOptions {
        unresolved_mark,
        top_level_mark,
        mangle_name_cache: None,
    };
    super::compress::compress(
        &mut module.body,
        SyntaxContext::empty().apply_mark(unresolved_mark),
        assigned,
    );
    timer.done("  compress");
    let mut program = Program::Module(Module {
        span: DUMMY_SP,
        body: module.body,
        shebang: None,
    });
    let renames = super::mangle::mangle_by_frequency(&program, unresolved_mark, globals);
    if renames.is_none() {
        // Mangling reads no annotations.
        let mangle = MinifyOptions {
            compress: None,
            mangle: Some(MangleOptions {
                top_level: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        program =
            swc_core::ecma::minifier::optimize(program, cm.clone(), None, None, &mangle, &extra);
    }
    timer.done("  mangle");
    (program, renames)
}

//! What an ECMAScript module may not contain beyond what the parser refuses (a module is
//! strict code): a `with` statement, and a parameter list that binds a name twice. esbuild
//! refuses both, in these words; so do engines, when the module is loaded.

use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;
use swc_core::common::Span;
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;

/// The first such thing met, as the module's walk (checks.rs) meets them: its span and
/// esbuild's message.
#[derive(Default)]
pub(super) struct Rules {
    pub(super) found: Option<(Span, String)>,
}

impl Rules {
    fn params<'a>(&mut self, pats: impl Iterator<Item = &'a Pat>) {
        if self.found.is_some() {
            return;
        }
        let mut seen: FxHashSet<Atom> = FxHashSet::default();
        for pat in pats {
            for id in find_pat_ids::<_, Ident>(pat) {
                if !seen.insert(id.sym.clone()) {
                    let message = format!(
                        "\"{}\" cannot be bound multiple times in the same parameter list",
                        id.sym
                    );
                    self.found = Some((id.span, message));
                    return;
                }
            }
        }
    }

    pub(super) fn with_stmt(&mut self, w: &WithStmt) {
        if self.found.is_none() {
            let message = "With statements cannot be used in an ECMAScript module".to_string();
            self.found = Some((w.span, message));
        }
    }

    pub(super) fn function(&mut self, f: &Function) {
        self.params(f.params.iter().map(|p| &p.pat));
    }

    pub(super) fn constructor(&mut self, c: &Constructor) {
        self.params(c.params.iter().filter_map(|p| match p {
            ParamOrTsParamProp::Param(p) => Some(&p.pat),
            ParamOrTsParamProp::TsParamProp(_) => None,
        }));
    }
}

//! swc's TypeScript pass lowers `enum E` and `namespace N` to `(function (E) { ... })(E || (E =
//! {}))`, the parameter in the same context as the declaration it shadows: one identifier for
//! two bindings. Everything after parsing tells bindings apart by identifier (hygiene, the
//! minifier, our renaming), so such a parameter gets a context of its own, and so do the uses
//! of it inside its function. The resolver gives every parameter its function's context; a
//! parameter in another context is one of these.

use swc_core::common::{Mark, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

#[derive(Default)]
pub struct OwnParamContexts {
    /// The shadowing parameters of the functions around, innermost last, and their new contexts.
    shadowing: Vec<(Id, SyntaxContext)>,
}

impl VisitMut for OwnParamContexts {
    fn visit_mut_function(&mut self, f: &mut Function) {
        let pushed = self.shadowing.len();
        for id in find_pat_ids::<_, Id>(&f.params) {
            if id.1 != f.ctxt {
                let own = SyntaxContext::empty().apply_mark(Mark::new());
                self.shadowing.push((id, own));
            }
        }
        f.visit_mut_children_with(self);
        self.shadowing.truncate(pushed);
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some((_, own)) = self
            .shadowing
            .iter()
            .rev()
            .find(|(id, _)| id.0 == i.sym && id.1 == i.ctxt)
        {
            i.ctxt = *own;
        }
    }
}

#[cfg(test)]
mod tests {
    use swc_core::common::{FileName, GLOBALS, Globals, SourceMap, sync::Lrc};
    use swc_core::ecma::parser::{Syntax, TsSyntax};
    use swc_core::ecma::transforms::base::resolver;
    use swc_core::ecma::transforms::typescript::typescript;
    use swc_core::ecma::visit::{Visit, VisitWith};

    use super::*;

    /// The contexts `E` has in `enum E { A }` lowered: [declaration's, parameter's].
    fn contexts_of_e(fix: bool) -> Vec<SyntaxContext> {
        GLOBALS.set(&Globals::new(), || {
            let cm: Lrc<SourceMap> = Default::default();
            let src = "enum E { A }\nexport { E };".to_string();
            let ts = Syntax::Typescript(TsSyntax::default());
            let m = crate::bundler::js::parse_snippet(&cm, FileName::Anon, src, ts).unwrap();
            let (unresolved, top_level) = (Mark::new(), Mark::new());
            let mut program = Program::Module(m)
                .apply(resolver(unresolved, top_level, true))
                .apply(typescript(Default::default(), unresolved, top_level));
            if fix {
                program.visit_mut_with(&mut OwnParamContexts::default());
            }
            struct Collect(Vec<SyntaxContext>);
            impl Visit for Collect {
                fn visit_binding_ident(&mut self, b: &BindingIdent) {
                    if b.id.sym == "E" {
                        self.0.push(b.id.ctxt);
                    }
                }
            }
            let mut c = Collect(vec![]);
            program.visit_with(&mut c);
            c.0
        })
    }

    #[test]
    fn an_enum_parameter_gets_a_context_of_its_own() {
        let before = contexts_of_e(false);
        assert_eq!(before.len(), 2);
        assert_eq!(
            before[0], before[1],
            "swc shares the context (else this pass is not needed)"
        );
        let after = contexts_of_e(true);
        assert_ne!(after[0], after[1]);
    }
}

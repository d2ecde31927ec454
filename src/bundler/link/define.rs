//! `--define K=V`: every read of the global `K` (an identifier or a dotted chain such as
//! `process.env.NODE_ENV`) becomes the expression `V` (JSON, or an identifier chain), as
//! esbuild's flag of that name does.

use anyhow::{Result, anyhow};
use swc_core::common::{FileName, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_expr};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

pub struct Defines(Vec<(Vec<String>, Box<Expr>)>);

impl Defines {
    /// Parse `K=V` pairs; the values' identifiers are globals (`unresolved`).
    pub fn parse(
        cm: &Lrc<SourceMap>,
        pairs: &[String],
        unresolved: SyntaxContext,
    ) -> Result<Defines> {
        let mut out = vec![];
        for pair in pairs {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| anyhow!("--define {pair}: expected KEY=VALUE"))?;
            let path: Vec<String> = key.split('.').map(str::to_string).collect();
            if path.iter().any(|p| !super::is_identifier_name(p)) {
                return Err(anyhow!(
                    "--define {pair}: the key must be an identifier or a dotted chain of them"
                ));
            }
            let fm = cm.new_source_file(
                Lrc::new(FileName::Custom(format!("--define {key}"))),
                value.to_string(),
            );
            let mut expr = parse_file_as_expr(
                &fm,
                Syntax::Es(EsSyntax::default()),
                EsVersion::EsNext,
                None,
                &mut vec![],
            )
            .map_err(|e| {
                anyhow!(
                    "--define {pair}: the value is not JSON or an identifier: {}",
                    e.kind().msg()
                )
            })?;
            expr.visit_mut_with(&mut Globals(unresolved));
            out.push((path, expr));
        }
        Ok(Defines(out))
    }

    /// The replacement for `e`, if it reads a defined global.
    pub fn replacement(&self, e: &Expr, unresolved: SyntaxContext) -> Option<Box<Expr>> {
        self.0
            .iter()
            .find(|(path, _)| matches_path(e, path, unresolved))
            .map(|(_, v)| v.clone())
    }
}

fn matches_path(e: &Expr, path: &[String], unresolved: SyntaxContext) -> bool {
    match (e, path) {
        (Expr::Ident(i), [one]) => i.ctxt == unresolved && i.sym == *one.as_str(),
        (Expr::Member(m), [rest @ .., last]) if !rest.is_empty() => {
            let prop = match &m.prop {
                MemberProp::Ident(p) => Some(p.sym.as_str()),
                MemberProp::Computed(c) => match &*c.expr {
                    Expr::Lit(Lit::Str(s)) => s.value.as_str(),
                    _ => None,
                },
                MemberProp::PrivateName(_) => None,
            };
            prop == Some(last.as_str()) && matches_path(&m.obj, rest, unresolved)
        }
        _ => false,
    }
}

struct Globals(SyntaxContext);

impl VisitMut for Globals {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        i.ctxt = self.0;
    }
}

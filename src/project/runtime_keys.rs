//! The var and secret keys a project declares in `server/src/defs/runtime.ts`:
//! `export type VarKey = "A" | "B";` and `export type SecretKey = "C";` (`never` for none),
//! read statically.

use std::path::Path;

use anyhow::Result;
use swc_core::common::Spanned;
use swc_core::ecma::ast::*;

use crate::source::Sources;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct RuntimeKeys {
    pub vars: Vec<String>,
    pub secrets: Vec<String>,
}

/// Read `runtime.ts`; a key type that is not string literals (or `never`) is an error at its
/// location, a missing one declares no keys.
pub fn read(runtime_ts: &Path) -> Result<RuntimeKeys> {
    read_with(runtime_ts, &mut Sources::new(None))
}

/// `read`, through a loader other readers share (each file parsed once).
pub fn read_with(runtime_ts: &Path, sources: &mut Sources) -> Result<RuntimeKeys> {
    let module = sources.load(runtime_ts)?;
    let mut keys = RuntimeKeys::default();
    for item in &module.ast.body {
        let ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl {
            decl: Decl::TsTypeAlias(alias),
            ..
        })) = item
        else {
            continue;
        };
        let target = match &*alias.id.sym {
            "VarKey" => &mut keys.vars,
            "SecretKey" => &mut keys.secrets,
            _ => continue,
        };
        *target = literals(&alias.type_ann).ok_or_else(|| {
            module.diagnostic(
                alias.type_ann.span(),
                format!(
                    "{} must be a union of string literals (or never)",
                    alias.id.sym
                ),
                "not string literals",
            )
        })?;
        if let Some(span) = unterminated(&alias.type_ann) {
            return Err(module
                .diagnostic(
                    span,
                    "syntax error: Unterminated string constant",
                    "no closing quote",
                )
                .into());
        }
    }
    Ok(keys)
}

/// A string literal type the file ends inside of: swc's parser accepts `type K = "A` at the
/// end of a file (a truncated runtime.ts) as the key `A`.
fn unterminated(t: &TsType) -> Option<swc_core::common::Span> {
    match t {
        TsType::TsLitType(TsLitType {
            lit: TsLit::Str(s), ..
        }) => {
            let raw = s.raw.as_deref()?;
            let closed = raw.len() >= 2
                && raw.ends_with(&raw[..1])
                && !raw.ends_with(&format!("\\{}", &raw[..1]));
            (!closed).then_some(s.span)
        }
        TsType::TsParenthesizedType(p) => unterminated(&p.type_ann),
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsUnionType(u)) => {
            u.types.iter().find_map(|t| unterminated(t))
        }
        _ => None,
    }
}

fn literals(t: &TsType) -> Option<Vec<String>> {
    match t {
        TsType::TsKeywordType(k) if k.kind == TsKeywordTypeKind::TsNeverKeyword => Some(vec![]),
        TsType::TsLitType(TsLitType {
            lit: TsLit::Str(s), ..
        }) => Some(vec![s.value.to_string_lossy().into_owned()]),
        TsType::TsParenthesizedType(p) => literals(&p.type_ann),
        TsType::TsUnionOrIntersectionType(TsUnionOrIntersectionType::TsUnionType(u)) => {
            let mut out = vec![];
            for t in &u.types {
                out.extend(literals(t)?);
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_unions_are_read_and_anything_else_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("runtime.ts");
        std::fs::write(
            &f,
            "export type VarKey = \"A\" | \"B\";\nexport type SecretKey = never;\n",
        )
        .unwrap();
        assert_eq!(
            read(&f).unwrap(),
            RuntimeKeys {
                vars: vec!["A".into(), "B".into()],
                secrets: vec![]
            }
        );
        std::fs::write(&f, "export type VarKey = string;\n").unwrap();
        let err = format!("{:?}", read(&f).unwrap_err());
        assert!(
            err.contains("VarKey must be a union of string literals"),
            "{err}"
        );
    }
}

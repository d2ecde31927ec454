//! The parse stage of the bundler: one source file → an ES module AST with TypeScript removed
//! (types, enums, namespaces, parameter properties, type-only imports), its identifiers resolved
//! to per-module syntax contexts, and the module's record (what it imports and exports).

mod annex_b;
mod assignments;
mod checks;
mod class_fields;
mod data_url;
mod esm_rules;

mod own_params;
pub mod record;
pub mod transform;

use crate::resolve::Loader;

use std::path::{Path, PathBuf};

use anyhow::Result;
use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::{BytePos, FileName, Mark, SourceMap, Spanned, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module, ModuleItem, Program};
use swc_core::ecma::parser::{
    EsSyntax, Syntax, TsSyntax, parse_file_as_expr, parse_file_as_module, parse_file_as_program,
};
use swc_core::ecma::transforms::base::resolver;

use crate::diagnostic::Diagnostic;

/// A parsed module, ready for linking.
#[derive(Clone)]
pub struct ParsedModule {
    pub path: PathBuf,
    pub ast: Module,
    /// The mark of this module's top-level scope: its own declarations carry it.
    pub top_level_mark: Mark,
    /// The mark of the names the linker makes for this module (its wrapper, namespace object,
    /// init function): made with the module, so that a watch session's next link of a module
    /// it did not parse again gives the same syntax trees.
    pub link_mark: Mark,
    pub record: record::ModuleRecord,
    /// Where `/* @__PURE__ */` (or `#__PURE__`) annotations sit: the start of the call or `new`
    /// they mark.
    pub pure_annotations: Vec<BytePos>,
}

/// Marks shared by every module of one bundle (and every bundle of a session, so that a
/// watch session's next link gives the same syntax trees for what did not change):
/// identifiers no module declares (globals), the names the linker makes for imports and
/// externals, and the runtime helpers' names.
#[derive(Clone, Copy)]
pub struct Marks {
    pub unresolved: Mark,
    pub linker: Mark,
    pub helpers: Mark,
}

/// Parse `path`: TypeScript by extension, JSON as `export default <value>`, else JavaScript
/// (with JSX for .jsx). A syntax error is a diagnostic with a code frame.
pub fn parse(
    cm: &Lrc<SourceMap>,
    path: &Path,
    text: String,
    loader: Loader,
    marks: Marks,
    top_level_mark: Mark,
    transforms: &transform::Transforms,
) -> Result<ParsedModule> {
    crate::parsing::depth::check(path, &text)?;
    let fm = cm.new_source_file(Lrc::new(FileName::Real(path.to_path_buf())), text);
    // swc's passes panic on some invalid input its parser accepts (fuzzing found `([a, b] as
    // T) += 1` in TypeScript): such a file is an error, not a crash of the whole command.
    match crate::parsing::guard::quietly(|| {
        parse_file(cm, &fm, path, loader, marks, top_level_mark, transforms)
    }) {
        Ok(parsed) => parsed,
        Err(why) => Err(Diagnostic::new(
            path,
            &fm.src,
            (0, 0),
            format!("swc could not compile this file (it is likely invalid): {why}"),
            "in this file",
        )
        .into()),
    }
}

fn parse_file(
    cm: &Lrc<SourceMap>,
    fm: &Lrc<swc_core::common::SourceFile>,
    path: &Path,
    loader: Loader,
    marks: Marks,
    top_level_mark: Mark,
    transforms: &transform::Transforms,
) -> Result<ParsedModule> {
    let fm = fm.clone();
    let syntax = match loader {
        Loader::Ts => Syntax::Typescript(TsSyntax {
            decorators: true,
            ..Default::default()
        }),
        Loader::Tsx => Syntax::Typescript(TsSyntax {
            tsx: true,
            decorators: true,
            ..Default::default()
        }),
        _ => Syntax::Es(EsSyntax {
            jsx: loader == Loader::Jsx,
            allow_return_outside_function: true,
            ..Default::default()
        }),
    };
    let comments = SingleThreadedComments::default();
    let mut recovered = vec![];
    // A diagnostic at `span` of this file, with its code frame.
    let located = |span: swc_core::common::Span, message: String, label: String| {
        let lo = (span.lo - fm.start_pos).0 as usize;
        let hi = (span.hi - fm.start_pos).0 as usize;
        Diagnostic::new(path, &fm.src, (lo, hi.max(lo)), message, label)
    };
    let error = |e: swc_core::ecma::parser::error::Error| -> anyhow::Error {
        let msg = e.kind().msg().to_string();
        located(e.span(), format!("syntax error: {msg}"), msg).into()
    };
    let mut json_keys = None;
    let program = if loader == Loader::Json {
        let expr = parse_file_as_expr(
            &fm,
            Syntax::Es(EsSyntax::default()),
            EsVersion::EsNext,
            Some(&comments),
            &mut recovered,
        )
        .map_err(error)?;
        json_keys = Some(json_object_keys(&expr));
        Program::Module(json_module(*expr))
    } else {
        parse_file_as_program(
            &fm,
            syntax,
            EsVersion::EsNext,
            Some(&comments),
            &mut recovered,
        )
        .map_err(error)?
    };
    if let Some(e) = recovered.into_iter().next() {
        return Err(error(e));
    }
    // A script is linked as a module with no imports (and transforms that rename bindings,
    // like decorators', only rename module bodies).
    // Sloppy scripts' block functions are also `var`s (annex_b.rs): declared before the
    // resolver, assigned after it.
    // An ES module (by its syntax, or `.mjs`/`.mts` whatever it holds) is strict code.
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let esm = matches!(program, Program::Module(_)) || matches!(ext, "mjs" | "mts");
    let mut block_function_vars = false;
    let program = match program {
        Program::Script(mut s) => {
            block_function_vars = annex_b::declare_vars(&mut s);
            Program::Module(Module {
                span: s.span,
                body: s.body.into_iter().map(ModuleItem::Stmt).collect(),
                shebang: s.shebang,
            })
        }
        module => module,
    };
    let is_ts = matches!(syntax, Syntax::Typescript(_));
    let mut program = program.apply(resolver(marks.unresolved, top_level_mark, is_ts));
    let found = checks::check(program.as_module().expect("made a module above"), esm);
    if let Some((span, message)) = found.not_in_a_module {
        let d = located(span, message, "here".into());
        return Err(d.with_code("bundle/not-in-a-module").into());
    }
    if let Some((span, message)) = found.refused_assignment {
        let d = located(span, message, "assigned here".into());
        return Err(d.with_code("bundle/assign-to-binding").into());
    }
    if block_function_vars {
        annex_b::assign_vars(program.as_mut_module().expect("made a module above"));
    }
    let jsx = matches!(loader, Loader::Tsx | Loader::Jsx);
    if jsx {
        check_jsx_pragmas(&comments, path, &fm)?;
    }
    // Only TypeScript is parsed with decorators.
    let may_decorate = is_ts && found.decorators;
    let program = transforms.apply(
        program,
        cm,
        &comments,
        is_ts,
        jsx,
        may_decorate,
        (marks.unresolved, top_level_mark),
    );
    // After the transforms: JSX calls are annotated pure too.
    let pure_annotations = pure_annotations(comments);
    let Program::Module(ast) = program else {
        unreachable!("made a module above")
    };
    let mut record = record::ModuleRecord::of(&ast, marks.unresolved);
    record.json_keys = json_keys;
    // `.cjs` is CommonJS whatever it contains (`this.x = 1` alone is an export).
    record.is_commonjs |= matches!(ext, "cjs" | "cts") && !record.is_esm;
    Ok(ParsedModule {
        path: path.to_path_buf(),
        ast,
        top_level_mark,
        link_mark: Mark::new(),
        record,
        pure_annotations,
    })
}

/// A `/** @jsx X */` or `@jsxFrag X` pragma whose X swc cannot read as an expression is an
/// error at its comment (swc's JSX pass would panic on it). The comments are read as swc reads
/// them: block comments, lines starting `@jsx`, pairs of words.
fn check_jsx_pragmas(
    comments: &SingleThreadedComments,
    path: &Path,
    fm: &swc_core::common::SourceFile,
) -> Result<()> {
    use swc_core::common::comments::CommentKind;
    let (leading, trailing) = comments.borrow_all();
    for c in leading.values().chain(trailing.values()).flatten() {
        if c.kind != CommentKind::Block {
            continue;
        }
        for line in c.text.lines() {
            let line = line.trim().trim_start_matches('*').trim();
            if !line.starts_with("@jsx") {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.chunks(2) {
                if let [pragma @ ("@jsx" | "@jsxFrag"), value] = pair
                    && pragma_like(value)
                    && !transform::parses_as_expression(value)
                {
                    let (lo, hi) = (
                        (c.span.lo - fm.start_pos).0 as usize,
                        (c.span.hi - fm.start_pos).0 as usize,
                    );
                    return Err(Diagnostic::new(
                        path,
                        &fm.src,
                        (lo, hi),
                        format!("the {pragma} pragma {value:?} is not an expression"),
                        "in this comment",
                    )
                    .into());
                }
            }
        }
    }
    Ok(())
}

/// What swc reads as a pragma's value at all (its `is_valid_for_pragma`): a name's characters
/// and dots; anything else it skips.
fn pragma_like(value: &str) -> bool {
    value.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == '$')
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.'))
}

/// The positions `/* @__PURE__ */` comments annotate (the next token's start), sorted.
fn pure_annotations(comments: SingleThreadedComments) -> Vec<BytePos> {
    let (leading, _) = comments.take_all();
    let leading = leading.borrow();
    let mut out: Vec<BytePos> = leading
        .iter()
        .filter(|(_, cs)| {
            cs.iter()
                .any(|c| c.text.contains("@__PURE__") || c.text.contains("#__PURE__"))
        })
        .map(|(pos, _)| *pos)
        .collect();
    out.sort();
    out
}

/// The source the parser reads for `path` under `loader`: the file's text, or for the data
/// loaders, `module.exports = "<value>"` (CommonJS, as the JSON loader is: `import x from` and
/// `require()` both see the string).
/// Code we write ourselves (the runtime helpers, test snippets) as a module: `name` is the file
/// name it is shown under; an error is the parser's.
pub fn parse_snippet(
    cm: &Lrc<SourceMap>,
    name: FileName,
    src: String,
    syntax: Syntax,
) -> Result<Module, swc_core::ecma::parser::error::Error> {
    let fm = cm.new_source_file(Lrc::new(name), src);
    parse_file_as_module(&fm, syntax, EsVersion::EsNext, None, &mut vec![])
}

/// A module's text as `loader` makes it from the file, and blake3 of the bytes read (None
/// when nothing was read as the module's content: a data: URL, the `empty` and `file`
/// loaders).
pub fn source_text(path: &Path, loader: Loader) -> Result<(String, Option<blake3::Hash>)> {
    if crate::resolve::is_data_url(path) {
        let data = crate::resolve::data_url(&path.to_string_lossy()).map_err(anyhow::Error::msg)?;
        return Ok((data.map(|(_, text)| text).unwrap_or_default(), None));
    }
    let read = || {
        let bytes =
            std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let hash = blake3::hash(&bytes);
        anyhow::Ok((bytes, hash))
    };
    let utf8 = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "reading {}: stream did not contain valid UTF-8",
                path.display()
            )
        })
    };
    Ok(match loader {
        Loader::Text => {
            let (bytes, hash) = read()?;
            let text = utf8(bytes)?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let module = format!("module.exports = {};", serde_json::Value::from(text));
            (module, Some(hash))
        }
        Loader::Base64 | Loader::Binary => {
            use base64::Engine;
            let (bytes, hash) = read()?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            let module = if loader == Loader::Binary {
                // atob is a global of browsers, workerd and Node alike.
                format!(
                    "module.exports = Uint8Array.from(atob(\"{encoded}\"), (c) => c.charCodeAt(0));"
                )
            } else {
                format!("module.exports = \"{encoded}\";")
            };
            (module, Some(hash))
        }
        Loader::Empty => ("module.exports = {};".to_string(), None),
        Loader::File => {
            let name = crate::resolve::asset_name(path).map_err(anyhow::Error::msg)?;
            let module = format!(
                "module.exports = {};",
                serde_json::Value::from(format!("./{name}"))
            );
            (module, None)
        }
        Loader::Dataurl => {
            let (bytes, hash) = read()?;
            let url = data_url::of_file(path, &bytes);
            let module = format!("module.exports = {};", serde_json::Value::from(url));
            (module, Some(hash))
        }
        _ => {
            let (bytes, hash) = read()?;
            let text = utf8(bytes)?;
            // esbuild drops a UTF-8 byte order mark from every file it reads.
            let text = match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => text,
            };
            (text, Some(hash))
        }
    })
}

/// `module.exports = <json>` for a JSON file: CommonJS, as Node's require() of JSON is, so
/// both `import data from` and `require()` see the value.
/// The keys of a JSON object (none for any other JSON value): the names a JSON module exports
/// besides `default`.
fn json_object_keys(value: &swc_core::ecma::ast::Expr) -> Vec<String> {
    use swc_core::ecma::ast::{Expr, Prop, PropName, PropOrSpread};
    let Expr::Object(o) = value else {
        return vec![];
    };
    o.props
        .iter()
        .filter_map(|p| match p {
            PropOrSpread::Prop(p) => match &**p {
                Prop::KeyValue(kv) => match &kv.key {
                    PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
                    PropName::Ident(i) => Some(i.sym.to_string()),
                    _ => None,
                },
                _ => None,
            },
            PropOrSpread::Spread(_) => None,
        })
        .collect()
}

fn json_module(value: swc_core::ecma::ast::Expr) -> Module {
    let span = value.span();
    // Unmarked: the resolver then finds `module` free, which makes the file CommonJS.
    let body = vec![ModuleItem::Stmt(module_exports_assign(
        Box::new(value),
        span,
        swc_core::common::SyntaxContext::empty(),
    ))];
    Module {
        span,
        body,
        shebang: None,
    }
}

/// `module.exports = value;`, with `module` in the context `module_ctxt`.
pub fn module_exports_assign(
    value: Box<swc_core::ecma::ast::Expr>,
    span: swc_core::common::Span,
    module_ctxt: swc_core::common::SyntaxContext,
) -> swc_core::ecma::ast::Stmt {
    use swc_core::ecma::ast::*;
    let module = Box::new(Expr::Ident(Ident::new("module".into(), span, module_ctxt)));
    let target = MemberExpr {
        span,
        obj: module,
        prop: MemberProp::Ident(IdentName::new("exports".into(), span)),
    };
    let assign = AssignExpr {
        span,
        op: AssignOp::Assign,
        left: AssignTarget::Simple(SimpleAssignTarget::Member(target)),
        right: value,
    };
    Stmt::Expr(ExprStmt {
        span,
        expr: Box::new(Expr::Assign(assign)),
    })
}

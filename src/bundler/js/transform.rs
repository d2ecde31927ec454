//! The syntax a file's tsconfig asks to be lowered, as esbuild reads it: JSX (`jsx`,
//! `jsxFactory`, `jsxFragmentFactory`, `jsxImportSource`), decorators (`experimentalDecorators`,
//! `emitDecoratorMetadata`; otherwise standard decorators) and class fields
//! (`useDefineForClassFields`, by default true unless `target` is older than ES2022).

use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::{Mark, SourceMap, sync::Lrc};
use swc_core::ecma::ast::Program;
use swc_core::ecma::transforms::base::helpers::{HELPERS, Helpers, inject_helpers};
use swc_core::ecma::transforms::{proposal, react, typescript};
use swc_core::ecma::visit::VisitMutWith;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jsx {
    /// `React.createElement(...)`, or the factory named.
    Classic { factory: String, fragment: String },
    /// `jsx(...)` imported from `<import_source>/jsx-runtime` (`jsx-dev-runtime` in development).
    Automatic {
        import_source: String,
        development: bool,
    },
    /// JSX is printed as written.
    Preserve,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transforms {
    pub jsx: Jsx,
    /// TypeScript's experimental decorators (and whether to emit `design:*` metadata), or else
    /// the standard ones.
    pub legacy_decorators: Option<bool>,
    pub define_class_fields: bool,
}

impl Default for Transforms {
    fn default() -> Transforms {
        Transforms {
            jsx: Jsx::Classic {
                factory: "React.createElement".into(),
                fragment: "React.Fragment".into(),
            },
            legacy_decorators: None,
            define_class_fields: true,
        }
    }
}

/// The compiler options that matter here, as a tsconfig spells them.
#[derive(Debug, Default)]
pub struct CompilerOptions<'a> {
    pub jsx: Option<&'a str>,
    pub jsx_factory: Option<&'a str>,
    pub jsx_fragment_factory: Option<&'a str>,
    pub jsx_import_source: Option<&'a str>,
    pub experimental_decorators: Option<bool>,
    pub emit_decorator_metadata: Option<bool>,
    pub use_define_for_class_fields: Option<bool>,
    pub target: Option<&'a str>,
}

/// Whether swc can read `text` as an expression: its JSX pass panics on a factory it cannot
/// (`make..`, `if`), so factories are checked first.
pub fn parses_as_expression(text: &str) -> bool {
    use swc_core::common::{FileName, SourceMap};
    use swc_core::ecma::ast::EsVersion;
    use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_expr};
    let cm = SourceMap::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Anon), text.to_string());
    let mut recovered = vec![];
    parse_file_as_expr(
        &fm,
        Syntax::Es(EsSyntax::default()),
        EsVersion::EsNext,
        None,
        &mut recovered,
    )
    .is_ok()
        && recovered.is_empty()
}

impl Transforms {
    /// What a tsconfig asks for (esbuild's defaults without one).
    pub fn of_tsconfig(tsconfig: Option<&oxc_resolver::TsConfig>) -> Result<Transforms, String> {
        let Some(t) = tsconfig else {
            return Ok(Transforms::default());
        };
        let c = &t.compiler_options;
        let o = CompilerOptions {
            jsx: c.jsx.as_deref(),
            jsx_factory: c.jsx_factory.as_deref(),
            jsx_fragment_factory: c.jsx_fragment_factory.as_deref(),
            jsx_import_source: c.jsx_import_source.as_deref(),
            experimental_decorators: c.experimental_decorators,
            emit_decorator_metadata: c.emit_decorator_metadata,
            use_define_for_class_fields: c.use_define_for_class_fields,
            target: c.target.as_deref(),
        };
        Transforms::from_tsconfig(&o).map_err(|why| format!("{}: {why}", t.path.display()))
    }

    /// What a tsconfig's options mean; an error names the option that is wrong.
    pub fn from_tsconfig(o: &CompilerOptions) -> Result<Transforms, String> {
        let defaults = Transforms::default();
        let dotted = |name: &str, v: Option<&str>, default: &str| -> Result<String, String> {
            let v = v.unwrap_or(default);
            let ok = v.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                    && part
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            });
            if ok && parses_as_expression(v) {
                Ok(v.to_string())
            } else {
                Err(format!(
                    "{name} {v:?} is not an identifier or a dotted chain of them"
                ))
            }
        };
        let import_source = o.jsx_import_source.unwrap_or("react").to_string();
        let jsx = match o.jsx.map(str::to_ascii_lowercase).as_deref() {
            None | Some("react") => Jsx::Classic {
                factory: dotted("jsxFactory", o.jsx_factory, "React.createElement")?,
                fragment: dotted(
                    "jsxFragmentFactory",
                    o.jsx_fragment_factory,
                    "React.Fragment",
                )?,
            },
            Some("react-jsx") => Jsx::Automatic {
                import_source,
                development: false,
            },
            Some("react-jsxdev") => Jsx::Automatic {
                import_source,
                development: true,
            },
            Some("preserve") | Some("react-native") => Jsx::Preserve,
            Some(other) => {
                return Err(format!(
                    "jsx {other:?} is not one of react, react-jsx, react-jsxdev, preserve, react-native"
                ));
            }
        };
        let old_target = o.target.map(str::to_ascii_lowercase).is_some_and(|t| {
            matches!(
                t.as_str(),
                "es3"
                    | "es5"
                    | "es6"
                    | "es2015"
                    | "es2016"
                    | "es2017"
                    | "es2018"
                    | "es2019"
                    | "es2020"
                    | "es2021"
            )
        });
        Ok(Transforms {
            jsx,
            legacy_decorators: o
                .experimental_decorators
                .unwrap_or(false)
                .then(|| o.emit_decorator_metadata.unwrap_or(false)),
            define_class_fields: o
                .use_define_for_class_fields
                .unwrap_or(!old_target && defaults.define_class_fields),
        })
    }

    /// Decorators, TypeScript and JSX lowered, in that order (decorator metadata needs the
    /// types; imports used only by JSX must survive type stripping). Helpers the passes need
    /// are inlined into the module.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &self,
        program: Program,
        cm: &Lrc<SourceMap>,
        comments: &SingleThreadedComments,
        is_ts: bool,
        is_jsx: bool,
        may_decorate: bool,
        marks: (Mark, Mark),
    ) -> Program {
        let (unresolved, top_level) = marks;
        let mut program = program;
        // Only the decorator passes use helpers (inlined into the module).
        if may_decorate {
            program = HELPERS.set(&Helpers::new(false), || {
                let program = match self.legacy_decorators {
                    Some(metadata) => program.apply(proposal::decorators::decorators(
                        proposal::decorators::Config {
                            legacy: true,
                            emit_metadata: metadata,
                            use_define_for_class_fields: self.define_class_fields,
                        },
                    )),
                    None => program.apply(proposal::decorator_2023_11::decorator_2023_11()),
                };
                program.apply(inject_helpers(unresolved))
            });
        }
        if is_ts {
            let config = typescript::Config {
                native_class_properties: self.define_class_fields,
                ..Default::default()
            };
            program = match (&self.jsx, is_jsx) {
                (Jsx::Classic { factory, fragment }, true) => {
                    let tsx = typescript::TsxConfig {
                        pragma: Some(factory.clone().into()),
                        pragma_frag: Some(fragment.clone().into()),
                    };
                    program.apply(typescript::tsx(
                        cm.clone(),
                        config,
                        tsx,
                        comments,
                        unresolved,
                        top_level,
                    ))
                }
                _ => program.apply(typescript::typescript(config, unresolved, top_level)),
            };
            program.visit_mut_with(&mut super::own_params::OwnParamContexts::default());
            if !self.define_class_fields {
                program = program.apply(swc_core::ecma::visit::visit_mut_pass(
                    super::class_fields::AssignClassFields,
                ));
            }
        }
        if is_jsx && self.jsx != Jsx::Preserve {
            program = program.apply(react::jsx(
                cm.clone(),
                Some(comments),
                self.jsx_options(),
                top_level,
                unresolved,
            ));
        }
        program
    }

    fn jsx_options(&self) -> react::Options {
        match &self.jsx {
            Jsx::Classic { factory, fragment } => react::Options {
                runtime: Some(react::Runtime::Classic),
                pragma: Some(factory.clone().into()),
                pragma_frag: Some(fragment.clone().into()),
                ..Default::default()
            },
            Jsx::Automatic {
                import_source,
                development,
            } => react::Options {
                runtime: Some(react::Runtime::Automatic),
                import_source: Some(import_source.as_str().into()),
                development: Some(*development),
                ..Default::default()
            },
            Jsx::Preserve => react::Options {
                runtime: Some(react::Runtime::Preserve),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsconfig_options_choose_the_transforms() {
        let t = Transforms::from_tsconfig(&CompilerOptions {
            jsx: Some("react-jsx"),
            jsx_import_source: Some("hono/jsx"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            t.jsx,
            Jsx::Automatic {
                import_source: "hono/jsx".into(),
                development: false
            }
        );
        let t = Transforms::from_tsconfig(&CompilerOptions {
            jsx_factory: Some("h"),
            jsx_fragment_factory: Some("Fragment"),
            experimental_decorators: Some(true),
            target: Some("ES2020"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            t,
            Transforms {
                jsx: Jsx::Classic {
                    factory: "h".into(),
                    fragment: "Fragment".into()
                },
                legacy_decorators: Some(false),
                define_class_fields: false
            }
        );
        assert!(
            Transforms::from_tsconfig(&CompilerOptions {
                jsx_factory: Some("h()"),
                ..Default::default()
            })
            .unwrap_err()
            .contains("jsxFactory")
        );
        assert!(
            Transforms::from_tsconfig(&CompilerOptions {
                jsx: Some("vue"),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            Transforms::from_tsconfig(&CompilerOptions::default())
                .unwrap()
                .define_class_fields
        );
    }
}

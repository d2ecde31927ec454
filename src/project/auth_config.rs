//! `configs/auth-config.yaml`, validated against the platform's schema: every unknown key,
//! wrongly typed value and enabled provider without its config is reported with its line.

use std::path::Path;

use marked_yaml::{Node, types::MarkedMappingNode};

use crate::diagnostic::Diagnostic;

/// What a new project starts with: email and password sign-in.
pub const DEFAULT_CONFIG: &str =
    "# yaml-language-server: $schema=https://schemas.edgespark.dev/v1/auth-config.schema.json
disableSignUp: false
session:
  expiresIn: 604800
  updateAge: 86400
providerEmailPassword:
  enabled: true
  config:
    minPasswordLength: 8
    requireEmailVerification: false
";

/// The problems found in one file, each at its place with a code frame.
struct Problems<'a> {
    file: &'a Path,
    text: &'a str,
    list: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn push(&mut self, span: &marked_yaml::Span, message: String) {
        let (line, column) = span.start().map_or((1, 1), |m| (m.line(), m.column()));
        self.push_at(line, column, message);
    }

    fn push_at(&mut self, line: usize, column: usize, message: String) {
        let d = Diagnostic::at_line_col(self.file, self.text, line, column, message, "here");
        self.list.push(d.with_code("auth-config/invalid"));
    }
}

enum Shape {
    Bool,
    Int,
    Str,
    Map(&'static [(&'static str, Shape)]),
}

const OAUTH: &[(&str, Shape)] = &[
    ("clientIdVarRef", Shape::Str),
    ("clientSecretRef", Shape::Str),
];
const APPLE: &[(&str, Shape)] = &[
    ("clientIdVarRef", Shape::Str),
    ("clientSecretRef", Shape::Str),
    ("appBundleIdentifier", Shape::Str),
];
const MICROSOFT: &[(&str, Shape)] = &[
    ("clientIdVarRef", Shape::Str),
    ("clientSecretRef", Shape::Str),
    ("tenantId", Shape::Str),
];

/// The OAuth providers and their config keys (all required when the provider is enabled).
const PROVIDERS: &[(&str, &[(&str, Shape)])] = &[
    ("providerGoogle", OAUTH),
    ("providerGithub", OAUTH),
    ("providerGitlab", OAUTH),
    ("providerDiscord", OAUTH),
    ("providerApple", APPLE),
    ("providerMicrosoft", MICROSOFT),
];

const EMAIL_PASSWORD_CONFIG: &[(&str, Shape)] = &[
    ("minPasswordLength", Shape::Int),
    ("requireEmailVerification", Shape::Bool),
    ("requirePasswordResetEmailVerification", Shape::Bool),
    ("revokeSessionsOnPasswordReset", Shape::Bool),
];

const TOP: &[(&str, Shape)] = &[
    ("disableSignUp", Shape::Bool),
    ("enableAnonymous", Shape::Bool),
    (
        "session",
        Shape::Map(&[
            ("expiresIn", Shape::Int),
            ("updateAge", Shape::Int),
            ("disableSessionRefresh", Shape::Bool),
        ]),
    ),
    (
        "providerEmailPassword",
        Shape::Map(&[
            ("enabled", Shape::Bool),
            ("config", Shape::Map(EMAIL_PASSWORD_CONFIG)),
        ]),
    ),
];

/// Every problem in the file's text (none: it is valid). `vars`/`secrets`: the keys the project
/// declares; an enabled provider must refer to declared ones.
pub fn validate(file: &Path, text: &str, vars: &[String], secrets: &[String]) -> Vec<Diagnostic> {
    let mut problems = Problems {
        file,
        text,
        list: vec![],
    };
    let root = match parse(text) {
        Ok(root) => root,
        Err(e) => {
            load_problem(&e, &mut problems);
            return problems.list;
        }
    };
    let Some(map) = root.as_mapping() else {
        problems.push(root.span(), "the file must be a mapping of settings".into());
        return problems.list;
    };
    for (key, value) in map.iter() {
        let name = key.as_str();
        if let Some((_, shape)) = TOP.iter().find(|(k, _)| *k == name) {
            check(value, shape, name, &mut problems);
        } else if let Some((_, config)) = PROVIDERS.iter().find(|(k, _)| *k == name) {
            check_provider(value, name, config, vars, secrets, &mut problems);
        } else {
            problems.push(key.span(), format!("unknown key `{name}`"));
        }
    }
    problems.list.sort_by_key(|p| (p.line, p.col));
    problems.list
}

fn check_provider(
    value: &Node,
    name: &str,
    config: &'static [(&'static str, Shape)],
    vars: &[String],
    secrets: &[String],
    problems: &mut Problems,
) {
    let Some(map) = value.as_mapping() else {
        problems.push(
            value.span(),
            format!("`{name}` must be a mapping (enabled, config)"),
        );
        return;
    };
    let mut enabled = None;
    for (key, v) in map.iter() {
        match key.as_str() {
            "enabled" => {
                check(v, &Shape::Bool, &format!("{name}.enabled"), problems);
                enabled = v.as_scalar().and_then(|s| s.as_bool()).map(|b| (b, key));
            }
            "config" => check(v, &Shape::Map(config), &format!("{name}.config"), problems),
            other => problems.push(key.span(), format!("unknown key `{name}.{other}`")),
        }
    }
    let Some((true, enabled_key)) = enabled else {
        return;
    };
    let given = map.get_mapping("config");
    for (key, _) in config {
        let value = given
            .and_then(|c| c.get_scalar(key))
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty());
        match value {
            None => problems.push(enabled_key.span(), format!("`{name}` is enabled but `{name}.config.{key}` is not set")),
            Some(v) if *key == "clientIdVarRef" && !vars.iter().any(|k| k == v) => {
                problems.push(enabled_key.span(), format!("`{name}.config.clientIdVarRef` names `{v}`, which is not a VarKey in runtime.ts"))
            }
            Some(v) if *key == "clientSecretRef" && !secrets.iter().any(|k| k == v) => {
                problems.push(enabled_key.span(), format!("`{name}.config.clientSecretRef` names `{v}`, which is not a SecretKey in runtime.ts"))
            }
            Some(_) => {}
        }
    }
}

fn check(value: &Node, shape: &Shape, path: &str, problems: &mut Problems) {
    let scalar = value.as_scalar();
    match shape {
        Shape::Bool if scalar.and_then(|s| s.as_bool()).is_none() => {
            problems.push(value.span(), format!("`{path}` must be true or false"))
        }
        Shape::Int if scalar.and_then(|s| s.as_i64()).is_none() => {
            problems.push(value.span(), format!("`{path}` must be a whole number"))
        }
        Shape::Str if scalar.is_none() => {
            problems.push(value.span(), format!("`{path}` must be a string"))
        }
        Shape::Map(fields) => match value.as_mapping() {
            None if scalar.is_some_and(|s| s.as_str().is_empty()) => {}
            None => problems.push(value.span(), format!("`{path}` must be a mapping")),
            Some(map) => check_fields(map, fields, path, problems),
        },
        _ => {}
    }
}

fn check_fields(
    map: &MarkedMappingNode,
    fields: &[(&str, Shape)],
    path: &str,
    problems: &mut Problems,
) {
    for (key, v) in map.iter() {
        match fields.iter().find(|(k, _)| *k == key.as_str()) {
            Some((k, shape)) => check(v, shape, &format!("{path}.{k}"), problems),
            None => problems.push(key.span(), format!("unknown key `{path}.{}`", key.as_str())),
        }
    }
}

/// The YAML of an auth config; a key given twice is an error (YAML readers disagree on which
/// one wins, so the platform must not guess).
pub fn parse(text: &str) -> Result<Node, marked_yaml::LoadError> {
    marked_yaml::parse_yaml_with_options(
        0,
        text,
        marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true),
    )
}

/// The text of the auth config at `path`: None when there is no file; an error when it is
/// there but cannot be read as text (a directory, no permission, bytes that are not UTF-8).
pub fn read(path: &std::path::Path) -> anyhow::Result<Option<String>> {
    use anyhow::Context;
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(e) => {
                let (line, column) =
                    crate::diagnostic::line_col(e.as_bytes(), e.utf8_error().valid_up_to());
                let d = Diagnostic::error("not UTF-8 text").at(path, line, column);
                Err(d.with_code("auth-config/invalid").into())
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn load_problem(e: &marked_yaml::LoadError, problems: &mut Problems) {
    if let marked_yaml::LoadError::DuplicateKey(d) = e {
        let first = d
            .prev_key
            .span()
            .start()
            .map_or(String::new(), |m| format!(" (first at line {})", m.line()));
        let message = format!("key `{}` is given twice{first}", d.key.as_str());
        problems.push(d.key.span(), message);
        return;
    }
    let (line, column) = match e {
        marked_yaml::LoadError::TopLevelMustBeMapping(m)
        | marked_yaml::LoadError::TopLevelMustBeSequence(m)
        | marked_yaml::LoadError::UnexpectedAnchor(m)
        | marked_yaml::LoadError::MappingKeyMustBeScalar(m)
        | marked_yaml::LoadError::UnexpectedTag(m)
        | marked_yaml::LoadError::ScanError(m, _) => (m.line(), m.column()),
        _ => (1, 1),
    };
    problems.push_at(line, column, format!("not valid YAML: {e}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_key_is_a_problem_at_the_second() {
        let p = validate(
            Path::new("auth-config.yaml"),
            "disableSignUp: false\nsession:\n  expiresIn: 10\ndisableSignUp: true\n",
            &[],
            &[],
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].line, p[0].col), (4, 1));
        assert!(p[0].message.contains("given twice"), "{}", p[0].message);
    }

    #[test]
    fn unreadable_files_are_errors_not_missing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("none.yaml")).unwrap(), None);
        assert!(read(dir.path()).is_err(), "a directory");
        let f = dir.path().join("bin.yaml");
        std::fs::write(&f, b"a: 1\nb: \xff\xfe\n").unwrap();
        let e = read(&f).unwrap_err().to_string();
        assert!(e.ends_with("bin.yaml:2:4: not UTF-8 text"), "{e}");
    }

    #[test]
    fn each_problem_is_reported_at_its_line() {
        let text = "disableSignUp: maybe\nsession:\n  expiresIn: 10\n  colour: red\nproviderGoogle:\n  enabled: true\n  config: {}\nproviderGithub:\n  enabled: true\n  config:\n    clientIdVarRef: GITHUB_CLIENT_ID\n    clientSecretRef: GITHUB_CLIENT_SECRET\nbogus: 1\n";
        let vars = vec!["GITHUB_CLIENT_ID".to_string()];
        let problems = validate(Path::new("auth-config.yaml"), text, &vars, &[]);
        let lines: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert_eq!(lines[0].0, 1);
        assert!(lines[0].1.contains("disableSignUp"));
        assert!(lines[1].0 == 4 && lines[1].1.contains("session.colour"));
        assert!(lines[2].0 == 6 && lines[2].1.contains("clientIdVarRef"));
        assert!(lines[3].0 == 6 && lines[3].1.contains("clientSecretRef"));
        assert!(lines[4].0 == 9 && lines[4].1.contains("GITHUB_CLIENT_SECRET"));
        assert!(lines[5].0 == 13 && lines[5].1.contains("bogus"));
        assert!(
            validate(
                Path::new("auth-config.yaml"),
                "providerEmailPassword:\n  enabled: true\n  config:\n    minPasswordLength: 8\n",
                &[],
                &[]
            )
            .is_empty()
        );
        assert_eq!(validate(Path::new("a.yaml"), "a: [\n", &[], &[]).len(), 1);
    }
}

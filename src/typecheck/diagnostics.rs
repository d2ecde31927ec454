//! The compiler's findings (`tsc --pretty false`) as our diagnostics: each one at the user's
//! file, line and column with a code frame and its `TS` code, and an error the compiler finds
//! in a derived config put back on the line of the user's tsconfig that it came from.

use std::collections::HashMap;
use std::path::Path;

use super::tsconfig::{Derived, Place};
use crate::diagnostic::Diagnostic;

/// One diagnostic per finding; a finding's indented lines become its notes. `cwd` is where the
/// compiler ran; `shown` renders a path.
pub fn read(
    output: &str,
    cwd: &Path,
    derived: &Derived,
    shown: impl Fn(&Path) -> String,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = vec![];
    // A file with many findings is read once.
    let mut sources: HashMap<std::path::PathBuf, Option<String>> = HashMap::new();
    for line in output.lines() {
        if line.starts_with(' ') && !out.is_empty() {
            let last = out.pop().expect("not empty");
            out.push(last.with_note(line.trim().to_string()));
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        out.push(match parse(line) {
            Some((file, line_no, col, finding)) => {
                let path = cwd.join(file);
                let finding = Finding::of(finding);
                if derived.text.is_some() && same_file(&path, &derived.config) {
                    in_config(derived, line_no, &finding, &shown)
                } else {
                    let source = sources
                        .entry(path.clone())
                        .or_insert_with(|| std::fs::read_to_string(&path).ok());
                    in_source(&path, source.as_deref(), line_no, col, &finding, &shown)
                }
            }
            None => {
                let finding = Finding::of(line);
                finding.apply(Diagnostic::error(finding.message.clone()))
            }
        });
    }
    out
}

/// `error TS2322: message` split up.
struct Finding {
    warning: bool,
    code: Option<String>,
    message: String,
}

impl Finding {
    fn of(text: &str) -> Finding {
        let (severity, rest) = text.split_once(' ').unwrap_or(("error", text));
        let warning = severity == "warning";
        match rest.split_once(": ") {
            Some((code, message)) if code.starts_with("TS") => Finding {
                warning,
                code: Some(code.to_string()),
                message: message.to_string(),
            },
            _ => Finding {
                warning,
                code: None,
                message: text.to_string(),
            },
        }
    }

    fn apply(&self, mut d: Diagnostic) -> Diagnostic {
        if let Some(c) = &self.code {
            d = d.with_code(c);
        }
        if self.warning { d.as_warning() } else { d }
    }
}

/// `file(line,col): error TS1234: message`.
fn parse(line: &str) -> Option<(&str, usize, usize, &str)> {
    let (head, message) = line.split_once("): ")?;
    let (file, position) = head.rsplit_once('(')?;
    let (l, c) = position.split_once(',')?;
    Some((file, l.parse().ok()?, c.parse().ok()?, message))
}

fn same_file(a: &Path, b: &Path) -> bool {
    crate::project::paths::absolute(a).ok() == crate::project::paths::absolute(b).ok()
}

fn in_source(
    path: &Path,
    source: Option<&str>,
    line: usize,
    col: usize,
    finding: &Finding,
    shown: &impl Fn(&Path) -> String,
) -> Diagnostic {
    let Some(source) = source else {
        return finding.apply(Diagnostic::error(finding.message.clone()).at(
            Path::new(&shown(path)),
            line,
            col,
        ));
    };
    let label = finding.code.clone().unwrap_or_default();
    finding.apply(Diagnostic::at_line_col(
        Path::new(&shown(path)),
        source,
        line,
        col,
        finding.message.clone(),
        label,
    ))
}

/// An error on line `line` of the derived config: the option written there, at the place the
/// user wrote it.
fn in_config(
    derived: &Derived,
    line: usize,
    finding: &Finding,
    shown: &impl Fn(&Path) -> String,
) -> Diagnostic {
    let text = derived.text.as_deref().unwrap_or("");
    let key = text
        .lines()
        .take(line)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find_map(|l| {
            l.strip_prefix("    \"")
                .and_then(|k| k.split_once('"'))
                .map(|(k, _)| k.to_string())
        });
    let place: Option<&Place> = key.and_then(|k| {
        derived
            .origins
            .iter()
            .find(|(o, _)| *o == k)
            .map(|(_, p)| p)
    });
    let message = format!(
        "{} (in the config derived for TypeScript 7, {})",
        finding.message,
        shown(&derived.config)
    );
    let d = match place {
        Some(p) => Diagnostic::error(message).at(Path::new(&shown(&p.file)), p.line, p.col),
        None => Diagnostic::error(message).at(Path::new(&shown(&derived.config)), line, 1),
    };
    finding.apply(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiler_lines_are_read() {
        assert_eq!(
            parse("src/a (1).ts(3,7): error TS2322: Type 'x'."),
            Some(("src/a (1).ts", 3, 7, "error TS2322: Type 'x'."))
        );
        assert_eq!(parse("error TS6059: File is not under rootDir"), None);
        let f = Finding::of("error TS2322: Type 'x'.");
        assert_eq!(
            (f.code.as_deref(), f.message.as_str()),
            (Some("TS2322"), "Type 'x'.")
        );
    }
}

//! The compiler's findings (`tsc --pretty false`) as our diagnostics: each one at the user's
//! file, line and column with a code frame, and an error the compiler finds in a derived
//! config put back on the line of the user's tsconfig that it came from.

use std::path::Path;

use super::tsconfig::{Derived, Place};
use crate::diagnostic::Diagnostic;

/// One finding per entry, rendered. `cwd` is where the compiler ran; `shown` renders a path.
pub fn render(
    output: &str,
    cwd: &Path,
    derived: &Derived,
    shown: impl Fn(&Path) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for line in output.lines() {
        if line.starts_with(' ') && !out.is_empty() {
            let last = out.last_mut().expect("not empty");
            last.push('\n');
            last.push_str(line);
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        out.push(match parse(line) {
            Some((file, line_no, col, message)) => {
                let path = cwd.join(file);
                if derived.text.is_some() && same_file(&path, &derived.config) {
                    in_config(derived, line_no, message, &shown)
                } else {
                    in_source(&path, line_no, col, message, &shown)
                }
            }
            None => line.to_string(),
        });
    }
    out
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
    line: usize,
    col: usize,
    message: &str,
    shown: &impl Fn(&Path) -> String,
) -> String {
    let Ok(source) = std::fs::read_to_string(path) else {
        return format!("{}:{line}:{col}: {message}", shown(path));
    };
    let start: usize = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let text = source[start..].split('\n').next().unwrap_or("");
    let offset = start
        + text
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i);
    let (severity, message) = message.split_once(' ').unwrap_or(("error", message));
    let rendered = Diagnostic::new(
        Path::new(&shown(path)),
        &source,
        (offset, offset + 1),
        message,
        "",
    )
    .render(false);
    let rendered = rendered.trim_end().trim_start_matches("error: ");
    if severity == "error" {
        rendered.to_string()
    } else {
        format!("({severity}) {rendered}")
    }
}

/// An error on line `line` of the derived config: the option written there, at the place the
/// user wrote it.
fn in_config(
    derived: &Derived,
    line: usize,
    message: &str,
    shown: &impl Fn(&Path) -> String,
) -> String {
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
    match place {
        Some(p) => format!(
            "{}:{}:{}: {message} (in the config derived for TypeScript 7, {})",
            shown(&p.file),
            p.line,
            p.col,
            shown(&derived.config)
        ),
        None => format!("{}:{line}: {message}", shown(&derived.config)),
    }
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
    }
}

//! A problem at a place in a source file: `file:line:col`, the message, and a code frame.

use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};

/// The 1-based line and column (in characters) of byte `offset` of `text`, which need only be
/// UTF-8 before it: also where a file stops being readable text.
pub fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (
        line,
        String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1,
    )
}

/// How bad a diagnostic is: an error fails the command, a warning is reported and passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The one type every stage reports through: severity, a code (`TS2322`,
/// `deploy/missing-export`, ...), where (file:line:col, when there is a place), the message,
/// and the code frame when the source is known. Rendered by miette for people; serialized for
/// `--json` as `{severity, code, file, line, column, message, notes, text}`.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Option<String>,
    /// Empty when the problem has no place in a file.
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    pub message: String,
    pub label: String,
    /// What led here, innermost first ("needed for `x`, used at ...").
    pub notes: Vec<String>,
    source: String,
    span: (usize, usize),
}

impl Diagnostic {
    /// A diagnostic at byte range `span` of `source`.
    pub fn new(
        file: &Path,
        source: &str,
        span: (usize, usize),
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let start = span.0.min(source.len());
        let (line, col) = line_col(source.as_bytes(), start);
        Diagnostic {
            severity: Severity::Error,
            code: None,
            file: file.to_path_buf(),
            line,
            col,
            message: message.into(),
            label: label.into(),
            notes: vec![],
            source: source.to_string(),
            span: (
                start,
                span.1
                    .saturating_sub(start)
                    .max(1)
                    .min(source.len().saturating_sub(start).max(1)),
            ),
        }
    }

    /// A diagnostic at 1-based `line` and `col` (in characters) of `source`, as tools that
    /// report lines and columns give them.
    pub fn at_line_col(
        file: &Path,
        source: &str,
        line: usize,
        col: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let start: usize = source
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let text = source[start..].split('\n').next().unwrap_or("");
        let offset = start
            + text
                .char_indices()
                .nth(col.saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
        Diagnostic::new(file, source, (offset, offset + 1), message, label)
    }

    /// A problem with no place in a file.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: None,
            file: PathBuf::new(),
            line: 0,
            col: 0,
            message: message.into(),
            label: String::new(),
            notes: vec![],
            source: String::new(),
            span: (0, 0),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// At `file:line:col` (1-based), without a code frame.
    pub fn at(mut self, file: &Path, line: usize, col: usize) -> Self {
        self.file = file.to_path_buf();
        self.line = line;
        self.col = col;
        self
    }

    /// The same diagnostic shown under another file name (the project-relative one).
    pub fn at_display(mut self, shown: &str) -> Self {
        self.file = PathBuf::from(shown);
        self
    }

    pub fn with_code(mut self, code: &str) -> Self {
        self.code = Some(code.to_string());
        self
    }

    /// `code` unless it has one of its own.
    pub fn or_code(self, code: &str) -> Self {
        if self.code.is_some() {
            self
        } else {
            self.with_code(code)
        }
    }

    pub fn as_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// An error as diagnostics: its own when it is one (or several), else its message and
    /// causes.
    pub fn from_error(e: anyhow::Error) -> Vec<Diagnostic> {
        let e = match e.downcast::<Diagnostic>() {
            Ok(d) => return vec![d],
            Err(e) => e,
        };
        match e.downcast::<Diagnostics>() {
            Ok(all) => all.0,
            Err(e) => vec![Diagnostic::error(format!("{e:#}"))],
        }
    }

    pub fn with_note(mut self, note: String) -> Self {
        self.notes.push(note);
        self
    }

    pub fn location(&self) -> String {
        if self.file.as_os_str().is_empty() {
            return String::new();
        }
        format!("{}:{}:{}", self.file.display(), self.line, self.col)
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// The location and message, as one line.
    fn headline(&self) -> String {
        let code = self.code.as_deref().filter(|c| c.starts_with("TS"));
        let message = match code {
            Some(c) if !self.message.starts_with(c) => format!("{c}: {}", self.message),
            _ => self.message.clone(),
        };
        match self.location().as_str() {
            "" => format!("{}: {message}", self.severity_word()),
            loc => format!("{}: {loc}: {message}", self.severity_word()),
        }
    }

    pub fn render(&self, color: bool) -> String {
        let mut out = if self.source.is_empty() {
            format!("{}\n", self.headline())
        } else {
            self.render_frame(color)
        };
        for n in &self.notes {
            out.push_str(&format!("  = note: {n}\n"));
        }
        out
    }

    fn render_frame(&self, color: bool) -> String {
        if let Some(frame) = self.long_line_frame() {
            return format!("{}\n{frame}", self.headline());
        }
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(2);
        let report = Frame { d: self };
        let mut out = format!("{}\n", self.headline());
        let _ = handler.render_report(&mut out, &report);
        out
    }
}

/// Lines longer than this (minified or generated code) get a frame cut around the column:
/// the full frame would print them whole, and miette cannot align a label that far right.
const LONG_LINE: usize = 300;

impl Diagnostic {
    /// The frame of an error on or beside a long line: its line, cut to the text around the
    /// column, and a caret under the column.
    fn long_line_frame(&self) -> Option<String> {
        let start = self.source[..self.span.0].rfind('\n').map_or(0, |p| p + 1);
        let first = self.source[..start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let near = self.source[first..].split('\n').take(3);
        if near.clone().all(|l| l.chars().count() <= LONG_LINE) {
            return None;
        }
        let line = self.source[start..].split('\n').next().unwrap_or("");
        let col = self.col - 1;
        let from = col.saturating_sub(40);
        let shown: String = line.chars().skip(from).take(80).collect();
        let lead = if from > 0 { "…" } else { "" };
        let tail = if from + 80 < line.chars().count() {
            "…"
        } else {
            ""
        };
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let caret = " ".repeat(col - from + lead.chars().count());
        Some(format!(
            " {number} │ {lead}{shown}{tail}\n {pad} │ {caret}^ {}\n",
            self.label
        ))
    }
}

impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let located = !self.file.as_os_str().is_empty();
        let mut st = s.serialize_struct("Diagnostic", 8)?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("file", &located.then(|| self.file.to_string_lossy()))?;
        st.serialize_field("line", &located.then_some(self.line))?;
        st.serialize_field("column", &located.then_some(self.col))?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("notes", &self.notes)?;
        st.serialize_field("text", self.render(false).trim_end())?;
        st.end()
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.location().as_str() {
            "" => write!(f, "{}", self.message)?,
            loc => write!(f, "{loc}: {}", self.message)?,
        }
        for n in &self.notes {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Several diagnostics from one run (every unresolved import and syntax error of a build, as
/// esbuild lists them), in the order found.
#[derive(Debug)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for Diagnostics {}

/// The miette view of a diagnostic, used only to draw the code frame.
#[derive(Debug)]
struct Frame<'a> {
    d: &'a Diagnostic,
}

impl std::fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Frame<'_> {}

impl miette::Diagnostic for Frame<'_> {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.d.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = SourceSpan::new(self.d.span.0.into(), self.d.span.1);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.d.label.clone()),
            span,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_gets_a_cut_frame() {
        let text = format!("x\n{}(!\n", "a".repeat(5000));
        let d = Diagnostic::new(Path::new("a.js"), &text, (5002, 5003), "bad", "here");
        let r = d.render(false);
        assert!(r.starts_with("error: a.js:2:5001: bad\n"), "{r}");
        assert!(
            r.contains(&format!(" 2 │ …{}(!", "a".repeat(40))) && r.contains("^ here"),
            "{r}"
        );
        assert!(r.len() < 400, "{r}");
    }

    #[test]
    fn location_is_one_based() {
        let d = Diagnostic::new(Path::new("a.ts"), "ab\ncd ef", (6, 8), "bad", "here");
        assert_eq!(d.location(), "a.ts:2:4");
        let r = d.render(false);
        assert!(r.contains("a.ts:2:4"), "{r}");
        assert!(r.contains("cd ef"), "{r}");
    }
}

/// An error that ends a command with a specific exit code (2: an unanswered decision or bad
/// usage; 5: the target exists), with the message to show.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

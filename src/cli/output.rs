//! How commands talk to the user: errors with their causes, notes, warnings; colour only on a
//! terminal and never under NO_COLOR.

use std::io::IsTerminal;

pub use crate::diagnostic::Failure;

pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn paint(code: &str, text: &str) -> String {
    if color_enabled() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn warn(msg: &str) {
    errln!("{} {msg}", paint("33;1", "warning:"));
}

pub fn note(msg: &str) {
    errln!("{} {msg}", paint("36;1", "note:"));
}

/// Print an error (a diagnostic prints its own code frame) and return the exit code.
pub fn report(e: anyhow::Error) -> i32 {
    if let Some(f) = e.downcast_ref::<Failure>() {
        if !f.message.is_empty() {
            errln!("{} {}", paint("31;1", "error:"), f.message);
        }
        return f.code;
    }
    if let Some(d) = e.downcast_ref::<crate::diagnostic::Diagnostic>() {
        errln!("{}", d.render(color_enabled()));
        return 1;
    }
    if let Some(crate::diagnostic::Diagnostics(all)) =
        e.downcast_ref::<crate::diagnostic::Diagnostics>()
    {
        for d in all {
            errln!("{}", d.render(color_enabled()));
        }
        errln!("{} errors", all.len());
        return 1;
    }
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        msg.push_str(&format!("\n  caused by: {cause}"));
    }
    errln!("{} {msg}", paint("31;1", "error:"));
    1
}

/// A failed command under `--json`: the error as `{"ok": false, "errors": [diagnostic...]}` on
/// stdout (unless the command already printed its JSON), and as text on stderr.
pub fn report_json(e: anyhow::Error) -> i32 {
    if let Some(f) = e.downcast_ref::<Failure>()
        && f.message.is_empty()
    {
        return f.code;
    }
    let code = e.downcast_ref::<Failure>().map_or(1, |f| f.code);
    let text = format!("{e:#}");
    let diagnostics: Vec<_> = crate::diagnostic::Diagnostic::from_error(e)
        .into_iter()
        .map(|d| d.or_code("error"))
        .collect();
    let doc = serde_json::json!({ "ok": false, "errors": diagnostics });
    outln!(
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{\"ok\": false}".into())
    );
    for d in &diagnostics {
        err!("{}", d.render(color_enabled()));
    }
    if diagnostics.is_empty() {
        errln!("error: {text}");
    }
    code
}

//! How commands talk to the user: errors with their causes, notes, warnings; colour only on a
//! terminal and never under NO_COLOR.

use std::io::{IsTerminal, Write};

/// What `outln!`/`out!` print: to stdout, dropped once stdout is closed (a reader that quit,
/// as `head` does, must not turn a finished command into a failure).
pub fn write_out(args: std::fmt::Arguments) {
    let _ = std::io::stdout().lock().write_fmt(args);
}

/// What `errln!`/`err!` print: to stderr, dropped once stderr is closed.
pub fn write_err(args: std::fmt::Arguments) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// An error that exits with a specific code (2: an unanswered decision or bad usage).
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
    if let Some(d) = e.downcast_ref::<crate::schema::Diagnostic>() {
        errln!("{}", d.render(color_enabled()));
        return 1;
    }
    if let Some(crate::schema::Diagnostics(all)) = e.downcast_ref::<crate::schema::Diagnostics>() {
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

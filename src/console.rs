//! Standard output and error for every line the commands print (through `outln!`, `out!`,
//! `errln!`, `err!`): a closed stream (`edgespark routes | head`) ends the output quietly
//! instead of panicking as `println!` does.

use std::io::Write;

/// What `outln!`/`out!` print: to stdout, dropped once stdout is closed (a reader that quit,
/// as `head` does, must not turn a finished command into a failure).
pub fn write_out(args: std::fmt::Arguments) {
    let _ = std::io::stdout().lock().write_fmt(args);
}

/// What `errln!`/`err!` print: to stderr, dropped once stderr is closed.
pub fn write_err(args: std::fmt::Arguments) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

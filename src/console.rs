//! Standard output and error for every line the commands print (through `outln!`, `out!`,
//! `errln!`, `err!`): a closed stream (`edgespark routes | head`) ends the output quietly
//! instead of panicking as `println!` does.

use std::io::Write;

/// What `outln!`/`out!` print: to stdout, dropped once stdout is closed (a reader that quit,
/// as `head` does, must not turn a finished command into a failure).
pub fn write_out(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a write to stdout failed (its reader went away): a command that would print
/// forever (`log tail --follow`) stops then.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// What `errln!`/`err!` print: to stderr, dropped once stderr is closed.
pub fn write_err(args: std::fmt::Arguments) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

//! A third-party pass that panics on odd input (swc has such bugs; fuzzing finds them) must not
//! take the whole command down: `quietly` runs it, turns a panic into an error message, and
//! keeps the panic from being printed as a crash (main's panic hook asks `is_quiet`).

use std::cell::Cell;
use std::panic::AssertUnwindSafe;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic on this thread is being turned into an error (and so is not printed).
pub fn is_quiet() -> bool {
    QUIET.with(Cell::get)
}

/// Have panics print as usual except those `quietly` turns into errors (for the process: main,
/// and the fuzz tests).
pub fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_quiet() {
                default_hook(info);
            }
        }));
    });
}

/// `f()`, or the message of the panic it raised.
pub fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        // swc's messages can quote a whole AST; the first line is enough to say what failed.
        let first = text.lines().next().unwrap_or("");
        first.chars().take(160).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(super::quietly(|| 1), Ok(1));
        let long = "x".repeat(500);
        let e = super::quietly(|| -> i32 { panic!("{long}\nmore") }).unwrap_err();
        assert_eq!(e.len(), 160);
        assert!(!super::is_quiet());
    }
}

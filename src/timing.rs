//! Stage timings for profiling: set EDGESPARK_TIMINGS to see them on stderr.

use std::time::Instant;

/// With EDGESPARK_TIMINGS set, how long each stage took, on stderr (for profiling).
pub struct StageTimer(Option<std::cell::Cell<Instant>>);

impl StageTimer {
    pub fn from_env() -> StageTimer {
        StageTimer(
            std::env::var_os("EDGESPARK_TIMINGS").map(|_| std::cell::Cell::new(Instant::now())),
        )
    }

    pub fn done(&self, stage: &str) {
        if let Some(t) = &self.0 {
            errln!(
                "  {stage:<16}{:>7.1} ms",
                t.get().elapsed().as_secs_f64() * 1000.0
            );
            t.set(Instant::now());
        }
    }
}

/// Set when the process ends with its command (one build, not a watch or a server).
static ENDS_WITH_COMMAND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The process ends when its command does: large trees need not be freed at all.
pub fn process_ends_with_command() {
    ENDS_WITH_COMMAND.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Frees a large tree (a module graph, an AST) on another thread: the command's result does
/// not wait for it, and when the process exits first nothing is lost. In a process that ends
/// with its command it is not freed: the exit hands its memory back at once, where freeing it
/// node by node took 5% of a large build's CPU time from the threads still printing.
pub fn drop_off_the_critical_path<T: Send + 'static>(value: T) {
    if ENDS_WITH_COMMAND.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
        return;
    }
    std::thread::spawn(move || drop(value));
}

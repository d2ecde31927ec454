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

/// Frees a large tree (a module graph, an AST) on another thread: the command's result does
/// not wait for it, and when the process exits first nothing is lost.
pub fn drop_off_the_critical_path<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

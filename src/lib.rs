//! edgespark: the EdgeSpark toolchain as a library — bundling, the Drizzle schema reader and
//! migrations, route analysis, the type check and the local platform — in four layers, each
//! using only the ones below it (tests/layers.rs enforces it; ARCHITECTURE.md describes them):
//!
//! - **cli** — clap definitions, rendering of reports, exit codes: [`cli::run`].
//! - **ops** — one module per user-visible operation, options in, reports out: [`ops`].
//! - **engines** — pure functions of their inputs that never print: [`bundler`], [`schema`],
//!   [`migrate`], [`routes`], [`runtime`], [`typecheck`], [`generated`].
//! - **base** — [`diagnostic`], [`source`], [`resolve`], [`parsing`], [`project`], [`platform`],
//!   [`registry`], [`jsjson`], [`random`], [`console`], [`timing`].

// Every line the commands print goes through these: a closed stdout or stderr ends the output
// quietly instead of panicking as `println!` does.
macro_rules! outln {
    () => { $crate::console::write_out(format_args!("\n")) };
    ($($t:tt)*) => { $crate::console::write_out(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! out {
    ($($t:tt)*) => { $crate::console::write_out(format_args!($($t)*)) };
}
macro_rules! errln {
    () => { $crate::console::write_err(format_args!("\n")) };
    ($($t:tt)*) => { $crate::console::write_err(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! err {
    ($($t:tt)*) => { $crate::console::write_err(format_args!($($t)*)) };
}

// cli
pub mod cli;
// ops
pub mod ops;
// engines
pub mod bundler;
pub mod generated;
pub mod migrate;
pub mod routes;
pub mod runtime;
pub mod schema;
pub mod typecheck;
// base
pub mod console;
pub mod diagnostic;
pub mod jsjson;
pub mod parsing;
pub mod platform;
pub mod project;
pub mod random;
pub mod registry;
pub mod resolve;
pub mod source;
pub mod timing;

#[cfg(test)]
mod fuzz;

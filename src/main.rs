//! edgespark: the EdgeSpark toolchain in one native binary.

mod cli;
mod deploy;
mod emit;
mod graph;
mod js;
mod link;
mod resolve;
mod routes;
mod migrate;
mod platform;
mod project;
mod schema;
mod timing;

// The schema reader and the snapshot writer allocate many small objects; mimalloc halves
// the time glibc's allocator spends on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its number in mimalloc's option enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Commands are short-lived: memory freed by one stage is better reused by the next than
    // handed back to the OS and faulted in again (with no huge pages as well, the minified
    // 1000-route bench app built in 274 ms instead of 290). Huge pages are not asked for
    // (Cargo.toml): zeroing 2 MiB pages for sparse use doubled a build's resident memory.
    // SAFETY: sets an option value; mimalloc's options are atomics, safe to set at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let code = cli::run();
    std::process::exit(code);
}

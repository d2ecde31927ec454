//! edgespark: the EdgeSpark toolchain in one native binary. The work is the library's
//! (src/lib.rs); this sets up the process (allocator, stacks) and runs the command line.

// The schema reader and the snapshot writer allocate many small objects; mimalloc halves
// the time glibc's allocator spends on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The command's own thread's stack, and every other thread's (bytes of address space). Input
/// at js::depth's limit runs in 128 MiB (tests/hardening.rs, every shape, with --minify); these
/// leave four times that.
const MAIN_STACK: usize = 1 << 30;
const WORKER_STACK: usize = 512 << 20;

/// mimalloc's `purge_delay` option (its number in mimalloc's option enum).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Commands are short-lived: memory freed by one stage is better reused by the next than
    // handed back to the OS and faulted in again (with no huge pages as well, the minified
    // 1000-route bench app built in 274 ms instead of 290). Huge pages are not asked for
    // (Cargo.toml): zeroing 2 MiB pages for sparse use doubled a build's resident memory.
    // SAFETY: sets an option value; mimalloc's options are atomics, safe to set at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // Parsing, evaluating, linking, printing and freeing an AST recurse once per level of
    // nesting in the input; esbuild's goroutines grow their stacks to 1 GiB, so input it takes
    // must not overflow ours. Every thread (the command's, scoped helpers, rayon's workers,
    // which read RUST_MIN_STACK when spawned) gets a large stack: address space only, touched
    // pages alone become memory. Deeper input than fits is refused before parsing (js::depth).
    // SAFETY: no other thread exists yet to read the environment concurrently.
    unsafe { std::env::set_var("RUST_MIN_STACK", WORKER_STACK.to_string()) };
    // A panic that js::guard turns into an error is not a crash and is not printed as one.
    edgespark::parsing::guard::install_quiet_hook();
    let command = std::thread::Builder::new()
        .name("edgespark".into())
        .stack_size(MAIN_STACK)
        // The process ends from this thread: its heap is never handed back as a thread's that
        // exits (measured: 1% of a large build's instructions went to mimalloc reclaiming it).
        .spawn(|| std::process::exit(edgespark::cli::run()));
    let code = match command.map(|t| t.join()) {
        Ok(Ok(never)) => match never {},
        // A panic has printed its message; it is a bug, reported as an internal error.
        Ok(Err(_)) => 70,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            1
        }
    };
    std::process::exit(code);
}

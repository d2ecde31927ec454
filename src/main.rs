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

fn main() {
    let code = cli::run();
    std::process::exit(code);
}

//! edgespark: the EdgeSpark toolchain in one native binary.

mod cli;
mod migrate;
mod project;
mod schema;

fn main() {
    let code = cli::run();
    std::process::exit(code);
}

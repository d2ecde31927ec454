//! The command line: clap definitions and one function per command. No logic of its own.

mod auth;
pub mod build;
pub mod bundle;
mod db;
mod db_generate;
mod deploy;
mod doctor;
mod init;
pub mod output;
mod pull;
pub mod routes;
mod runtime_config;
pub mod serve;
mod storage;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "edgespark",
    version,
    about = "The EdgeSpark toolchain in one native binary",
    propagate_version = true
)]
pub struct Cli {
    /// Project root (default: the nearest directory upward holding edgespark.toml)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new project in NAME/ on the local platform
    Init(init::InitArgs),
    /// Bundle the project's server (server/src/index.ts) into server/dist/bundle.js
    Build(build::BuildArgs),
    /// Bundle entry points, one output file each (esbuild's flag names)
    Bundle(bundle::BundleArgs),
    /// List the server's Hono routes, found statically, grouped by auth convention
    Routes(routes::RoutesArgs),
    /// Vars on the local platform (keys declared as VarKey in server/src/defs/runtime.ts)
    #[command(subcommand)]
    Var(runtime_config::VarCommand),
    /// Secrets on the local platform (keys declared as SecretKey; values never shown)
    #[command(subcommand)]
    Secret(runtime_config::SecretCommand),
    /// The local platform's event log
    #[command(subcommand)]
    Log(runtime_config::LogCommand),
    /// Database schema and migrations (drizzle-kit compatible)
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Sync generated files, check, type check, bundle, check routes, and go live on the local platform
    Deploy(deploy::DeployArgs),
    /// (Re)write server/src/__generated__/ from the project's defs
    Pull(pull::PullArgs),
    /// How the type check runs here; the tsconfig changes TypeScript 7 needs, as a diff (--write makes them)
    Doctor(doctor::DoctorArgs),
    /// Run the app locally on workerd with its own database, storage and auth; reload on save
    Dev(serve::DevArgs),
    /// Serve the local platform's live deployment on workerd (http://127.0.0.1:7775)
    Serve(serve::ServeArgs),
    /// Buckets from storage_schema.ts, on the local platform
    #[command(subcommand)]
    Storage(storage::StorageCommand),
    /// The auth config: configs/auth-config.yaml and the platform's copy
    #[command(subcommand)]
    Auth(auth::AuthCommand),
}

/// Parse the arguments, run the command, print any error, and return the exit code.
pub fn run() -> i32 {
    // With --json, a command that fails still prints one JSON document (CI reads stdout).
    let json_asked = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let builds_once = match &cli.command {
        Command::Build(a) => !a.watch,
        Command::Bundle(a) => !a.watch,
        Command::Routes(_) | Command::Deploy(_) => true,
        _ => false,
    };
    if builds_once {
        crate::timing::process_ends_with_command();
    }
    let result = match cli.command {
        Command::Init(a) => init::run(a, cli.dir.as_deref()).map(|()| None),
        Command::Db(cmd) => db::run(cmd, cli.dir.as_deref()).map(|()| None),
        Command::Build(a) => build::run(a, cli.dir.as_deref()).map(|()| None),
        // `bundle` works on any files: -C is the directory its paths are relative to.
        Command::Bundle(a) => match &cli.dir {
            Some(d) => std::env::set_current_dir(d)
                .map_err(|e| anyhow::anyhow!("-C {}: {e}", d.display()))
                .and_then(|()| bundle::run(a)),
            None => bundle::run(a),
        }
        .map(|()| None),
        Command::Routes(a) => routes::run(a, cli.dir.as_deref()).map(|()| None),
        Command::Var(c) => runtime_config::run_var(c, cli.dir.as_deref()).map(|()| None),
        Command::Secret(c) => runtime_config::run_secret(c, cli.dir.as_deref()).map(|()| None),
        Command::Log(c) => runtime_config::run_log(c, cli.dir.as_deref()).map(|()| None),
        Command::Deploy(a) => deploy::run(a, cli.dir.as_deref()).map(Some),
        Command::Serve(a) => serve::run(a, cli.dir.as_deref()).map(|()| None),
        Command::Dev(a) => serve::run_dev(a, cli.dir.as_deref()).map(|()| None),
        Command::Pull(a) => pull::run(a, cli.dir.as_deref()).map(Some),
        Command::Doctor(a) => doctor::run(a, cli.dir.as_deref()).map(Some),
        Command::Storage(c) => storage::run(c, cli.dir.as_deref()).map(|()| None),
        Command::Auth(c) => auth::run(c, cli.dir.as_deref()).map(|()| None),
    };
    match result {
        Ok(None) => 0,
        Ok(Some(code)) => code,
        Err(e) if json_asked => output::report_json(e),
        Err(e) => output::report(e),
    }
}

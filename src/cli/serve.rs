//! `edgespark serve` and `edgespark dev`: flags in, the running app's reports out (each
//! request a line, the worker's console output, reloads with their time).

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::ops::serve::{Report, ServeOptions};
use crate::project::Project;
use crate::runtime::server::Event;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on
    #[arg(long, default_value_t = 7775)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
}

pub fn run(a: ServeArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    crate::ops::serve::serve(
        &project,
        ServeOptions {
            host: a.host,
            port: a.port,
        },
        render,
    )
}

/// One report, as a line on stderr.
pub fn render(r: Report) {
    match r {
        Report::Ready { origin, workerd } => {
            errln!("Serving on {origin}  ({workerd})");
        }
        Report::Loaded { what, ms } => errln!("Loaded {what} in {ms} ms"),
        Report::Failed { error, kept } => {
            crate::cli::output::report(error);
            if kept {
                errln!("The last good build keeps serving");
            } else {
                errln!(
                    "Nothing is serving: requests to /api/* get this error until a build starts"
                );
            }
        }
        Report::Note(n) => errln!("{n}"),
        Report::Events(events) => {
            // One write for the batch: a busy app prints thousands of lines a second.
            let mut text = String::new();
            for e in events {
                match e {
                    Event::Request {
                        method,
                        path,
                        status,
                        ms,
                    } => text.push_str(&format!("{method} {path} {status} {ms:.1} ms\n")),
                    Event::Worker(line) => text.push_str(&format!("  | {line}\n")),
                }
            }
            err!("{text}");
        }
    }
}

#[derive(Args, Debug)]
pub struct DevArgs {
    /// Port to listen on
    #[arg(long, default_value_t = 7775)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Wipe the dev database and buckets (.edgespark/dev) first; the seed runs again
    #[arg(long)]
    pub reset: bool,
    /// Apply schema changes that drop tables or columns without asking
    #[arg(long)]
    pub accept_data_loss: bool,
}

pub fn run_dev(a: DevArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let accept_all = a.accept_data_loss;
    let accept = move |what: &[String]| {
        if accept_all {
            return true;
        }
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return false;
        }
        errln!("This schema change destroys data:");
        for w in what {
            errln!("  - {w}");
        }
        err!("Apply it to the dev database? [y/N] ");
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        matches!(answer.trim(), "y" | "Y" | "yes")
    };
    crate::ops::dev::dev(
        &project,
        crate::ops::dev::DevOptions {
            host: a.host,
            port: a.port,
            reset: a.reset,
        },
        accept,
        render,
    )
}

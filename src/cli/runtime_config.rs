//! `edgespark var`, `edgespark secret` and `edgespark log tail`, on the local platform. Keys must
//! be declared in `server/src/defs/runtime.ts` (`VarKey`, `SecretKey`). Secret values are typed
//! into a one-time page in the browser (`ops::secret_page`), or read from stdin with `--stdin`
//! (CI), and are never printed, logged, or written anywhere but the 0600 secrets file.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::cli::output::Failure;
use crate::ops::runtime_config;
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;

#[derive(Subcommand, Debug)]
pub enum VarCommand {
    /// Set vars: `edgespark var set SITE_NAME=Example ADMIN_EMAILS=a@b.c`
    Set {
        #[arg(required = true, value_name = "K=V")]
        pairs: Vec<String>,
    },
    /// List the vars and their values
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a var
    Delete { key: String },
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Set secrets: the values are entered in a one-time page in the browser (the URL is
    /// printed), never on the terminal; with --stdin (for CI), one line per key from stdin
    Set {
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
        /// Read the values from stdin, one line per key (for CI)
        #[arg(long)]
        stdin: bool,
    },
    /// List the secrets' names (never their values)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a secret
    Delete { key: String },
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Print the local platform's event log: deploys, var and secret changes, migrations (names only)
    Tail {
        /// Only the last N events
        #[arg(short = 'n', long, default_value_t = 50)]
        lines: usize,
        #[arg(long)]
        json: bool,
        /// Keep printing events as they are appended (a running dev or serve logs each request)
        #[arg(short = 'f', long)]
        follow: bool,
    },
}

pub fn run_var(cmd: VarCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    match cmd {
        VarCommand::Set { pairs } => {
            let parsed: Vec<(&str, &str)> = pairs
                .iter()
                .map(|p| {
                    p.split_once('=')
                        .filter(|(k, _)| !k.is_empty())
                        .ok_or_else(|| {
                            anyhow::Error::new(Failure {
                                code: 2,
                                message: format!("{p:?} is not KEY=VALUE"),
                            })
                        })
                })
                .collect::<Result<_>>()?;
            let keys = runtime_config::set_declared(
                &project,
                Store::Vars,
                parsed
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )?;
            errln!("set {}", keys.join(", "));
        }
        VarCommand::List { json } => {
            let vars = LocalPlatform::open(&project)?.read(Store::Vars)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&vars)?);
            } else {
                for (k, v) in &vars {
                    outln!("{k}={v}");
                }
            }
        }
        VarCommand::Delete { key } => runtime_config::delete(&project, Store::Vars, &key)?,
    }
    Ok(())
}

pub fn run_secret(cmd: SecretCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    match cmd {
        SecretCommand::Set { keys, stdin } => {
            // Undeclared keys are refused before any value is asked for.
            runtime_config::check_declared(
                &keys.iter().map(String::as_str).collect::<Vec<_>>(),
                &runtime_config::declared(&project)?.secrets,
                "SecretKey",
            )?;
            if stdin {
                let values = read_stdin_values(&keys)?;
                let set = runtime_config::set(
                    &project,
                    Store::Secrets,
                    keys.into_iter().zip(values).collect(),
                )?;
                errln!("set {}", set.join(", "));
                return Ok(());
            }
            let show = |url: &str| {
                errln!(
                    "Enter the value{} of {} in your browser (this link works once, for 10 minutes):\n  {url}",
                    if keys.len() == 1 { "" } else { "s" },
                    keys.join(", ")
                );
                open_browser(url);
            };
            let owner = project.clone();
            let lifetime = crate::ops::secret_page::LIFETIME;
            crate::ops::secret_page::collect(keys.clone(), lifetime, show, move |pairs| {
                runtime_config::set(&owner, Store::Secrets, pairs).map(|_| ())
            })?;
            errln!("set {}", keys.join(", "));
        }
        SecretCommand::List { json } => {
            let names: Vec<String> = LocalPlatform::open(&project)?
                .read(Store::Secrets)?
                .into_keys()
                .collect();
            if json {
                outln!("{}", serde_json::to_string_pretty(&names)?);
            } else {
                for n in &names {
                    outln!("{n}");
                }
            }
        }
        SecretCommand::Delete { key } => runtime_config::delete(&project, Store::Secrets, &key)?,
    }
    Ok(())
}

/// One value per key, from stdin's lines (`--stdin`).
fn read_stdin_values(keys: &[String]) -> Result<Vec<String>> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        let value = lines
            .next()
            .transpose()
            .context("reading stdin")?
            .ok_or_else(|| anyhow::anyhow!("stdin ended before the value of {key}"))?;
        let value = value.trim_end_matches(['\r', '\n']).to_string();
        if value.is_empty() {
            bail!("the value of {key} is empty");
        }
        values.push(value);
    }
    Ok(values)
}

/// Open `url` in the user's browser when there is one ($BROWSER, else the desktop's opener
/// when a display is there); without one the printed URL is the way.
fn open_browser(url: &str) {
    let opener = match std::env::var("BROWSER") {
        Ok(b) if !b.is_empty() => Some(b),
        _ if cfg!(target_os = "macos") => Some("open".to_string()),
        _ if std::env::var_os("DISPLAY").is_some()
            || std::env::var_os("WAYLAND_DISPLAY").is_some() =>
        {
            Some("xdg-open".to_string())
        }
        _ => None,
    };
    if let Some(opener) = opener {
        let _ = std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

pub fn run_log(cmd: LogCommand, dir: Option<&Path>) -> Result<()> {
    let LogCommand::Tail {
        lines,
        json,
        follow,
    } = cmd;
    let project = Project::find(dir)?;
    let print = |e: &serde_json::Value| {
        if json {
            outln!("{e}");
        } else {
            outln!("{}", event_line(e));
        }
        // A closed stdout (`| head`) ends following.
        !crate::console::stdout_closed()
    };
    if follow {
        return crate::ops::log::follow(&project, lines, print);
    }
    for e in &crate::ops::log::tail(&project, lines)? {
        print(e);
    }
    Ok(())
}

/// An event as one line: its time, its kind, and what it names.
fn event_line(e: &serde_json::Value) -> String {
    let d = &e["details"];
    let list = |field: &str| {
        d[field].as_array().map(|k| {
            k.iter()
                .filter_map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let what = match e["event"].as_str() {
        Some("request") => format!(
            "{} {} {} {} ms",
            d["method"].as_str().unwrap_or("?"),
            d["path"].as_str().unwrap_or("?"),
            d["status"],
            d["ms"]
        ),
        Some("console") => d["line"].as_str().unwrap_or("").to_string(),
        _ => list("keys")
            .or_else(|| list("applied"))
            .or_else(|| d["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| d.to_string()),
    };
    format!(
        "{}  {:<14} {what}",
        e["time"],
        e["event"].as_str().unwrap_or("?")
    )
}

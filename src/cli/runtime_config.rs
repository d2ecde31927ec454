//! `edgespark var`, `edgespark secret` and `edgespark log tail`, on the local platform. Keys must
//! be declared in `server/src/defs/runtime.ts` (`VarKey`, `SecretKey`). Secret values come from
//! a hidden prompt (or stdin when it is not a terminal, one line per key) and are never
//! printed, logged, or written anywhere but the 0600 secrets file.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;

use crate::cli::output::Failure;
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::project::runtime_keys::{self, RuntimeKeys};

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
    /// Set secrets: each value is read from a hidden prompt, or from stdin (one line per key)
    Set {
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
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
    },
}

fn declared(project: &Project) -> Result<RuntimeKeys> {
    let runtime = project.defs_dir().join("runtime.ts");
    if !runtime.is_file() {
        bail!(
            "{} does not exist: vars and secrets are declared there (VarKey, SecretKey)",
            project.display(&runtime)
        );
    }
    runtime_keys::read(&runtime)
}

/// Every key must be declared; the error names the undeclared ones and what is declared.
fn check_declared(keys: &[&str], declared: &[String], type_name: &str) -> Result<()> {
    let undeclared: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !declared.iter().any(|d| d == k))
        .collect();
    if !undeclared.is_empty() {
        let known = if declared.is_empty() {
            "none".to_string()
        } else {
            declared.join(", ")
        };
        bail!(
            "not declared in server/src/defs/runtime.ts ({type_name}: {known}): {}",
            undeclared.join(", ")
        );
    }
    Ok(())
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
            check_declared(
                &parsed.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                &declared(&project)?.vars,
                "VarKey",
            )?;
            set(
                &project,
                Store::Vars,
                parsed
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )?;
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
        VarCommand::Delete { key } => delete(&project, Store::Vars, &key)?,
    }
    Ok(())
}

pub fn run_secret(cmd: SecretCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    match cmd {
        SecretCommand::Set { keys } => {
            check_declared(
                &keys.iter().map(String::as_str).collect::<Vec<_>>(),
                &declared(&project)?.secrets,
                "SecretKey",
            )?;
            let values = read_secret_values(&keys)?;
            set(
                &project,
                Store::Secrets,
                keys.into_iter().zip(values).collect(),
            )?;
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
        SecretCommand::Delete { key } => delete(&project, Store::Secrets, &key)?,
    }
    Ok(())
}

/// Add the pairs to `store`, under the platform's lock, and log their keys (never the values).
fn set(project: &Project, store: Store, pairs: Vec<(String, String)>) -> Result<()> {
    let platform = LocalPlatform::open(project)?;
    let mut values = platform.read(store)?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    values.extend(pairs);
    platform.write(store, &values)?;
    platform.log(&format!("{}.set", store.noun()), json!({ "keys": keys }))?;
    errln!("set {}", keys.join(", "));
    Ok(())
}

fn delete(project: &Project, store: Store, key: &str) -> Result<()> {
    let platform = LocalPlatform::open(project)?;
    let mut values = platform.read(store)?;
    if values.remove(key).is_none() {
        bail!("no {} {key} is set", store.noun());
    }
    platform.write(store, &values)?;
    platform.log(
        &format!("{}.delete", store.noun()),
        json!({ "keys": [key] }),
    )
}

/// One value per key: from a prompt that does not echo, or from stdin's lines.
fn read_secret_values(keys: &[String]) -> Result<Vec<String>> {
    let stdin = std::io::stdin();
    let mut lines = (!stdin.is_terminal()).then(|| stdin.lock().lines());
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        let value = match &mut lines {
            Some(lines) => lines
                .next()
                .transpose()
                .context("reading stdin")?
                .ok_or_else(|| anyhow::anyhow!("stdin ended before the value of {key}"))?,
            None => rpassword::prompt_password(format!("{key} (input hidden): "))
                .context("reading the value")?,
        };
        let value = value.trim_end_matches(['\r', '\n']).to_string();
        if value.is_empty() {
            bail!("the value of {key} is empty");
        }
        values.push(value);
    }
    Ok(values)
}

pub fn run_log(cmd: LogCommand, dir: Option<&Path>) -> Result<()> {
    let LogCommand::Tail { lines, json } = cmd;
    let project = Project::find(dir)?;
    let events = LocalPlatform::open(&project)?.events()?;
    let shown = &events[events.len().saturating_sub(lines)..];
    for e in shown {
        if json {
            outln!("{e}");
        } else {
            let list = |field: &str| {
                e["details"][field].as_array().map(|k| {
                    k.iter()
                        .filter_map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
            };
            let keys = list("keys")
                .or_else(|| list("applied"))
                .or_else(|| e["details"]["id"].as_str().map(str::to_string))
                .unwrap_or_else(|| e["details"].to_string());
            outln!(
                "{}  {:<14} {keys}",
                e["time"],
                e["event"].as_str().unwrap_or("?")
            );
        }
    }
    Ok(())
}

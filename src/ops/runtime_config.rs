//! `var` and `secret`: runtime values on the local platform. Keys must be declared in
//! `server/src/defs/runtime.ts` (VarKey, SecretKey); each change is logged by key, never by
//! value.

use anyhow::{Result, bail};
use serde_json::json;

use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::project::runtime_keys::{self, RuntimeKeys};

/// The keys `runtime.ts` declares.
pub fn declared(project: &Project) -> Result<RuntimeKeys> {
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
pub fn check_declared(keys: &[&str], declared: &[String], type_name: &str) -> Result<()> {
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

/// Set `pairs` in `store` (keys checked against runtime.ts first); returns the keys set.
pub fn set_declared(
    project: &Project,
    store: Store,
    pairs: Vec<(String, String)>,
) -> Result<Vec<String>> {
    let keys = declared(project)?;
    let (declared_keys, type_name) = match store {
        Store::Vars => (&keys.vars, "VarKey"),
        Store::Secrets => (&keys.secrets, "SecretKey"),
    };
    check_declared(
        &pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        declared_keys,
        type_name,
    )?;
    set(project, store, pairs)
}

/// Add the pairs to `store`, under the platform's lock, and log their keys (never the values).
pub fn set(project: &Project, store: Store, pairs: Vec<(String, String)>) -> Result<Vec<String>> {
    let platform = LocalPlatform::open(project)?;
    let mut values = platform.read(store)?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    values.extend(pairs);
    platform.write(store, &values)?;
    platform.log(&format!("{}.set", store.noun()), json!({ "keys": keys }))?;
    Ok(keys)
}

pub fn delete(project: &Project, store: Store, key: &str) -> Result<()> {
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

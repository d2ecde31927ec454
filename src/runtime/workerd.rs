//! Which workerd runs the app, in order: the project's node_modules
//! (`@cloudflare/workerd-<os>-<arch>/bin/workerd`, from the server folder up, as Node resolves),
//! a `workerd` on PATH, else the pinned release from the npm registry, fetched once into the
//! per-user cache (integrity-checked).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::registry::{self, Registry};

/// The workerd release edgespark fetches when the project has none.
pub const PINNED: &str = "1.20261117.1";

/// The newest compatibility date edgespark asks for; an older workerd gets its own date.
const COMPATIBILITY_DATE: &str = "2026-11-01";

/// From this date on `nodejs_compat` is on by default (and naming it is warned about).
const NODEJS_COMPAT_DEFAULT_FROM: &str = "2026-08-04";

#[derive(Debug, Clone)]
pub struct Workerd {
    pub path: PathBuf,
    /// The release's date, `workerd --version`'s "workerd 2026-11-17".
    pub date: String,
    /// Where it was found, for messages.
    pub from: String,
}

impl Workerd {
    /// The compatibility date for the worker: ours, or the binary's own when it is older.
    pub fn compatibility_date(&self) -> String {
        if self.date.as_str() < COMPATIBILITY_DATE {
            self.date.clone()
        } else {
            COMPATIBILITY_DATE.to_string()
        }
    }

    /// The flags the worker needs named: `nodejs_compat` (EdgeSpark apps use `Buffer` and
    /// `node:*` modules) where the date does not already turn it on.
    pub fn compatibility_flags(&self) -> Vec<&'static str> {
        if self.compatibility_date().as_str() < NODEJS_COMPAT_DEFAULT_FROM {
            vec!["nodejs_compat"]
        } else {
            vec![]
        }
    }
}

/// workerd's npm package for this machine, e.g. `@cloudflare/workerd-linux-64`.
pub fn platform_package() -> Option<String> {
    let name = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-64",
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "x86_64") => "darwin-64",
        ("macos", "aarch64") => "darwin-arm64",
        ("windows", "x86_64") => "windows-64",
        _ => return None,
    };
    Some(format!("@cloudflare/workerd-{name}"))
}

/// The workerd to run for the project whose server folder is `server`.
pub fn find_or_fetch(server: &Path) -> Result<Workerd> {
    if let Some(found) = find(server) {
        return Ok(found);
    }
    fetch(server)
}

/// A workerd in the project's node_modules or on PATH.
pub fn find(server: &Path) -> Option<Workerd> {
    let package = platform_package()?;
    for dir in server.ancestors() {
        let path = dir.join("node_modules").join(&package).join("bin/workerd");
        if let Some(date) = date_of(&path) {
            return Some(Workerd {
                from: format!("{}", dir.join("node_modules").display()),
                path,
                date,
            });
        }
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join("workerd"))
        .find_map(|path| {
            let date = date_of(&path)?;
            Some(Workerd {
                from: format!("{} on PATH", path.display()),
                path,
                date,
            })
        })
}

/// The pinned release from the per-user cache, fetched from the registry the first time.
pub fn fetch(server: &Path) -> Result<Workerd> {
    let Some(package) = platform_package() else {
        bail!(
            "workerd is not built for {}-{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    };
    let cache = registry::user_cache()?;
    let registry = Registry::for_package(server, &package);
    let dir = registry::ensure(&registry, &package, PINNED, &cache).map_err(|e| {
        anyhow!(
            "the app runs on workerd: none in the project's node_modules or on PATH, and {package}@{PINNED} could not be fetched from {} ({}): {e:#}\n  add {package} to the server's devDependencies or put workerd on PATH",
            registry.url,
            registry.from
        )
    })?;
    let path = dir.join("bin/workerd");
    let date = date_of(&path).ok_or_else(|| {
        anyhow!(
            "{}: the fetched package's workerd does not run",
            path.display()
        )
    })?;
    Ok(Workerd {
        from: format!("{}", dir.display()),
        path,
        date,
    })
}

/// `workerd --version` ("workerd 2026-11-17") → "2026-11-17"; None when it does not run.
fn date_of(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    let out = std::process::Command::new(path)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let date = text.trim().strip_prefix("workerd ")?.trim().to_string();
    (date.len() == 10).then_some(date)
}

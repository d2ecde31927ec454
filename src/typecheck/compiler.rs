//! Which native TypeScript 7 compiler runs the check, in order: the project's node_modules
//! (`typescript@7`'s platform package, or the native preview's `tsgo`), a native `tsc` on PATH,
//! else the pinned release from the npm registry, fetched once into the per-user cache.
//! Never Node: a `tsc` that is a Node script (TypeScript 5's) is passed over.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::registry::{self, Registry};

/// The TypeScript 7 release edgespark fetches when the project has none.
pub const PINNED: &str = "7.0.2";

#[derive(Debug, Clone)]
pub struct Compiler {
    pub path: PathBuf,
    /// e.g. "7.0.2".
    pub version: String,
    /// Where it was found: "server/node_modules", "PATH", "cache" or "fetched from <registry>".
    pub from: String,
}

impl Compiler {
    pub fn describe(&self) -> String {
        format!("TypeScript {} ({})", self.version, self.from)
    }
}

/// The platform package of the native compiler, e.g. `@typescript/typescript-linux-x64`.
pub fn platform_package() -> Option<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        "windows" => "win32",
        _ => return None,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        _ => return None,
    };
    Some(format!("@typescript/typescript-{os}-{arch}"))
}

/// A native compiler in the project's node_modules (the server's folder and those above it,
/// as Node resolves; `shown` renders a path for the report) or on PATH.
pub fn find(server: &Path, shown: impl Fn(&Path) -> String) -> Option<Compiler> {
    for dir in server.ancestors() {
        let scope = dir.join("node_modules/@typescript");
        let Ok(entries) = std::fs::read_dir(&scope) else {
            continue;
        };
        let mut packages: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        packages.sort();
        for package in packages {
            let name = package.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(name.starts_with("typescript-") || name.starts_with("native-preview-")) {
                continue;
            }
            for bin in ["lib/tsc", "lib/tsgo"] {
                let path = package.join(bin);
                if is_native(&path) {
                    return Some(Compiler {
                        version: package_version(&package),
                        from: shown(&dir.join("node_modules")),
                        path,
                    });
                }
            }
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("tsc"), d.join("tsgo")])
        .find(|c| is_native(c))
        .map(|path| Compiler {
            version: version_of(&path),
            from: format!("{} on PATH", path.display()),
            path,
        })
}

/// The pinned release for this machine from the per-user cache, fetched from the registry
/// (integrity-checked) the first time.
pub fn fetch(server: &Path) -> Result<Compiler> {
    let Some(package) = platform_package() else {
        bail!(
            "there is no native TypeScript 7 build for {}-{}: pass --typecheck off",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    };
    let cache = registry::user_cache()?;
    let dir = registry::cached(&cache, &package, PINNED);
    let was_cached = dir.join("package.json").is_file();
    let registry = Registry::for_package(server, &package);
    let dir = registry::ensure(&registry, &package, PINNED, &cache).map_err(|e| {
        anyhow::anyhow!(
            "the type check needs a native TypeScript 7 compiler: none in the project's node_modules or on PATH, and {package}@{PINNED} could not be fetched from {} ({}): {e:#}\n  add typescript@7 to the server's devDependencies, put a native tsc on PATH, or pass --typecheck off",
            registry.url,
            registry.from
        )
    })?;
    let path = dir.join("lib/tsc");
    if !is_native(&path) {
        bail!(
            "{}: the fetched package has no native lib/tsc",
            dir.display()
        );
    }
    let from = if was_cached {
        format!("cached in {}", dir.display())
    } else {
        format!("fetched from {}", registry.url)
    };
    Ok(Compiler {
        version: package_version(&dir),
        from,
        path,
    })
}

fn package_version(package: &Path) -> String {
    std::fs::read(package.join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|j| j["version"].as_str().map(String::from))
        .unwrap_or_else(|| "7 (version unknown)".to_string())
}

/// `tsc --version` says "Version 7.0.2".
fn version_of(tsc: &Path) -> String {
    std::process::Command::new(tsc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .map(|s| s.trim_start_matches("Version ").to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "7 (version unknown)".to_string())
}

/// An executable file that is not a script for Node (TypeScript 5's `tsc` is one).
fn is_native(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return false;
        }
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    if n == 0 {
        return false;
    }
    if !head.starts_with(b"#!") {
        return true;
    }
    let first_line = head[..n].split(|&b| b == b'\n').next().unwrap_or(&[]);
    !String::from_utf8_lossy(first_line).contains("node")
}

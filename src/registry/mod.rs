//! npm packages without npm or Node: the registry named as npm would name it, a package's
//! tarball fetched, its `integrity` (the registry's Subresource Integrity hash) checked, and the
//! package unpacked once into a per-user cache that later runs reuse. The type check fetches
//! the native TypeScript compiler this way; anything else shipped as an npm package can too.

pub mod http;
pub mod tarball;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use sha2::Digest;

pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";

/// A registry and where its URL was configured.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Ends with `/`.
    pub url: String,
    /// `NPM_CONFIG_REGISTRY`, an `.npmrc`'s path, or "default".
    pub from: String,
}

impl Registry {
    /// The registry npm would use for `package` from `dir`: `NPM_CONFIG_REGISTRY` (or
    /// `npm_config_registry`), else the nearest `.npmrc` from `dir` upward, else `~/.npmrc`,
    /// else npmjs.org. A scoped package's `@scope:registry` wins over `registry` in a file.
    pub fn for_package(dir: &Path, package: &str) -> Registry {
        for var in ["NPM_CONFIG_REGISTRY", "npm_config_registry"] {
            if let Ok(url) = std::env::var(var)
                && !url.trim().is_empty()
            {
                return Registry::new(url.trim(), var);
            }
        }
        let scope = package
            .strip_prefix('@')
            .and_then(|p| p.split('/').next())
            .map(|s| format!("@{s}:registry"));
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let files = dir
            .ancestors()
            .map(|d| d.join(".npmrc"))
            .chain(home.map(|h| h.join(".npmrc")));
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let setting = |key: &str| npmrc_value(&text, key);
            if let Some(url) = scope
                .as_deref()
                .and_then(setting)
                .or_else(|| setting("registry"))
            {
                return Registry::new(&url, &file.display().to_string());
            }
        }
        Registry::new(DEFAULT_REGISTRY, "default")
    }

    fn new(url: &str, from: &str) -> Registry {
        let mut url = url.to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        Registry {
            url,
            from: from.to_string(),
        }
    }

    /// The package document's URL (a scoped name's `/` escaped, as npm does).
    fn document_url(&self, package: &str) -> String {
        format!("{}{}", self.url, package.replace('/', "%2f"))
    }
}

/// `key=value` from an `.npmrc` text (comments `#`/`;`, `${VAR}` expanded).
fn npmrc_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            return None;
        }
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| expand_env(v.trim().trim_matches('"')))
    })
}

fn expand_env(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&std::env::var(&rest[start + 2..start + len]).unwrap_or_default());
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The per-user cache: `$XDG_CACHE_HOME/edgespark`, else `~/.cache/edgespark`.
pub fn user_cache() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from)
        && dir.is_absolute()
    {
        return Ok(dir.join("edgespark"));
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .context("neither XDG_CACHE_HOME nor HOME is set: there is no per-user cache")?;
    Ok(home.join(".cache/edgespark"))
}

/// Where `package@version` lives once unpacked in `cache`.
pub fn cached(cache: &Path, package: &str, version: &str) -> PathBuf {
    cache.join("npm").join(package).join(version)
}

/// `package@version` unpacked in `cache`, fetched from `registry` first unless it is there.
/// Nothing is left in the cache unless the tarball matched the registry's integrity hash.
pub fn ensure(registry: &Registry, package: &str, version: &str, cache: &Path) -> Result<PathBuf> {
    let dir = cached(cache, package, version);
    if dir.join("package.json").is_file() {
        return Ok(dir);
    }
    let url = registry.document_url(package);
    let document = http::get(
        &url,
        Some("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"),
    )?;
    let document: serde_json::Value = serde_json::from_slice(&document)
        .with_context(|| format!("{url}: not a package document"))?;
    let dist = &document["versions"][version]["dist"];
    let (Some(tarball), Some(integrity)) = (dist["tarball"].as_str(), dist["integrity"].as_str())
    else {
        bail!("{url}: no version {version} with a tarball and an integrity hash");
    };
    let bytes = http::get(tarball, None)?;
    check_integrity(&bytes, integrity)
        .with_context(|| format!("{package}@{version} ({tarball})"))?;

    let parent = dir
        .parent()
        .context("a package's cache folder has a parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".edgespark-tmp-")
        .tempdir_in(parent)
        .with_context(|| format!("making a folder in {}", parent.display()))?;
    tarball::unpack(bytes.as_slice(), staging.path(), tarball, true)?;
    if !staging.path().join("package.json").is_file() {
        bail!("{tarball}: not an npm package (no package/package.json)");
    }
    // Another run may have put it there meanwhile: theirs is as good as ours.
    if std::fs::rename(staging.path(), &dir).is_err() && !dir.join("package.json").is_file() {
        bail!("could not move {package}@{version} into {}", dir.display());
    }
    Ok(dir)
}

/// `bytes` match an SRI `integrity` value: one of its hashes of the strongest algorithm it
/// lists (sha512, sha384 or sha256) is theirs.
pub fn check_integrity(bytes: &[u8], integrity: &str) -> Result<()> {
    let hashes: Vec<(&str, &str)> = integrity
        .split_whitespace()
        .filter_map(|h| h.split_once('-'))
        .collect();
    for algorithm in ["sha512", "sha384", "sha256"] {
        let expected: Vec<&str> = hashes
            .iter()
            .filter(|(a, _)| *a == algorithm)
            .map(|(_, h)| h.split('?').next().unwrap_or(h))
            .collect();
        if expected.is_empty() {
            continue;
        }
        let actual = match algorithm {
            "sha512" => sha2::Sha512::digest(bytes).to_vec(),
            "sha384" => sha2::Sha384::digest(bytes).to_vec(),
            _ => sha2::Sha256::digest(bytes).to_vec(),
        };
        let actual = base64::engine::general_purpose::STANDARD.encode(actual);
        if expected.contains(&actual.as_str()) {
            return Ok(());
        }
        bail!(
            "the download does not match its integrity hash: expected {algorithm}-{}, got {algorithm}-{actual}",
            expected[0]
        );
    }
    bail!("no sha512, sha384 or sha256 in the integrity value {integrity:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_checked_with_the_strongest_hash() {
        let sha512 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(b"x"));
        assert!(check_integrity(b"x", &format!("sha512-{sha512}")).is_ok());
        assert!(check_integrity(b"y", &format!("sha512-{sha512}")).is_err());
        // A weaker hash that matches does not excuse a stronger one that does not.
        let sha256 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"y"));
        assert!(check_integrity(b"y", &format!("sha256-{sha256} sha512-{sha512}")).is_err());
        assert!(check_integrity(b"x", "sha1-abc").is_err());
    }

    #[test]
    fn npmrc_settings() {
        let text =
            "# c\n registry = https://r.example/npm \n@typescript:registry=https://t.example/\n";
        assert_eq!(
            npmrc_value(text, "registry").unwrap(),
            "https://r.example/npm"
        );
        assert_eq!(
            npmrc_value(text, "@typescript:registry").unwrap(),
            "https://t.example/"
        );
        assert_eq!(npmrc_value("; registry=x", "registry"), None);
        assert_eq!(
            Registry::new("https://r.example/npm", "t")
                .document_url("@typescript/typescript-linux-x64"),
            "https://r.example/npm/@typescript%2ftypescript-linux-x64"
        );
    }
}

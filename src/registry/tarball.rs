//! Unpacking a `.tar.gz` from an untrusted source: every entry is a plain file or folder named
//! inside the destination (no absolute paths, no `..`, no links), and executable bits are kept
//! (a fetched compiler must run).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Unpack the gzipped tar read from `reader` into `dest`; `what` names it in errors.
/// With `strip_top`, the first path component of each entry is dropped (npm tarballs keep
/// everything under `package/`).
pub fn unpack(reader: impl Read, dest: &Path, what: &str, strip_top: bool) -> Result<()> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    archive.set_preserve_permissions(false);
    for entry in archive
        .entries()
        .with_context(|| format!("{what} is not a .tar.gz"))?
    {
        let mut entry = entry.with_context(|| format!("{what} is not a readable .tar.gz"))?;
        let path = entry
            .path()
            .with_context(|| format!("{what}: an entry's name is unreadable"))?
            .into_owned();
        if path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir)) {
            bail!(
                "{what}: the entry {} leads outside the archive",
                path.display()
            );
        }
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            bail!(
                "{what}: the entry {} is a link; only plain files are unpacked",
                path.display()
            );
        }
        if !(kind.is_file() || kind.is_dir()) {
            continue;
        }
        let relative: PathBuf = if strip_top {
            path.components().skip(1).collect()
        } else {
            path.clone()
        };
        if relative.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&relative);
        if kind.is_dir() {
            std::fs::create_dir_all(&target)
                .with_context(|| format!("creating {}", target.display()))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mode = entry.header().mode().unwrap_or(0o644);
        entry
            .unpack(&target)
            .with_context(|| format!("{what}: unpacking {}", path.display()))?;
        set_mode(&target, mode)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Only the permission bits that matter: readable by all, executable if it was.
    let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

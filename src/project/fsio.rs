//! File writes that never leave a half-written file: write a temporary file beside the
//! target, flush it to disk, then rename it over the target.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// How the temporary files of an atomic write are named, so one left by a killed command is
/// recognised and removed by the next command that takes the project's lock.
pub const TEMP_PREFIX: &str = ".edgespark-tmp-";

/// Writes several files, each atomically, renamed into place in the order given (so the last
/// one, e.g. a journal, appears only once the others are in place). The flushes to disk run
/// concurrently: they are most of the cost of a small write.
pub fn write_all_atomic(files: &[(PathBuf, &[u8])]) -> Result<()> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut tmp =
            temp_file_for(path, dir).with_context(|| format!("writing in {}", dir.display()))?;
        tmp.write_all(bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        temps.push(tmp);
    }
    std::thread::scope(|s| {
        for tmp in &temps {
            s.spawn(|| tmp.as_file().sync_data().ok());
        }
    });
    for (tmp, (path, _)) in temps.into_iter().zip(files) {
        tmp.persist(path)
            .with_context(|| format!("replacing {}", path.display()))?;
    }
    Ok(())
}

/// Writes one file atomically with mode 0600 (only its owner may read it), whatever it had.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // tempfile creates its files 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.as_file()
        .sync_data()
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// A temporary file that will carry the target's permissions once renamed: the existing file's,
/// else the usual 0644 (a temporary file alone would be 0600).
fn temp_file_for(path: &Path, dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    builder.tempfile_in(dir)
}

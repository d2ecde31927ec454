//! File writes that never leave a half-written file: write a temporary file beside the
//! target, flush it to disk, then rename it over the target.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use tempfile::NamedTempFile;

/// How the temporary files of an atomic write are named, so one left by a killed command is
/// recognised and removed by the next command that takes the project's lock.
pub const TEMP_PREFIX: &str = ".edgespark-tmp-";

/// Writes several files, each atomically, renamed into place in the order given (so the last
/// one, e.g. a journal, appears only once the others are in place). The flushes to disk run
/// concurrently: they are most of the cost of a small write. A target that is not a file (a
/// pipe, a terminal, `/dev/stdout`, `/dev/null`) is written in place, in its turn: a rename
/// would put a file where it was.
pub fn write_all_atomic(files: &[(PathBuf, &[u8])]) -> Result<()> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, _) in files {
        let Some(path) = landing(path) else {
            temps.push(None);
            continue;
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp =
            temp_file_for(&path, dir).with_context(|| format!("writing in {}", dir.display()))?;
        drop_cached_pages(&path);
        temps.push(Some((tmp, path)));
    }
    // The files' bytes go in on all threads: a bundle's source map is tens of megabytes to
    // copy into the page cache, and its code can go in meanwhile. (Stretches of one file
    // would not: the kernel writes to one file under its lock.)
    temps
        .par_iter()
        .zip(files)
        .try_for_each(|(temp, (_, bytes))| match temp {
            Some((tmp, path)) => (&mut tmp.as_file())
                .write_all(bytes)
                .with_context(|| format!("writing {}", path.display())),
            None => Ok(()),
        })?;
    std::thread::scope(|s| {
        for (tmp, _) in temps.iter().flatten() {
            s.spawn(|| tmp.as_file().sync_data().ok());
        }
    });
    for (temp, (path, bytes)) in temps.into_iter().zip(files) {
        match temp {
            Some((tmp, landing)) => {
                tmp.persist(&landing)
                    .with_context(|| format!("replacing {}", path.display()))?;
            }
            None => match std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(bytes))
            {
                // The reader has gone (`| head`): what it did not read, nobody asked for.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                written => written.with_context(|| format!("writing {}", path.display()))?,
            },
        }
    }
    Ok(())
}

/// Drops the file at `path` (the copy a write replaces) from the page cache: its pages were
/// flushed when it was written, so the file stays whole on disk, and the replacement's pages
/// reuse them at once. Otherwise the kernel finds fresh pages while the old ones are still held
/// and frees those at the rename; on a virtual machine that hands free memory back to its
/// host, a fresh page costs a fault on the host: writing a 12 MB bundle took 15-160 ms that
/// way, 5 ms after the drop. A file that cannot be opened has nothing to drop.
fn drop_cached_pages(path: &Path) {
    if let Ok(old) = std::fs::File::open(path) {
        rustix::fs::fadvise(&old, 0, None, rustix::fs::Advice::DontNeed).ok();
    }
}

/// The file a write to `path` replaces: the file a symlink leads to (renaming over the link
/// would replace the link), `path` itself when nothing is there yet; None when what is there
/// is not a file and is written in place.
fn landing(path: &Path) -> Option<PathBuf> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => None,
        Ok(m) if m.is_file() && path.is_symlink() => {
            Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        }
        _ => Some(path.to_path_buf()),
    }
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

#[cfg(test)]
mod tests {
    use super::write_all_atomic;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn a_symlink_keeps_pointing_at_the_file_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("real.js");
        let link = dir.path().join("link.js");
        std::fs::write(&file, "old").unwrap();
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_all_atomic(&[(link.clone(), b"new".as_slice())]).unwrap();
        assert!(link.is_symlink());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
    }

    #[test]
    fn a_pipe_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let written = write_all_atomic(&[(fifo.clone(), b"bundle".as_slice())]);
        let still_a_pipe = std::fs::symlink_metadata(&fifo)
            .map(|m| m.file_type().is_fifo())
            .unwrap_or(false);
        assert!(still_a_pipe, "the pipe was replaced by a file");
        written.unwrap();
        assert_eq!(reader.join().unwrap(), b"bundle");
    }

    #[test]
    fn a_pipe_closed_by_its_reader_is_not_an_error() {
        let (mut reader, writer) = std::io::pipe().unwrap();
        // Like `| head -c 100`: reads a little, then goes.
        let head = std::thread::spawn(move || {
            let mut first = [0u8; 100];
            std::io::Read::read_exact(&mut reader, &mut first).unwrap();
        });
        let fd = std::os::fd::AsRawFd::as_raw_fd(&writer);
        let path = std::path::PathBuf::from(format!("/proc/self/fd/{fd}"));
        // More than a pipe holds, so the write cannot finish before it sees the reader gone.
        let bytes = vec![b'x'; 1 << 20];
        write_all_atomic(&[(path, bytes.as_slice())]).unwrap();
        head.join().unwrap();
        drop(writer);
    }
}

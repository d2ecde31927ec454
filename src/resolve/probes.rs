//! The file system as the resolver sees it, with every look recorded: each path it asked about
//! (is it a file, a folder, a link; where does it lead) and each file it read (a hash of the
//! bytes), with what it found. Asking the same questions again later says whether resolving
//! again would come out the same: the build cache's test of the package.json files, tsconfigs
//! and files that are, or are not, where an import looks.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use oxc_resolver::{FileMetadata, FileSystem, FileSystemOs, ResolveError};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// What was asked about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Question {
    /// Its kind, links followed.
    Kind,
    /// Its kind, links not followed.
    OwnKind,
    /// Its bytes.
    Bytes,
    /// Where the link leads.
    LinkTarget,
    /// Its canonical path.
    Canonical,
}

/// One look: the question, the path, and the answer in words (`file`, `missing`, a hash, a
/// path), compared as a whole when the look is made again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub question: Question,
    pub path: PathBuf,
    pub answer: String,
}

impl Probe {
    /// Whether this look read a file's bytes (a package.json, a tsconfig): a file to watch.
    pub fn read_a_file(&self) -> bool {
        read_a_file(self.question, &self.answer)
    }

    /// Whether asking again gets the same answer.
    pub fn holds(&self) -> bool {
        answer(self.question, &self.path) == self.answer
    }
}

/// The answer the file system gives now.
fn answer(question: Question, path: &Path) -> String {
    match question {
        Question::Kind => kind_answer(&FileSystemOs::metadata(path)),
        Question::OwnKind => kind_answer(&FileSystemOs::symlink_metadata(path)),
        Question::Bytes => bytes_answer(&std::fs::read(path)),
        Question::LinkTarget => link_answer(&FileSystemOs::read_link(path)),
        Question::Canonical => path_answer(&FileSystemOs::canonicalize(path)),
    }
}

fn kind_answer(m: &io::Result<FileMetadata>) -> String {
    match m {
        Ok(m) if m.is_symlink() => "link".into(),
        Ok(m) if m.is_file() => "file".into(),
        Ok(m) if m.is_dir() => "folder".into(),
        Ok(_) => "other".into(),
        Err(e) => error_answer(e),
    }
}

fn bytes_answer(read: &io::Result<Vec<u8>>) -> String {
    match read {
        Ok(bytes) => blake3::hash(bytes).to_hex().to_string(),
        Err(e) => error_answer(e),
    }
}

fn link_answer(target: &Result<PathBuf, ResolveError>) -> String {
    match target {
        Ok(p) => format!("to {}", p.display()),
        Err(e) => format!("error {e}"),
    }
}

fn path_answer(p: &io::Result<PathBuf>) -> String {
    match p {
        Ok(p) => format!("to {}", p.display()),
        Err(e) => error_answer(e),
    }
}

fn error_answer(e: &io::Error) -> String {
    format!("error {:?}", e.kind())
}

/// The looks one resolver made, each path and question once.
pub type Log = Arc<Mutex<FxHashMap<(Question, PathBuf), String>>>;

/// The operating system's file system, every look recorded in `log`; what is in a folder asked
/// about often is answered from its listing.
#[derive(Default)]
pub struct RecordingFs {
    pub log: Log,
    listings: super::listings::Listings,
}

impl RecordingFs {
    /// A file system whose looks go into `log`.
    pub fn recording_in(log: Log) -> RecordingFs {
        RecordingFs {
            log,
            listings: Default::default(),
        }
    }

    fn note(&self, question: Question, path: &Path, answer: String) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((question, path.to_path_buf()), answer);
    }
}

fn read_a_file(question: Question, answer: &str) -> bool {
    question == Question::Bytes && !answer.starts_with("error")
}

/// The files whose bytes were read (the resolver's package.json files and tsconfigs).
pub fn files_read(log: &Log) -> Vec<PathBuf> {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    let mut files: Vec<PathBuf> = log
        .iter()
        .filter(|((question, _), answer)| read_a_file(*question, answer))
        .map(|((_, path), _)| path.clone())
        .collect();
    files.sort();
    files
}

/// The looks in `log`, in the order of their paths' bytes (a stable record; a path's own
/// order compares it component by component, which took most of a large build's cache store).
pub fn probes_of(log: &Log) -> Vec<Probe> {
    let mut probes: Vec<Probe> = log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|((question, path), answer)| Probe {
            question: *question,
            path: path.clone(),
            answer: answer.clone(),
        })
        .collect();
    // Each (question, path) is looked at once: the order is total.
    probes.sort_unstable_by(|a, b| {
        (a.path.as_os_str().as_encoded_bytes(), a.question)
            .cmp(&(b.path.as_os_str().as_encoded_bytes(), b.question))
    });
    probes
}

impl FileSystem for RecordingFs {
    fn new() -> Self {
        RecordingFs::default()
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let read = std::fs::read(path);
        self.note(Question::Bytes, path, bytes_answer(&read));
        read
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        FileSystemOs::validate_string(self.read(path)?)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        // A link's listing says where it is, not what it leads to: asked of the system.
        let m = match self.listings.own_kind(path) {
            Some(Ok(kind)) if !kind.is_symlink() => Ok(kind),
            Some(Err(missing)) => Err(missing),
            _ => FileSystemOs::metadata(path),
        };
        self.note(Question::Kind, path, kind_answer(&m));
        m
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        let m =
            (self.listings.own_kind(path)).unwrap_or_else(|| FileSystemOs::symlink_metadata(path));
        self.note(Question::OwnKind, path, kind_answer(&m));
        m
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        let target = FileSystemOs::read_link(path);
        self.note(Question::LinkTarget, path, link_answer(&target));
        target
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let p = FileSystemOs::canonicalize(path);
        self.note(Question::Canonical, path, path_answer(&p));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_holds_until_what_it_saw_changes() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RecordingFs::default();
        let (pkg, missing) = (dir.path().join("package.json"), dir.path().join("x.ts"));
        std::fs::write(&pkg, "{}").unwrap();
        fs.read_to_string(&pkg).unwrap();
        assert!(fs.metadata(&missing).is_err());
        let probes = probes_of(&fs.log);
        assert_eq!(probes.len(), 2);
        assert!(probes.iter().all(Probe::holds));
        std::fs::write(&missing, "").unwrap();
        std::fs::write(&pkg, "{\"type\":\"module\"}").unwrap();
        assert!(probes.iter().all(|p| !p.holds()));
    }
}

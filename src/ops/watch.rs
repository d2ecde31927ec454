//! `--watch`: a build run again whenever a file in the folders of its inputs changes (the
//! `notify` crate: inotify, FSEvents, ...). The folders are those of the last build's module
//! graph (installed packages left out), so a file the app starts importing is watched from the
//! build that first reads it; a build that fails keeps the folders it had.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{EventKind, RecursiveMode, Watcher};

/// Changes closer together than this are one rebuild (an editor's save is several events).
const SETTLE: Duration = Duration::from_millis(30);

/// What one build read and wrote.
pub struct Built {
    /// The files its module graph read; None when it failed before knowing them.
    pub inputs: Option<Vec<PathBuf>>,
    /// The files it wrote (bundles, source maps, copied files): their changes are not changes
    /// to the inputs, nor are the temporary files of an atomic write.
    pub written: Vec<PathBuf>,
}

/// What changed before a build, for what the build may keep of the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Only the contents of these files, none of them JSON (a package.json, a tsconfig):
    /// every import still means the file it meant, and every other file is as it was.
    Contents(BTreeSet<PathBuf>),
    /// Files appeared, went or were renamed, or a package.json or tsconfig changed (or this is
    /// the first build): imports are resolved afresh.
    Layout,
}

/// Run `build` now and after every change, forever; before the first build knows its inputs,
/// the folders of `start` (the entry points) are watched.
pub fn watch(mut build: impl FnMut(Change) -> Built, start: &[PathBuf]) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .context("starting to watch files")?;
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    let mut folders = folders_of(start);
    let mut inputs: BTreeSet<PathBuf> = start.iter().filter_map(|p| absolute(p)).collect();
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    let mut change = Change::Layout;
    loop {
        // Changes already reported are in what this build reads: not a reason for another,
        // but what they were still says what the build may keep.
        while let Ok(event) = rx.try_recv() {
            change = change.and(&event, &written);
        }
        let started = std::time::SystemTime::now();
        let built = build(std::mem::replace(
            &mut change,
            Change::Contents(BTreeSet::new()),
        ));
        if let Some(read) = &built.inputs {
            folders = folders_of(read);
            inputs = read.iter().filter_map(|p| absolute(p)).collect();
        }
        written = built.written.iter().filter_map(|p| absolute(p)).collect();
        for gone in watched.difference(&folders) {
            let _ = watcher.unwatch(gone);
        }
        for dir in folders.difference(&watched) {
            watcher
                .watch(dir, RecursiveMode::NonRecursive)
                .with_context(|| format!("watching {}", dir.display()))?;
            // A file that appeared there during the build, before the watch, made no event.
            change = Change::Layout;
        }
        watched = folders.clone();
        // A change made while the build ran, before the folders were watched, is not missed.
        if changed_since(&inputs, &written, started) {
            continue;
        }
        // Wait for a change to something other than what the build wrote, then for the burst
        // of events around it to end.
        loop {
            let event = rx.recv().context("the file watcher stopped")?;
            change = change.and(&event, &written);
            if let Ok(event) = event
                && changes_input(&event, &inputs, &written)
            {
                break;
            }
        }
        while let Ok(event) = rx.recv_timeout(SETTLE) {
            change = change.and(&event, &written);
        }
    }
}

impl Change {
    /// The files whose contents changed, when nothing else did (see `Session`).
    pub fn contents(&self) -> Option<&BTreeSet<PathBuf>> {
        match self {
            Change::Contents(files) => Some(files),
            Change::Layout => None,
        }
    }

    /// This change and `event` together (a file the build wrote, or an atomic write's
    /// temporary file, changes nothing; an error from the watcher might have been anything,
    /// and so might an event that names no file).
    fn and(self, event: &notify::Result<notify::Event>, written: &BTreeSet<PathBuf>) -> Change {
        let Ok(event) = event else {
            return Change::Layout;
        };
        // A file opened, read or closed changed nothing (the build's own reads are such
        // events); one closed after writing did, as its modification says as well.
        if let EventKind::Access(access) = event.kind
            && access != notify::event::AccessKind::Close(notify::event::AccessMode::Write)
        {
            return self;
        }
        if event.paths.is_empty() {
            return Change::Layout;
        }
        let moves = moves_files(&event.kind);
        let layout = event.paths.iter().any(|p| {
            // package.json files, tsconfigs and whatever they extend (JSON modules too: rare).
            let resolution_input = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".json"));
            !the_builds_own(p, written) && (moves || resolution_input)
        });
        match self {
            Change::Contents(mut files) if !layout => {
                // Named as the watched folder names it, and by its real path (the module
                // graph's name for it when a link led there).
                for p in event.paths.iter().filter(|p| !the_builds_own(p, written)) {
                    files.extend(absolute(p));
                    files.extend(p.canonicalize().ok());
                }
                Change::Contents(files)
            }
            _ => Change::Layout,
        }
    }
}

/// Whether an event of this kind made, removed or renamed a file.
fn moves_files(kind: &EventKind) -> bool {
    use notify::event::ModifyKind;
    matches!(
        kind,
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
    )
}

/// A file the build wrote, or an atomic write's temporary file.
fn the_builds_own(p: &Path, written: &BTreeSet<PathBuf>) -> bool {
    let temporary = p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(crate::project::fsio::TEMP_PREFIX));
    temporary || absolute(p).is_some_and(|p| written.contains(&p))
}

/// An input's content changed, or a file appeared, went or was renamed (an import that did not
/// resolve may now): not a file the build wrote, nor an atomic write's temporary file.
fn changes_input(
    event: &notify::Event,
    inputs: &BTreeSet<PathBuf>,
    written: &BTreeSet<PathBuf>,
) -> bool {
    let any_file = moves_files(&event.kind);
    if !any_file && !matches!(event.kind, EventKind::Modify(_)) {
        return false;
    }
    event.paths.iter().any(|p| {
        absolute(p)
            .is_some_and(|abs| !the_builds_own(p, written) && (any_file || inputs.contains(&abs)))
    })
}

/// Whether an input was modified at or after `time` (the build's files are not inputs).
fn changed_since(
    inputs: &BTreeSet<PathBuf>,
    written: &BTreeSet<PathBuf>,
    time: std::time::SystemTime,
) -> bool {
    inputs.iter().filter(|p| !written.contains(*p)).any(|p| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|m| m >= time)
    })
}

/// The folders holding `files`, but those of installed packages.
fn folders_of(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    files
        .iter()
        .filter(|f| !crate::resolve::in_package(f))
        .filter_map(|f| absolute(f)?.parent().map(Path::to_path_buf))
        .filter(|d| d.is_dir())
        .collect()
}

fn absolute(p: &Path) -> Option<PathBuf> {
    crate::project::paths::absolute(p).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind};

    fn event(kind: EventKind, path: &Path) -> notify::Result<notify::Event> {
        Ok(notify::Event::new(kind).add_path(path.to_path_buf()))
    }

    /// A build reads its tsconfig and sources (inotify reports each open): that is no change,
    /// and above all not one that makes the next build resolve every import afresh.
    #[test]
    fn files_read_change_nothing_and_files_written_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let (tsconfig, route) = (dir.join("tsconfig.json"), dir.join("route.ts"));
        std::fs::write(&tsconfig, "{}").unwrap();
        std::fs::write(&route, "export {}").unwrap();
        let none = BTreeSet::new();
        let start = Change::Contents(BTreeSet::new());
        let opened = EventKind::Access(AccessKind::Open(AccessMode::Any));
        let read = start
            .clone()
            .and(&event(opened, &tsconfig), &none)
            .and(&event(opened, &route), &none);
        assert_eq!(read, start);
        let written = read.and(
            &event(EventKind::Modify(ModifyKind::Data(DataChange::Any)), &route),
            &none,
        );
        assert_eq!(written, Change::Contents(BTreeSet::from([route.clone()])));
        // A tsconfig written, a file made: imports may mean other files now.
        let modified = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert_eq!(
            written.clone().and(&event(modified, &tsconfig), &none),
            Change::Layout
        );
        let made = EventKind::Create(CreateKind::File);
        assert_eq!(
            written.and(&event(made, &dir.join("new.ts")), &none),
            Change::Layout
        );
    }
}

//! Folder listings: the resolver asks of each candidate for an import whether it is there and
//! what it is (`./routes/r17`, then `r17.tsx`, `r17.ts`...), a system call each. A folder asked
//! about more than once is read once instead, and the rest answered from its listing, as
//! esbuild does (a thousand route files: 3,000 calls become one listing).

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use oxc_resolver::FileMetadata;
use rustc_hash::{FxHashMap, FxHashSet};

/// What is known of one folder.
enum Folder {
    /// Asked about once, not read: one question alone costs less than a read.
    AskedOnce,
    Listed(Arc<Listing>),
    /// Not there: nothing in it is.
    Missing,
    /// Could not be read as a folder (not one, no permission): its entries are asked of the
    /// system.
    Unreadable,
}

/// A folder's entries, each with its kind (links not followed).
struct Listing {
    kinds: FxHashMap<OsString, FileMetadata>,
    /// The names in ASCII lower case: a name found only this way is asked of the system (the
    /// folder may ignore case, and would find it).
    lower: FxHashSet<String>,
}

/// The listings read so far by one resolver.
#[derive(Default)]
pub struct Listings(Mutex<FxHashMap<PathBuf, Folder>>);

impl Listings {
    /// What `path` is, links not followed, from its folder's listing; None: ask the system.
    /// Only on Linux: elsewhere file systems commonly ignore case and normalize Unicode in
    /// names, and only the system knows which names it takes as the same.
    pub fn own_kind(&self, path: &Path) -> Option<io::Result<FileMetadata>> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let (dir, name) = (path.parent()?, path.file_name()?);
        // Only `folder/name` itself: `name/.` or `name/` would ask what is below it (a file's
        // is an error), and a relative path's folder is the working directory.
        let raw = path.as_os_str().as_encoded_bytes();
        let name_bytes = name.as_encoded_bytes();
        if !path.is_absolute()
            || !raw.ends_with(name_bytes)
            || !raw[..raw.len() - name_bytes.len()].ends_with(b"/")
        {
            return None;
        }
        let listing = match self.folder(dir)? {
            Some(listing) => listing,
            None => return Some(Err(io::ErrorKind::NotFound.into())),
        };
        let ascii = name.to_str().filter(|n| n.is_ascii());
        match (listing.kinds.get(name), ascii) {
            (Some(&kind), _) => Some(Ok(kind)),
            // A folder that ignores case (Linux can have them) would find it: the system says.
            (None, Some(n)) if !listing.lower.contains(&n.to_ascii_lowercase()) => {
                Some(Err(io::ErrorKind::NotFound.into()))
            }
            // A name another spelling of which is there, or one with other than ASCII
            // characters (a folder may take two Unicode spellings as one).
            (None, _) => None,
        }
    }

    /// `dir`'s listing (`Some(None)`: there is no such folder), or None when it is not to be
    /// read (this is the first question about it) or cannot be.
    fn folder(&self, dir: &Path) -> Option<Option<Arc<Listing>>> {
        {
            let mut folders = self.0.lock().unwrap_or_else(|e| e.into_inner());
            match folders.get(dir) {
                Some(Folder::Listed(listing)) => return Some(Some(listing.clone())),
                Some(Folder::Missing) => return Some(None),
                Some(Folder::Unreadable) => return None,
                Some(Folder::AskedOnce) => {}
                None => {
                    folders.insert(dir.to_path_buf(), Folder::AskedOnce);
                    return None;
                }
            }
        }
        // Read without the lock: two threads may both read it, and either listing is right.
        let folder = read(dir);
        let found = match &folder {
            Folder::Listed(listing) => Some(Some(listing.clone())),
            Folder::Missing => Some(None),
            _ => None,
        };
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_path_buf(), folder);
        found
    }
}

fn read(dir: &Path) -> Folder {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Folder::Missing,
        Err(_) => return Folder::Unreadable,
    };
    let mut kinds = FxHashMap::default();
    let mut lower = FxHashSet::default();
    for entry in entries {
        // A listing cut short says nothing of what it did not reach.
        let Ok(entry) = entry else {
            return Folder::Unreadable;
        };
        // From the listing itself where the file system gives kinds there; else one look.
        let Ok(kind) = entry.file_type() else {
            return Folder::Unreadable;
        };
        let name = entry.file_name();
        lower.insert(name.to_string_lossy().to_ascii_lowercase());
        let kind = FileMetadata::new(kind.is_file(), kind.is_dir(), kind.is_symlink());
        kinds.insert(name, kind);
    }
    Folder::Listed(Arc::new(Listing { kinds, lower }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxc_resolver::FileSystemOs;

    /// Every answer from a listing is the one the system gives: files, folders, links, names
    /// that are not there, in a folder that is not there, and below a file.
    #[test]
    fn a_listing_answers_as_the_system_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.ts"), "").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a.ts"), root.join("link.ts")).unwrap();
        let listings = Listings::default();
        let asked = [
            "a.ts",
            "a.tsx",
            "sub",
            "link.ts",
            "missing",
            "nowhere/x.ts",
            "a.ts/x",
            "a.ts/.",
            "a.ts/",
            "sub/.",
        ];
        let show = |m: &io::Result<FileMetadata>| match m {
            Ok(m) => format!("{} {} {}", m.is_file(), m.is_dir(), m.is_symlink()),
            Err(e) => format!("{:?}", e.kind()),
        };
        // Over again: a folder's first look goes to the system, the later ones to its listing.
        for _ in 0..3 {
            for a in asked {
                let path = root.join(a);
                if let Some(ours) = listings.own_kind(&path) {
                    assert_eq!(
                        show(&ours),
                        show(&FileSystemOs::symlink_metadata(&path)),
                        "{a}"
                    );
                }
            }
        }
        if cfg!(target_os = "linux") {
            assert!(
                listings.own_kind(&root.join("a.tsx")).is_some(),
                "answered from the listing"
            );
        }
        // A name that differs only in case, or is not ASCII, is left to the system.
        assert!(listings.own_kind(&root.join("A.ts")).is_none());
        assert!(listings.own_kind(&root.join("é.ts")).is_none());
    }
}

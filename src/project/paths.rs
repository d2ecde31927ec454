//! The one rule for names and paths that come from user input (bucket names, migration tags,
//! output files): each is checked against the naming rules of its kind, and anything joined onto
//! a directory or removed from one must stay inside it once symlinks are resolved. A bucket
//! named `..` once deleted the whole local platform; these checks are why it cannot again.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Why `name` is not a valid R2 bucket name (3–63 characters: lowercase letters, digits and
/// hyphens, a letter or digit at each end), or None when it is.
pub fn bucket_name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !(3..=63).contains(&len) {
        return Some(format!(
            "a bucket name has 3 to 63 characters; {:?} has {len}",
            name
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "a bucket name holds only lowercase letters, digits and hyphens; {:?} holds {:?}",
            name, c
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some(format!(
            "a bucket name starts and ends with a letter or digit; {:?} does not",
            name
        ));
    }
    None
}

/// Why `tag` cannot name a migration (`NNNN_<tag>.sql`), or None when it can: letters, digits,
/// `_` and `-` only, so a tag is one file name in `drizzle/` and never a path.
pub fn migration_tag_problem(tag: &str) -> Option<String> {
    if tag.is_empty() {
        return Some("a migration name is empty".into());
    }
    if tag.len() > 200 {
        return Some(format!(
            "a migration name has at most 200 characters; this one has {}",
            tag.len()
        ));
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(format!(
            "a migration name holds only letters, digits, `_` and `-`; {:?} holds {:?}",
            tag, c
        ));
    }
    None
}

/// Why a tag read from a journal cannot name a file in the migrations folder, or None: looser
/// than a new name (histories made by drizzle-kit may hold any file name), but never a path.
pub fn journal_tag_problem(tag: &str) -> Option<String> {
    if tag.is_empty()
        || tag.starts_with('.')
        || tag.contains(['/', '\\'])
        || tag.chars().any(char::is_control)
    {
        return Some(format!("{tag:?} is not a plain file name"));
    }
    None
}

/// `dir` joined with `name`, a single file name (no separator, not `.` or `..`, not absolute).
pub fn child(dir: &Path, name: &str) -> Result<PathBuf> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) if !name.contains(['/', '\\', '\0']) => {
            Ok(dir.join(name))
        }
        _ => bail!("{name:?} is not a file name inside {}", dir.display()),
    }
}

/// `path` with `.` and `..` taken out lexically and made absolute (the file need not exist).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    let path =
        std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `to` relative to the folder `from`, both absolute and normalized, with `/` separators:
/// `../src/a.ts` (empty when they are the same).
pub fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

/// `relative_path` with a leading `./` or `../` (as tsconfig wants relative paths written),
/// `.` for the folder itself.
pub fn relative(from: &Path, to: &Path) -> String {
    let path = relative_path(from, to);
    if path.is_empty() {
        ".".to_string()
    } else if path == ".." || path.starts_with("../") {
        path
    } else {
        format!("./{path}")
    }
}

/// `path` with every symlink resolved, even when its last parts do not exist yet.
pub fn resolved(path: &Path) -> Result<PathBuf> {
    let path = absolute(path)?;
    let mut existing = path.as_path();
    let mut rest = vec![];
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = match existing.canonicalize() {
        Ok(out) => out,
        // A pipe or socket reached through `/dev/stdout` (its link names no path): itself.
        Err(_)
            if rest.is_empty()
                && std::fs::metadata(existing).is_ok_and(|m| !m.is_file() && !m.is_dir()) =>
        {
            return Ok(path);
        }
        Err(e) => return Err(e).with_context(|| format!("resolving {}", existing.display())),
    };
    out.extend(rest.iter().rev());
    Ok(out)
}

/// Removes the directory `dir` and everything in it, only if it lies strictly below `root`
/// once symlinks are resolved (a symlink `dir` is removed as a link, its target untouched).
pub fn remove_dir_below(root: &Path, dir: &Path) -> Result<()> {
    let root = root
        .canonicalize()
        .with_context(|| format!("resolving {}", root.display()))?;
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let parent = dir
        .parent()
        .with_context(|| format!("{} has no parent", dir.display()))?;
    let name = dir
        .file_name()
        .with_context(|| format!("{} has no name", dir.display()))?;
    let target = parent
        .canonicalize()
        .with_context(|| format!("resolving {}", parent.display()))?
        .join(name);
    if target == root
        || !target.starts_with(&root)
        || matches!(
            Path::new(name).components().next(),
            Some(Component::ParentDir | Component::CurDir)
        )
    {
        bail!(
            "refusing to remove {}: it is not inside {}",
            dir.display(),
            root.display()
        );
    }
    if meta.file_type().is_symlink() || meta.is_file() {
        std::fs::remove_file(&target).with_context(|| format!("removing {}", target.display()))
    } else {
        std::fs::remove_dir_all(&target).with_context(|| format!("removing {}", target.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_r2s_rules() {
        for ok in ["abc", "my-bucket-1", "a1b", &"a".repeat(63)] {
            assert_eq!(bucket_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "ab",
            "../../x",
            "/tmp/x",
            "-abc",
            "abc-",
            "ABC",
            "a_b",
            "a.b",
            &"a".repeat(64),
            "abc/def",
        ] {
            assert!(bucket_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn migration_tags_are_file_names() {
        assert_eq!(migration_tag_problem("add_users-2"), None);
        for bad in [
            "", "../evil", "a/b", "a\nb", "a b", ".", "..", "a\\b", "a\0b",
        ] {
            assert!(migration_tag_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn child_refuses_paths() {
        let d = Path::new("/d");
        assert_eq!(child(d, "x.sql").unwrap(), Path::new("/d/x.sql"));
        for bad in ["", ".", "..", "../x", "a/b", "/abs"] {
            assert!(child(d, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn removal_stays_below_its_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("buckets");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("b1/sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        assert!(remove_dir_below(&root, &root.join("..")).is_err());
        assert!(remove_dir_below(&root, &root.join(".")).is_err());
        assert!(remove_dir_below(&root, &root).is_err());
        assert!(remove_dir_below(&root, &outside).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
            remove_dir_below(&root, &root.join("link")).unwrap();
            assert!(
                outside.join("keep").is_file(),
                "a symlinked bucket's target is untouched"
            );
        }
        remove_dir_below(&root, &root.join("b1")).unwrap();
        assert!(!root.join("b1").exists() && root.is_dir());
    }
}

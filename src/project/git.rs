//! The git facts `db migrate` needs: the checked-out branch and the repository's default branch,
//! read from the `.git` directory itself (no git binary).

use std::path::{Path, PathBuf};

/// What HEAD points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    Branch(String),
    Detached,
}

/// A repository's git directory (where HEAD is) and common directory (where refs are; they differ
/// in a linked worktree).
#[derive(Debug)]
pub struct Repo {
    git_dir: PathBuf,
    common_dir: PathBuf,
}

impl Repo {
    /// The repository holding `dir`, searching upward; None when `dir` is not in one.
    pub fn find(dir: &Path) -> Option<Repo> {
        let dot_git = dir
            .ancestors()
            .map(|a| a.join(".git"))
            .find(|p| p.exists())?;
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else {
            // A worktree or submodule: `.git` is a file "gitdir: <path>".
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            dot_git.parent()?.join(target)
        };
        let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(rel) => git_dir.join(rel.trim()),
            Err(_) => git_dir.clone(),
        };
        Some(Repo {
            git_dir,
            common_dir,
        })
    }

    pub fn head(&self) -> Option<Head> {
        let text = std::fs::read_to_string(self.git_dir.join("HEAD")).ok()?;
        Some(match text.trim().strip_prefix("ref: refs/heads/") {
            Some(branch) => Head::Branch(branch.to_string()),
            None => Head::Detached,
        })
    }

    /// The default branch: what `origin/HEAD` points at, else the one of `main`/`master` that
    /// exists locally. None when that does not settle it.
    pub fn default_branch(&self) -> Option<String> {
        if let Ok(text) = std::fs::read_to_string(self.common_dir.join("refs/remotes/origin/HEAD"))
            && let Some(b) = text.trim().strip_prefix("ref: refs/remotes/origin/")
        {
            return Some(b.to_string());
        }
        let present: Vec<&str> = ["main", "master"]
            .into_iter()
            .filter(|b| self.has_branch(b))
            .collect();
        match present.as_slice() {
            [one] => Some(one.to_string()),
            _ => None,
        }
    }

    fn has_branch(&self, name: &str) -> bool {
        let full = format!("refs/heads/{name}");
        self.common_dir.join(&full).is_file()
            || std::fs::read_to_string(self.common_dir.join("packed-refs")).is_ok_and(|p| {
                p.lines()
                    .any(|l| l.split_whitespace().nth(1) == Some(full.as_str()))
            })
    }
}

/// What the branch rule says: migrations are applied from the default branch only (or
/// `[db] migration_branch`), so a feature branch cannot change the shared database.
#[derive(Debug, PartialEq, Eq)]
pub enum BranchRule {
    /// On the branch, or outside a git repository (where the rule does not apply).
    Allowed,
    /// Not on the branch: why.
    Refused(String),
    /// The default branch could not be told (the caller warns).
    DefaultUnknown,
}

/// Whether `db migrate` may run in the checkout at `project_root`.
pub fn migration_branch_rule(project_root: &Path, configured: Option<&str>) -> BranchRule {
    let Some(repo) = Repo::find(project_root) else {
        return BranchRule::Allowed;
    };
    let expected = match configured
        .map(str::to_string)
        .or_else(|| repo.default_branch())
    {
        Some(b) => b,
        None => return BranchRule::DefaultUnknown,
    };
    match repo.head() {
        Some(Head::Branch(b)) if b == expected => BranchRule::Allowed,
        Some(Head::Branch(b)) => BranchRule::Refused(format!(
            "db migrate runs only on the branch `{expected}`, and `{b}` is checked out \
             (set [db] migration_branch in edgespark.toml to choose another branch)"
        )),
        _ => BranchRule::Refused(format!(
            "db migrate runs only on the branch `{expected}`, and HEAD is detached; check out `{expected}` first"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(head: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), head).unwrap();
        for (path, text) in files {
            let p = git.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn default_branch_from_origin_head_then_local_branches() {
        let d = repo(
            "ref: refs/heads/dev\n",
            &[(
                "refs/remotes/origin/HEAD",
                "ref: refs/remotes/origin/trunk\n",
            )],
        );
        let r = Repo::find(&d.path().join("server")).unwrap();
        assert_eq!(r.default_branch().as_deref(), Some("trunk"));
        assert_eq!(r.head(), Some(Head::Branch("dev".into())));
        let d = repo(
            "ref: refs/heads/main\n",
            &[("packed-refs", "# pack\nabc refs/heads/master\n")],
        );
        assert_eq!(
            Repo::find(d.path()).unwrap().default_branch().as_deref(),
            Some("master")
        );
        let d = repo("ref: refs/heads/x\n", &[]);
        assert_eq!(Repo::find(d.path()).unwrap().default_branch(), None);
    }

    #[test]
    fn the_rule() {
        let d = repo("ref: refs/heads/feature\n", &[("refs/heads/main", "abc\n")]);
        let BranchRule::Refused(err) = migration_branch_rule(d.path(), None) else {
            panic!("allowed on a feature branch");
        };
        assert!(err.contains("`main`") && err.contains("`feature`"), "{err}");
        let rule = migration_branch_rule(d.path(), Some("feature"));
        assert_eq!(rule, BranchRule::Allowed);
        let d = repo("0123456789abcdef\n", &[("refs/heads/main", "abc\n")]);
        assert!(matches!(
            migration_branch_rule(d.path(), None),
            BranchRule::Refused(e) if e.contains("detached")
        ));
        let d = repo("ref: refs/heads/feature\n", &[]);
        let rule = migration_branch_rule(d.path(), None);
        assert_eq!(rule, BranchRule::DefaultUnknown);
    }
}

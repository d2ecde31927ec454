//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of real drizzle-kit histories (beside the repository, as in CI).
pub fn corpus() -> PathBuf {
    let p = repo().join("../shared/corpus/migrations");
    assert!(p.is_dir(), "the migration corpus is missing at {}", p.display());
    p
}

pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_edgespark"))
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin().arg("-C").arg(dir).args(args).env("NO_COLOR", "1").output().expect("the binary runs")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A minimal EdgeSpark project around a migrations folder.
pub fn project_with_migrations(migrations: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edgespark.toml"), "project_id = \"test\"\n[server]\npath = \"server\"\n").unwrap();
    copy_dir(migrations, &dir.path().join("server/drizzle"));
    dir
}

/// Every file under `dir` with its bytes, to prove a failed command changed nothing.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p, out) } else { out.push((p.clone(), std::fs::read(&p).unwrap())) }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

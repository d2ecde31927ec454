//! `init --template`: a new project copied from a template on disk, a folder or a `.tar.gz`
//! (as GitHub serves them: the project may sit in the archive's one top folder). What is
//! specific to the template's own environment is left out (local state, installed packages,
//! build output, git, local databases); its migrations and generated files are kept. Archive
//! entries are names inside the project, never paths out of it, and links are refused.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Folders and files a template's copy leaves out.
const LEFT_OUT_DIRS: &[&str] = &[
    ".edgespark",
    "node_modules",
    "dist",
    ".git",
    ".wrangler",
    ".turbo",
];
const LEFT_OUT_EXTENSIONS: &[&str] = &["sqlite", "sqlite3", "sqlite-wal", "sqlite-shm", "db"];

/// The official templates, each a folder of `github:edgesparkhq/official-templates`.
pub const OFFICIAL: &[&str] = &[
    "fullstack",
    "bounty-tasks",
    "flappy-bird-3d",
    "waitlist-admin",
    "login-aurora-split",
    "login-editorial-center",
    "login-frosted-glass",
    "login-terminal-cli",
];
const OFFICIAL_REPO: &str = "edgesparkhq/official-templates";

/// Where a template comes from.
#[derive(Debug, PartialEq)]
pub enum Source {
    Dir(PathBuf),
    Tarball(PathBuf),
    /// A `.tar.gz` at a URL; the project is at `subdir` of the archive's one top folder when
    /// given (GitHub's layout), else at its top or in its one top folder.
    Remote {
        url: String,
        subdir: Option<String>,
    },
}

/// What `--template SRC` names: a folder or `.tar.gz` on disk, an official template's name,
/// `github:owner/repo[/subdir][#ref]`, or the URL of a `.tar.gz`.
pub fn source(spec: &str) -> Result<Source> {
    let path = PathBuf::from(spec);
    if path.is_dir() {
        return Ok(Source::Dir(path));
    }
    if path.is_file() && (spec.ends_with(".tar.gz") || spec.ends_with(".tgz")) {
        return Ok(Source::Tarball(path));
    }
    if path.exists() {
        bail!("--template {spec}: a template is a folder or a .tar.gz file");
    }
    if OFFICIAL.contains(&spec) {
        return github(&format!("{OFFICIAL_REPO}/{spec}"), spec);
    }
    if let Some(rest) = spec.strip_prefix("github:") {
        return github(rest, spec);
    }
    if spec.starts_with("https://") || is_local_http(spec) {
        return Ok(Source::Remote {
            url: spec.to_string(),
            subdir: None,
        });
    }
    if spec.starts_with("http://") {
        bail!("--template {spec}: templates are fetched over https");
    }
    bail!(
        "--template {spec}: no such folder or .tar.gz file; a template is a folder, a .tar.gz, an official name ({}), github:owner/repo[/dir][#ref] or an https:// URL of a .tar.gz",
        OFFICIAL.join(", ")
    )
}

/// Plain http only to this machine (a mirror or a test's stand-in).
fn is_local_http(url: &str) -> bool {
    [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
    ]
    .iter()
    .any(|p| url.starts_with(p))
}

/// `owner/repo[/subdir][#ref]` as the tarball GitHub's API serves (the default branch when
/// no ref is given). `EDGESPARK_GITHUB_API` points elsewhere (GitHub Enterprise).
fn github(rest: &str, spec: &str) -> Result<Source> {
    let (path, reference) = match rest.split_once('#') {
        Some((p, r)) if !r.is_empty() => (p, Some(r)),
        _ => (rest, None),
    };
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
        bail!("--template {spec}: expected github:owner/repo[/dir][#ref]");
    };
    let subdir: Vec<&str> = parts.collect();
    let name_ok = |s: &str| {
        !s.is_empty()
            && s != ".."
            && s != "."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if !name_ok(owner) || !name_ok(repo) || !subdir.iter().all(|s| name_ok(s)) {
        bail!("--template {spec}: not a GitHub owner/repo[/dir]");
    }
    let api = std::env::var("EDGESPARK_GITHUB_API")
        .unwrap_or_else(|_| "https://api.github.com".to_string());
    let mut url = format!("{}/repos/{owner}/{repo}/tarball", api.trim_end_matches('/'));
    if let Some(r) = reference {
        url.push('/');
        url.push_str(r);
    }
    Ok(Source::Remote {
        url,
        subdir: (!subdir.is_empty()).then(|| subdir.join("/")),
    })
}

/// Copy the template into `dest` (an empty folder), leaving out what `LEFT_OUT_*` name.
pub fn copy_into(source: &Source, dest: &Path) -> Result<()> {
    match source {
        Source::Dir(dir) => copy_dir(dir, dest),
        Source::Tarball(file) => {
            let reader =
                std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
            let unpacked = unpacked(reader, &file.display().to_string())?;
            copy_dir(&project_root(unpacked.path())?, dest)
        }
        Source::Remote { url, subdir } => {
            let bytes = crate::registry::http::get(url, None)
                .with_context(|| format!("downloading the template {url}"))?;
            let unpacked = unpacked(bytes.as_slice(), url)?;
            let root = match subdir {
                None => project_root(unpacked.path())?,
                Some(sub) => {
                    let top = only_folder(unpacked.path())
                        .with_context(|| format!("{url}: not a repository archive"))?;
                    let root = top.join(sub);
                    if !root.join(crate::project::CONFIG_FILE).is_file() {
                        bail!(
                            "{url}: the repository has no {} in {sub}/",
                            crate::project::CONFIG_FILE
                        );
                    }
                    root
                }
            };
            copy_dir(&root, dest)
        }
    }
}

/// The one folder at the top of `dir`, if that is all there is.
fn only_folder(dir: &Path) -> Option<PathBuf> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    match entries.as_slice() {
        [only] if only.is_dir() => Some(only.clone()),
        _ => None,
    }
}

/// The folder holding `edgespark.toml`: the archive's top, or its one top folder.
fn project_root(dir: &Path) -> Result<PathBuf> {
    if dir.join(crate::project::CONFIG_FILE).is_file() {
        return Ok(dir.to_path_buf());
    }
    match only_folder(dir) {
        Some(only) if only.join(crate::project::CONFIG_FILE).is_file() => Ok(only),
        _ => bail!(
            "the template has no {} at its top (nor in its one top folder)",
            crate::project::CONFIG_FILE
        ),
    }
}

/// The tar.gz `what` unpacked into a temporary folder (removed when dropped).
fn unpacked(reader: impl std::io::Read, what: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().context("making a folder to unpack the template in")?;
    crate::registry::tarball::unpack(reader, dir.path(), what, false)?;
    Ok(dir)
}

fn left_out(path: &Path, is_dir: bool) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if is_dir {
        return LEFT_OUT_DIRS.contains(&name);
    }
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LEFT_OUT_EXTENSIONS.contains(&e))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .with_context(|| format!("reading {}", from.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let kind = e.file_type()?;
        let path = e.path();
        // A link where installed packages would be is left out like them.
        if left_out(&path, kind.is_dir() || kind.is_symlink()) {
            continue;
        }
        if kind.is_symlink() {
            bail!(
                "the template holds a link, {}; templates are plain files",
                path.display()
            );
        }
        let target = to.join(e.file_name());
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

/// `edgespark.toml`'s text with `project_id` set to `id` (replaced where it is, else added at
/// the top), the rest of the file as it was.
pub fn with_project_id(toml_text: &str, id: &str) -> String {
    let mut out = String::new();
    let mut replaced = false;
    let mut in_table = false;
    for line in toml_text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        in_table |= trimmed.starts_with('[');
        let key = trimmed.split('=').next().unwrap_or("").trim();
        if !in_table && !replaced && key == "project_id" && trimmed.contains('=') {
            out.push_str(&format!("project_id = \"{id}\"\n"));
            replaced = true;
        } else {
            out.push_str(line);
        }
    }
    if replaced {
        out
    } else {
        format!("project_id = \"{id}\"\n{out}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_id_is_replaced_where_it_is() {
        let text = "# mine\nproject_id = \"REPLACED_ON_INIT\"\n\n[server]\npath = \"server\"\n";
        assert_eq!(
            with_project_id(text, "abc"),
            "# mine\nproject_id = \"abc\"\n\n[server]\npath = \"server\"\n"
        );
        assert_eq!(
            with_project_id("[server]\nproject_id = 1\n", "abc"),
            "project_id = \"abc\"\n[server]\nproject_id = 1\n"
        );
    }

    #[test]
    fn template_sources() {
        let repo = |url: &str, subdir: Option<&str>| Source::Remote {
            url: url.into(),
            subdir: subdir.map(String::from),
        };
        assert_eq!(
            source("fullstack").unwrap(),
            repo(
                "https://api.github.com/repos/edgesparkhq/official-templates/tarball",
                Some("fullstack")
            )
        );
        assert_eq!(
            source("github:acme/app/templates/blog#v2").unwrap(),
            repo(
                "https://api.github.com/repos/acme/app/tarball/v2",
                Some("templates/blog")
            )
        );
        assert_eq!(
            source("github:acme/app").unwrap(),
            repo("https://api.github.com/repos/acme/app/tarball", None)
        );
        assert_eq!(
            source("https://example.com/t.tar.gz").unwrap(),
            repo("https://example.com/t.tar.gz", None)
        );
        for bad in [
            "github:acme",
            "github:acme/../x",
            "http://example.com/t.tar.gz",
            "nope",
        ] {
            assert!(source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn what_is_left_out() {
        assert!(left_out(Path::new("a/node_modules"), true) && left_out(Path::new(".git"), true));
        assert!(
            left_out(Path::new("x/d1.sqlite"), false)
                && !left_out(Path::new("server/dist.ts"), false)
        );
        assert!(!left_out(Path::new("server/drizzle"), true));
    }
}

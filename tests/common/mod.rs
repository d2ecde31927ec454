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
    assert!(
        p.is_dir(),
        "the migration corpus is missing at {}",
        p.display()
    );
    p
}

/// The binary, kept off the network and out of the user's cache: the npm registry is a closed
/// port (a test that fetches serves its own) and the per-user cache is the tests' own.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_edgespark"));
    cmd.env("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/")
        .env("XDG_CACHE_HOME", repo().join("target/test-user-cache"));
    cmd
}

/// A folder holding only `tsc`, TypeScript 7's native compiler (from tests/scaffold's
/// lockfile): put on PATH, it is the compiler a type check finds there.
pub fn native_tsc_dir() -> PathBuf {
    let scaffold = repo().join("tests/scaffold");
    npm_ci(&scaffold);
    let dir = repo().join("target/test-native-tsc");
    let link = dir.join("tsc");
    if !link.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let target = scaffold.join("node_modules/@typescript/typescript-linux-x64/lib/tsc");
        // Tests run at once: one of them makes the link.
        let _ = std::os::unix::fs::symlink(target, &link);
    }
    dir
}

/// The command succeeded; when it did not, the failure shows its stderr.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// Write `text` to `root/path`, making its folders.
pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
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
    std::fs::write(
        dir.path().join("edgespark.toml"),
        "project_id = \"test\"\n[server]\npath = \"server\"\n",
    )
    .unwrap();
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
            // The local platform's (empty) lock file: any command that waits for others makes it.
            if p.ends_with(".edgespark/local/.lock") {
                continue;
            }
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()))
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

/// `npm ci` in `dir` from its committed lockfile, once per lockfile content (a stamp in
/// node_modules remembers it). The tests' npm packages: fixture apps' dependencies and the
/// oracles (esbuild, sql.js); the product itself never runs Node.
pub fn npm_ci(dir: &Path) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let lock = std::fs::read(dir.join("package-lock.json")).expect("a committed package-lock.json");
    let stamp_path = dir.join("node_modules/.edgespark-test-stamp");
    let stamp = format!("{:x}", sha2_digest(&lock));
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return;
    }
    let out = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .output()
        .expect("npm is installed (the tests install their npm packages with it)");
    assert!(
        out.status.success(),
        "npm ci in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp_path, stamp).unwrap();
}

fn sha2_digest(bytes: &[u8]) -> impl std::fmt::LowerHex {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    u128::from_be_bytes(d[..16].try_into().unwrap())
}

/// Copy a project, leaving out installed packages and build output; its node_modules become a
/// link to the original's.
pub fn copy_project(from: &Path, to: &Path) {
    fn walk(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            let target = to.join(&name);
            if name == "node_modules" {
                std::os::unix::fs::symlink(e.path(), &target).unwrap();
            } else if name == "dist" || name == ".edgespark" {
            } else if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    walk(from, to);
}

/// `node script args...` in `cwd`: stdout, plus the exit status and stderr when it failed.
pub fn node(cwd: &Path, script: &Path, args: &[&Path]) -> String {
    let out = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("node is installed (the tests' oracle)");
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        s.push_str(&format!(
            "exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    s
}

/// A local HTTP server standing in for a remote one (a registry, GitHub): it answers each
/// path from a table (status, extra headers, body; anything else is a 404) and records every
/// path asked for.
pub struct StandIn {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    listener: Option<std::net::TcpListener>,
}

pub type Reply = (u16, Vec<(String, String)>, Vec<u8>);

impl StandIn {
    /// Bound to a free port: `url` is known before the table is (bodies may name it).
    pub fn bind() -> StandIn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        StandIn {
            url: format!("http://{}/", listener.local_addr().unwrap()),
            requests: Default::default(),
            listener: Some(listener),
        }
    }

    pub fn serve(mut self, table: std::collections::HashMap<String, Reply>) -> StandIn {
        use std::io::{BufRead, Write};
        let listener = self.listener.take().unwrap();
        let seen = self.requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        _ if header.trim().is_empty() => break,
                        _ => {}
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push(path.clone());
                let key = table
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(&path))
                    .cloned();
                let (status, headers, body) =
                    key.map(|k| table[&k].clone())
                        .unwrap_or((404, vec![], b"not found".to_vec()));
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        self
    }
}

/// `dir`'s contents as a .tar.gz, each path under `prefix`.
pub fn tar_gz(dir: &Path, prefix: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        vec![],
        flate2::Compression::fast(),
    ));
    builder.follow_symlinks(false);
    builder.append_dir_all(prefix, dir).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

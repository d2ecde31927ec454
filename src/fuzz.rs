//! Fuzzing of every reader of user input, in the normal test suite: each target takes inputs
//! made by mutating real ones (the example app's files, the migration corpus, the bundler's
//! corpus cases) and must return a result, never panic. A mutation fuzzer without coverage
//! guidance; bounded by default (`EDGESPARK_FUZZ_ITERS` sets the executions per target, as in
//! the long runs the closing notes report). A panicking input is written to
//! `target/fuzz-crashes/` and fails the test; the ones found are kept in
//! `fixtures/fuzz-regressions/<target>/` and replayed on every run.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn iterations(default: usize) -> usize {
    std::env::var("EDGESPARK_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pieces worth inserting: brackets, quotes, bytes readers trip on, and the words each target
/// gives meaning to.
const DICTIONARY: &[&[u8]] = &[
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"`",
    b"${",
    b"\\",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\n",
    b";",
    b",",
    b":",
    b".",
    b"..",
    b"/",
    b"../",
    b"=>",
    b"...",
    b"-1",
    b"1e309",
    b"NaN",
    b"0x",
    b"//",
    b"/*",
    b"*/",
    b"--> statement-breakpoint",
    b"--",
    b"`x`",
    b"export ",
    b"const ",
    b"function ",
    b"return ",
    b"import ",
    b"from ",
    b"sqliteTable(",
    b"integer(",
    b"text(",
    b".primaryKey()",
    b".notNull()",
    b".default(",
    b".references(() => ",
    b"sql`",
    b"index(",
    b".on(",
    b"mode: ",
    b"{ mode: \"json\" }",
    b"CREATE TABLE ",
    b"DROP TABLE ",
    b"ALTER TABLE ",
    b" RENAME TO ",
    b"BEGIN",
    b"END",
    b"TRIGGER",
    b"PRAGMA ",
    b"\"idx\": ",
    b"\"tag\": ",
    b"\"prevId\": ",
    b"\"tables\": {}",
    b"null",
    b"true",
    b"enabled: ",
    b"  ",
    b"- ",
    b"&a ",
    b"*a",
    b"!!",
    b"? ",
    b"| ",
    b"never",
    b"require(",
    b"module.exports = ",
    b"export * from ",
    b"export default ",
    b"await ",
    b"async ",
    b"class ",
    b"#x",
    b"new ",
    b"eval(",
    b"with (",
    b"@dec ",
];

struct Mutator {
    rng: StdRng,
}

impl Mutator {
    fn mutate(&mut self, seed: &[u8], other: &[u8]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..self.rng.random_range(1..=4) {
            let len = data.len();
            let at = if len == 0 {
                0
            } else {
                self.rng.random_range(0..=len)
            };
            match self.rng.random_range(0..8) {
                0 if len > 0 => {
                    let i = self.rng.random_range(0..len);
                    data[i] ^= 1 << self.rng.random_range(0..8);
                }
                1 if len > 0 => {
                    let i = self.rng.random_range(0..len);
                    data[i] = self.rng.random();
                }
                2 | 3 => {
                    let piece = DICTIONARY[self.rng.random_range(0..DICTIONARY.len())];
                    data.splice(at..at, piece.iter().copied());
                }
                4 if len > 0 => {
                    let end = (at + self.rng.random_range(1..=32)).min(len);
                    data.drain(at.min(end)..end);
                }
                5 if len > 0 => {
                    let start = self.rng.random_range(0..len);
                    let end = (start + self.rng.random_range(1..=64)).min(len);
                    let piece = data[start..end].to_vec();
                    data.splice(at..at, piece);
                }
                6 => data.truncate(at),
                _ if !other.is_empty() => {
                    let start = self.rng.random_range(0..other.len());
                    let end = (start + self.rng.random_range(1..=128)).min(other.len());
                    data.splice(at..at, other[start..end].iter().copied());
                }
                _ => {}
            }
        }
        data
    }
}

/// Run `target` on the regressions kept for it, then on `iters` mutants of `seeds`; a panic
/// saves the input and fails.
fn fuzz(name: &str, seeds: &[Vec<u8>], default_iters: usize, mut target: impl FnMut(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    // As in main: a panic js::guard turns into an error is not printed.
    crate::parsing::guard::install_quiet_hook();
    let regressions = repo().join("fixtures/fuzz-regressions").join(name);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&regressions)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    (
                        e.path().display().to_string(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    inputs.sort();
    for (path, input) in &inputs {
        if std::panic::catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!("{name}: the regression input {path} panics again");
        }
    }
    let seed: u64 = std::env::var("EDGESPARK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let mut m = Mutator {
        rng: StdRng::seed_from_u64(seed ^ name.len() as u64),
    };
    let iters = iterations(default_iters);
    let started = std::time::Instant::now();
    for i in 0..iters {
        if i > 0 && i % 100_000 == 0 {
            eprintln!(
                "fuzz {name}: {i} executions in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let a = &seeds[m.rng.random_range(0..seeds.len())];
        let b = &seeds[m.rng.random_range(0..seeds.len())];
        let input = m.mutate(a, b);
        if std::panic::catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let dir = repo().join("target/fuzz-crashes").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(blake3::hash(&input).to_hex().as_str());
            std::fs::write(&file, &input).unwrap();
            panic!(
                "{name}: execution {i} panicked; input saved to {}",
                file.display()
            );
        }
    }
    if iters > 10_000 {
        eprintln!(
            "fuzz {name}: {iters} executions in {:.1} s, no panic",
            started.elapsed().as_secs_f64()
        );
    }
}

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, keep, out);
        } else if keep(&p) {
            out.push(std::fs::read(&p).unwrap());
        }
    }
}

fn seeds_named(dir: &Path, suffix: &str) -> Vec<Vec<u8>> {
    let mut out = vec![];
    files_under(dir, &|p| p.to_string_lossy().ends_with(suffix), &mut out);
    out
}

fn corpus() -> PathBuf {
    repo().join("../shared/corpus/migrations")
}

#[test]
fn fuzz_schema_reader() {
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = seeds_named(&repo().join("fixtures/app/server/src/defs"), ".ts");
    seeds.extend(seeds_named(&repo().join("tests/scaffold"), "db_schema.ts"));
    let file = dir.path().join("db_schema.ts");
    std::fs::write(
        dir.path().join("columns.ts"),
        std::fs::read(repo().join("fixtures/app/server/src/defs/columns.ts")).unwrap(),
    )
    .unwrap();
    fuzz("schema", &seeds, 300, |input| {
        std::fs::write(&file, input).unwrap();
        if let Ok(read) = crate::schema::read(&file, None) {
            let _ = crate::migrate::diff::diff(
                &Default::default(),
                &read.schema,
                &Default::default(),
                crate::migrate::diff::Mode::Fixed,
            );
        }
    });
}

#[test]
fn fuzz_journal_and_snapshot_readers() {
    let mut seeds = seeds_named(&corpus(), "_journal.json");
    seeds.extend(
        seeds_named(&corpus(), "_snapshot.json")
            .into_iter()
            .step_by(7),
    );
    let empty = crate::migrate::snapshot::Snapshot::empty();
    fuzz("journal_snapshot", &seeds, 1000, |input| {
        let Ok(text) = std::str::from_utf8(input) else {
            return;
        };
        if let Ok(j) = crate::migrate::journal::Journal::parse(text) {
            let _ = j.to_file_text();
        }
        if let Ok(s) = crate::migrate::snapshot::Snapshot::parse(text) {
            let decisions = crate::migrate::diff::Decisions {
                default_create: true,
                ..Default::default()
            };
            let _ = crate::migrate::diff::diff(
                &empty.schema,
                &s.schema,
                &decisions,
                crate::migrate::diff::Mode::Fixed,
            );
            let _ = crate::migrate::diff::diff(
                &s.schema,
                &empty.schema,
                &decisions,
                crate::migrate::diff::Mode::Drizzle,
            );
            let _ = s.to_file_text(crate::migrate::snapshot::KeyOrder::Generated);
        }
    });
}

#[test]
fn fuzz_sql_classifier() {
    let seeds = seeds_named(&corpus(), ".sql");
    fuzz("sql", &seeds, 3000, |input| {
        if let Ok(statements) =
            crate::migrate::classify::text_of(input).and_then(crate::migrate::classify::split)
        {
            for st in statements {
                let _ = crate::migrate::classify::classify(&st.sql);
            }
        }
    });
}

#[test]
fn fuzz_auth_config_reader() {
    let mut seeds = seeds_named(&repo().join("fixtures/app/configs"), ".yaml");
    seeds.push(
        crate::project::auth_config::DEFAULT_CONFIG
            .as_bytes()
            .to_vec(),
    );
    let vars = vec!["GITHUB_CLIENT_ID".to_string()];
    let secrets = vec!["GITHUB_CLIENT_SECRET".to_string()];
    fuzz("auth_config", &seeds, 3000, |input| {
        let text = String::from_utf8_lossy(input);
        let _ = crate::project::auth_config::validate(
            std::path::Path::new("auth-config.yaml"),
            &text,
            &vars,
            &secrets,
        );
    });
}

#[test]
fn fuzz_runtime_ts_reader() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runtime.ts");
    let seeds = vec![
        std::fs::read(repo().join("fixtures/app/server/src/defs/runtime.ts")).unwrap(),
        b"export type VarKey = never;\nexport type SecretKey = \"A\" | (\"B\");\n".to_vec(),
    ];
    fuzz("runtime_ts", &seeds, 1000, |input| {
        std::fs::write(&file, input).unwrap();
        let _ = crate::project::runtime_keys::read(&file);
    });
}

/// A corpus case (`// @ name` before each file) written out; the first file is the entry.
fn write_case(dir: &Path, text: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(text);
    let mut entry = None;
    for part in text.split("// @ ").skip(1) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        let name = name.trim();
        if name.is_empty() || name.contains("..") || name.starts_with('/') || name.len() > 80 {
            continue;
        }
        let path = dir.join(name);
        if std::fs::create_dir_all(path.parent()?).is_err() || std::fs::write(&path, body).is_err()
        {
            continue;
        }
        entry.get_or_insert(path);
    }
    entry
}

#[test]
fn fuzz_bundler() {
    let seeds = seeds_named(&repo().join("fixtures/bundle/cases"), ".case");
    let mut n = 0u64;
    fuzz("bundler", &seeds, 200, |input| {
        n += 1;
        let dir = tempfile::tempdir().unwrap();
        let Some(entry) = write_case(dir.path(), input) else {
            return;
        };
        let out = dir.path().join("out.js");
        let options = crate::resolve::Options {
            conditions: vec!["import".into(), "default".into()],
            main_fields: vec!["module".into(), "main".into()],
            tsconfig: None,
            externals: vec!["node:*".into()],
            packages_external: false,
            loaders: vec![],
            node_builtins: false,
        };
        let link = crate::bundler::link::LinkOptions {
            format: crate::bundler::link::Format::Esm,
            entry_exports: crate::bundler::link::EntryExports::All,
            defines: vec![],
        };
        let emit = crate::bundler::emit::EmitOptions {
            minify: n.is_multiple_of(3),
            sourcemap: None,
            runs_alone: true,
        };
        let _ = crate::bundler::bundle(&[entry], &[out], &options, &link, emit);
    });
}

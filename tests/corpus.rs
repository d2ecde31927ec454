//! Real migration histories (../shared/corpus/migrations): `db diff` reproduces every
//! migration drizzle-kit itself reproduces, `db migrate` applies every history, and `db check`
//! finds the gaps each SOURCE.txt lists.

mod common;

use std::path::PathBuf;

use common::*;

struct History {
    dir: PathBuf,
    exact: Vec<String>,
    tags: Vec<String>,
    missing_snapshots: Vec<String>,
}

fn histories() -> Vec<History> {
    let mut out = vec![];
    for project in std::fs::read_dir(corpus()).unwrap() {
        let project = project.unwrap().path();
        if !project.is_dir() {
            continue;
        }
        for folder in std::fs::read_dir(&project).unwrap() {
            let dir = folder.unwrap().path();
            let Ok(source) = std::fs::read_to_string(dir.join("SOURCE.txt")) else {
                continue;
            };
            let exact = source
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("  ")
                        .and_then(|l| l.split_once(": exact"))
                        .map(|(t, _)| t.to_string())
                })
                .collect();
            let missing_snapshots = source
                .lines()
                .find_map(|l| l.strip_prefix("journal_entries_without_snapshot: "))
                .map(|l| l.split(", ").map(str::to_string).collect())
                .unwrap_or_default();
            let journal: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("meta/_journal.json")).unwrap(),
            )
            .unwrap();
            let tags = journal["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["tag"].as_str().unwrap().to_string())
                .collect();
            out.push(History {
                dir,
                exact,
                tags,
                missing_snapshots,
            });
        }
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    assert!(
        out.len() >= 31,
        "expected the 31 corpus histories, found {}",
        out.len()
    );
    out
}

fn snapshot_of(h: &History, tag: &str) -> String {
    let prefix = tag.split('_').next().unwrap();
    h.dir
        .join(format!("meta/{prefix}_snapshot.json"))
        .display()
        .to_string()
}

#[test]
fn db_diff_reproduces_every_exact_migration() {
    let mut checked = 0;
    let mut fixed_differs = 0;
    for h in histories() {
        for tag in &h.exact {
            let i = h.tags.iter().position(|t| t == tag).unwrap();
            let from = if i == 0 {
                "empty".to_string()
            } else {
                snapshot_of(&h, &h.tags[i - 1])
            };
            let to = snapshot_of(&h, tag);
            let want = std::fs::read_to_string(h.dir.join(format!("{tag}.sql"))).unwrap();
            let out = bin()
                .args(["db", "diff", &from, &to, "--drizzle-compat"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{tag}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                want,
                "{}: {tag}",
                h.dir.display()
            );
            // Our own SQL either matches drizzle-kit's or says why it does not.
            let fixed = bin()
                .args(["db", "diff", &from, &to, "--json"])
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&fixed.stdout).unwrap();
            let sql: Vec<&str> = v["sql"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            if sql.join("--> statement-breakpoint\n") != want {
                fixed_differs += 1;
                assert!(
                    !v["notes"].as_array().unwrap().is_empty(),
                    "{tag}: our SQL differs without a note"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 128, "only {checked} exact migrations checked");
    eprintln!(
        "{checked} exact migrations reproduced; {fixed_differs} differ in fixed mode, each with a note"
    );
}

#[test]
fn db_migrate_applies_every_history() {
    let mut failed = vec![];
    for h in histories() {
        let project = project_with_migrations(&h.dir);
        let out = run(project.path(), &["db", "migrate", "--confirm-dangerous"]);
        let missing = h
            .tags
            .iter()
            .find(|t| !h.dir.join(format!("{t}.sql")).exists());
        if let Some(tag) = missing {
            // A history whose journal lists a file that is not there cannot be applied: say which.
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains(tag.as_str()));
            continue;
        }
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            // The error names the file and line, and the database keeps what applied before it.
            assert!(
                err.contains("server/drizzle/") && err.contains(".sql:"),
                "{err}"
            );
            failed.push(format!(
                "{}: {}",
                h.dir.display(),
                err.lines().next().unwrap_or("")
            ));
            continue;
        }
        let again = run(project.path(), &["db", "migrate"]);
        assert!(String::from_utf8_lossy(&again.stdout).contains("No pending migrations"));
    }
    // Histories that cannot apply on any SQLite database as committed (hand-edited files that
    // create a table twice); see the corpus SOURCE.txt of each.
    let known_broken = [
        "hadyrashwan__scroll-less", // 0002 creates `autosync`, which hand-edited 0000 already created
        "khizarrm__linkd",          // hand-edited 0000 never creates `chats`, which 0001 rebuilds
    ];
    for f in &failed {
        assert!(
            known_broken.iter().any(|k| f.contains(k)),
            "a history failed to apply: {f}"
        );
    }
}

#[test]
fn db_check_finds_the_listed_gaps() {
    let mut with_gaps = 0;
    for h in histories() {
        let project = project_with_migrations(&h.dir);
        let out = run(project.path(), &["db", "check", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = v["findings"].as_array().unwrap();
        for tag in &h.missing_snapshots {
            with_gaps += 1;
            assert!(
                findings
                    .iter()
                    .any(|f| f["message"].as_str().unwrap().contains(tag.as_str())),
                "{}: the missing snapshot of {tag} is not reported: {findings:?}",
                h.dir.display()
            );
            assert_eq!(out.status.code(), Some(1));
        }
    }
    assert!(with_gaps > 0);
}

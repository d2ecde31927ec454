//! `var`, `secret` and `log tail` on the local platform (.edgespark/local): keys checked against
//! runtime.ts, secret values never shown or logged and kept in a 0600 file, concurrent commands
//! serialized by the platform's lock.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use common::*;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("fixtures/app/configs"),
        &dir.path().join("configs"),
    );
    std::fs::copy(
        repo().join("fixtures/app/edgespark.toml"),
        dir.path().join("edgespark.toml"),
    )
    .unwrap();
    copy_dir(
        &repo().join("fixtures/app/server/src/defs"),
        &dir.path().join("server/src/defs"),
    );
    copy_dir(
        &repo().join("fixtures/app/server/src/__generated__"),
        &dir.path().join("server/src/__generated__"),
    );
    dir
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn secret_set(dir: &Path, keys: &[&str], stdin: &str) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
        .args(["secret", "set", "--stdin"])
        .args(keys)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses before reading stdin (an undeclared key) may be gone already:
    // its closed stdin is not the test's failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

#[test]
fn vars_are_set_listed_and_deleted_and_keys_must_be_declared() {
    let p = project();
    ok(
        p.path(),
        &["var", "set", "SITE_NAME=Example", "ADMIN_EMAILS=a@b.c=d"],
    );
    assert_eq!(
        ok(p.path(), &["var", "list"]),
        "ADMIN_EMAILS=a@b.c=d\nSITE_NAME=Example\n"
    );
    let bad = run(p.path(), &["var", "set", "SITE_NAME=x", "UNDECLARED=1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains(
        "not declared in server/src/defs/runtime.ts (VarKey: ADMIN_EMAILS, SITE_NAME): UNDECLARED"
    ));
    assert!(
        ok(p.path(), &["var", "list"]).contains("SITE_NAME=Example"),
        "a refused set changes nothing"
    );
    assert_eq!(
        run(p.path(), &["var", "set", "no-equals"]).status.code(),
        Some(2)
    );
    ok(p.path(), &["var", "delete", "SITE_NAME"]);
    assert_eq!(
        ok(p.path(), &["var", "list", "--json"]).trim(),
        "{\n  \"ADMIN_EMAILS\": \"a@b.c=d\"\n}"
    );
    assert_eq!(
        run(p.path(), &["var", "delete", "SITE_NAME"]).status.code(),
        Some(1)
    );
}

#[test]
fn secret_values_are_never_shown_or_logged_and_only_the_owner_can_read_them() {
    let p = project();
    let value = "sk_live_do_not_print_me";
    let out = secret_set(p.path(), &["STRIPE_WEBHOOK_SECRET"], &format!("{value}\n"));
    assert_success(&out);
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!shown.contains(value));
    let file = p.path().join(".edgespark/local/secrets.json");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(std::fs::read_to_string(&file).unwrap().contains(value));
    assert_eq!(ok(p.path(), &["secret", "list"]), "STRIPE_WEBHOOK_SECRET\n");
    let log = ok(p.path(), &["log", "tail", "--json"]);
    assert!(
        log.contains("secret.set") && log.contains("STRIPE_WEBHOOK_SECRET") && !log.contains(value),
        "{log}"
    );
    for f in std::fs::read_dir(p.path().join(".edgespark/local")).unwrap() {
        let f = f.unwrap().path();
        if f != file {
            assert!(
                !String::from_utf8_lossy(&std::fs::read(&f).unwrap()).contains(value),
                "{} holds the value",
                f.display()
            );
        }
    }
    let undeclared = secret_set(p.path(), &["OTHER_SECRET"], "x\n");
    assert_eq!(undeclared.status.code(), Some(1));
    let missing = secret_set(p.path(), &["STRIPE_WEBHOOK_SECRET"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        std::fs::read_to_string(&file).unwrap().contains(value),
        "a failed set keeps the old value"
    );
    ok(p.path(), &["secret", "delete", "STRIPE_WEBHOOK_SECRET"]);
    assert_eq!(ok(p.path(), &["secret", "list"]), "");
}

#[test]
fn concurrent_commands_do_not_lose_each_others_writes() {
    let p = project();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let pair = if i % 2 == 0 {
                format!("SITE_NAME=s{i}")
            } else {
                format!("ADMIN_EMAILS=a{i}")
            };
            std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
                .args(["var", "set", &pair])
                .current_dir(p.path())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let list = ok(p.path(), &["var", "list"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    let events = ok(p.path(), &["log", "tail", "--json", "-n", "100"]);
    assert_eq!(events.lines().count(), 8, "{events}");
}

#[test]
fn migrations_are_logged_as_platform_events() {
    let p = project();
    ok(p.path(), &["db", "generate", "--name", "init"]);
    ok(p.path(), &["db", "migrate"]);
    let log = ok(p.path(), &["log", "tail"]);
    assert!(
        log.contains("db.migrate") && log.contains("0000_init.sql"),
        "{log}"
    );
}

#[test]
fn storage_apply_creates_declared_buckets_and_removes_only_when_confirmed() {
    let dir = project();
    let p = dir.path();
    ok(p, &["storage", "apply"]);
    let listed = ok(p, &["storage", "bucket", "list", "--desc"]);
    assert!(
        listed.contains("avatars  ")
            && listed.contains("Profile pictures")
            && listed.contains("post-attachments"),
        "{listed}"
    );
    let buckets = p.join(".edgespark/local/buckets");
    std::fs::write(buckets.join("avatars/a.png"), "x").unwrap();

    let schema = p.join("server/src/defs/storage_schema.ts");
    let text = std::fs::read_to_string(&schema).unwrap();
    let without_avatars: String = text
        .lines()
        .filter(|l| !l.contains("avatars"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&schema, without_avatars).unwrap();
    let refused = run(p, &["storage", "apply"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--confirm-dangerous"));
    assert!(
        buckets.join("avatars/a.png").exists(),
        "a refused apply deletes nothing"
    );
    ok(p, &["storage", "apply", "--confirm-dangerous"]);
    assert!(!buckets.join("avatars").exists());
    let listed = ok(p, &["storage", "bucket", "list"]);
    assert!(
        !listed.contains("avatars") && listed.contains("post-attachments"),
        "{listed}"
    );
    assert!(ok(p, &["log", "tail"]).contains("storage.apply"));
}

#[test]
fn auth_apply_validates_pull_and_get_read_back() {
    let dir = project();
    let p = dir.path();
    let local = p.join("configs/auth-config.yaml");
    let original = std::fs::read_to_string(&local).unwrap();
    std::fs::write(
        &local,
        "disableSignUp: nope\nproviderGithub:\n  enabled: true\n  config: {}\n",
    )
    .unwrap();
    let refused = run(p, &["auth", "apply"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("configs/auth-config.yaml:1:16: `disableSignUp` must be true or false"),
        "{err}"
    );
    assert!(
        err.contains("configs/auth-config.yaml:3:3: `providerGithub` is enabled"),
        "{err}"
    );
    assert!(
        !p.join(".edgespark/local/auth-config.yaml").exists(),
        "nothing applied"
    );

    std::fs::write(&local, &original).unwrap();
    ok(p, &["auth", "apply"]);
    let json: serde_json::Value = serde_json::from_str(&ok(p, &["auth", "get", "--json"])).unwrap();
    assert_eq!(
        json["providerEmailPassword"]["config"]["minPasswordLength"],
        10
    );
    assert_eq!(json["disableSignUp"], false);
    std::fs::remove_file(&local).unwrap();
    ok(p, &["auth", "pull"]);
    assert_eq!(std::fs::read_to_string(&local).unwrap(), original);
    assert!(ok(p, &["log", "tail"]).contains("auth.apply"));
}

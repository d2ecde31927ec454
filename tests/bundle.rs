//! The bundler's semantic corpus, fixtures/bundle/cases: each case is a directory, or a `.case`
//! file holding several files (`// @ path` starts each; the first is the entry). A case is
//! bundled by `edgespark bundle` and the bundle run by Node; it must print what the unbundled
//! program prints under Node. A case whose behaviour is meant to differ from Node's (it drops
//! code Node would run, or needs TypeScript or `--define`) says `// oracle: esbuild`: then the
//! reference is esbuild's bundle with the same flags, run by Node. Header lines (before the first
//! file): `// flags: ...` (our bundle flags), `// esbuild-flags: ...` (esbuild's only, such as a
//! lower `--target` so Node can run its output), `// absent: text` / `// present: text` (checked
//! in our bundle), `// expect: line` (the output, where neither Node nor esbuild can say: then
//! it is the reference), `// observes: names` (it prints function or class names, which
//! minifying changes, so the minified run skips it). Node is the oracle only; the product never
//! runs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Cases the bundler does not get right yet, and why. Each must still differ (so a fix is noticed).
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[derive(Default)]
struct Case {
    name: String,
    dir: PathBuf,
    entry: String,
    flags: Vec<String>,
    esbuild_oracle: bool,
    esbuild_flags: Vec<String>,
    absent: Vec<String>,
    present: Vec<String>,
    expect: Option<String>,
    observes_names: bool,
}

/// Write a `.case` file's files into `dir`.
fn expand(text: &str, name: &str, dir: &Path) -> Case {
    let mut case = Case {
        name: name.into(),
        dir: dir.into(),
        entry: String::new(),
        ..Case::default()
    };
    let mut current: Option<(String, String)> = None;
    let mut files = vec![];
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("// @ ") {
            files.extend(current.take());
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, body)) = &mut current {
            body.push_str(line);
            body.push('\n');
        } else if let Some(f) = line.strip_prefix("// flags: ") {
            case.flags.extend(f.split_whitespace().map(String::from));
        } else if let Some(f) = line.strip_prefix("// esbuild-flags: ") {
            case.esbuild_flags
                .extend(f.split_whitespace().map(String::from));
        } else if let Some(e) = line.strip_prefix("// expect: ") {
            let expect = case.expect.get_or_insert_with(String::new);
            expect.push_str(e);
            expect.push('\n');
        } else if let Some(a) = line.strip_prefix("// absent: ") {
            case.absent.push(a.to_string());
        } else if let Some(p) = line.strip_prefix("// present: ") {
            case.present.push(p.to_string());
        } else if line.starts_with("// observes: names") {
            case.observes_names = true;
        } else if line.trim() == "// oracle: esbuild" {
            case.esbuild_oracle = true;
        }
    }
    files.extend(current);
    for (path, body) in &files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    case.entry = files
        .first()
        .map(|(p, _)| p.clone())
        .unwrap_or_else(|| panic!("{name}: no files"));
    case
}

fn cases(scratch: &Path) -> Vec<Case> {
    let root = repo().join("fixtures/bundle/cases");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                Case {
                    name,
                    dir: p,
                    entry: "main.mjs".into(),
                    ..Case::default()
                }
            } else {
                expand(
                    &std::fs::read_to_string(&p).unwrap(),
                    &name,
                    &scratch.join(&name),
                )
            }
        })
        .collect()
}

fn output_name(case: &Case, tool: &str) -> String {
    let ext = if case.flags.iter().any(|f| f == "cjs") {
        "cjs"
    } else if case.flags.iter().any(|f| f == "iife") {
        "js"
    } else {
        "mjs"
    };
    format!("{}.{tool}.{ext}", case.name)
}

/// esbuild's spelling of our flags: `--define K=V` → `--define:K=V`, `--flag value` → `--flag=value`.
fn esbuild_flags(flags: &[String]) -> Vec<String> {
    let mut out = vec![];
    let mut it = flags.iter();
    while let Some(f) = it.next() {
        if f == "--minify" {
            out.push(f.clone());
            continue;
        }
        let v = it.next().expect("every flag but --minify takes a value");
        out.push(if f == "--define" || f == "--external" || f == "--loader" {
            format!("{f}:{v}")
        } else {
            format!("{f}={v}")
        });
    }
    out
}

/// Bundle the case (with `extra` flags too, those its own flags lack) and compare its run with
/// the reference. The text checks apply to the bundle made without `extra` only.
fn check(case: &Case, out: &Path, extra: &[&str]) -> Result<(), String> {
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|e| !case.flags.iter().any(|f| f == e))
        .collect();
    let ours = out.join(output_name(
        case,
        if extra.is_empty() {
            "ours"
        } else {
            "ours-extra"
        },
    ));
    let bundled = bin()
        .args(["bundle", &case.entry, "--outfile"])
        .arg(&ours)
        .args(&case.flags)
        .args(&extra)
        .current_dir(&case.dir)
        .output()
        .unwrap();
    if !bundled.status.success() {
        return Err(format!(
            "bundling failed:\n{}",
            String::from_utf8_lossy(&bundled.stderr)
        ));
    }
    let want = if let Some(expect) = &case.expect {
        expect.clone()
    } else if case.esbuild_oracle {
        let theirs = out.join(output_name(case, "esbuild"));
        let r = Command::new(repo().join("tests/oracle/node_modules/.bin/esbuild"))
            .args([case.entry.as_str(), "--bundle", "--log-level=error"])
            .arg(format!("--outfile={}", theirs.display()))
            .args(if case.flags.iter().any(|f| f == "--format") {
                vec![]
            } else {
                vec!["--format=esm".to_string()]
            })
            .args(esbuild_flags(&case.flags))
            .args(&case.esbuild_flags)
            .current_dir(&case.dir)
            .output()
            .unwrap();
        if !r.status.success() {
            return Err(format!(
                "esbuild failed:\n{}",
                String::from_utf8_lossy(&r.stderr)
            ));
        }
        node(out, &theirs, &[])
    } else {
        node(&case.dir, &case.dir.join(&case.entry), &[])
    };
    let got = node(out, &ours, &[]);
    let text = std::fs::read_to_string(&ours).unwrap();
    let mut problems = vec![];
    if case.observes_names && extra.contains(&"--minify") {
        // The program prints names minifying changes: it must still run through, line for line.
        if got.lines().count() != want.lines().count()
            || got.contains("\nexit ")
            || got.starts_with("exit ")
        {
            problems.push(format!(
                "--- reference\n{want}\n--- bundle (names may differ)\n{got}"
            ));
        }
    } else if want != got {
        problems.push(format!("--- reference\n{want}\n--- bundle\n{got}"));
    }
    if extra.is_empty() {
        problems.extend(
            case.absent
                .iter()
                .filter(|a| text.contains(a.as_str()))
                .map(|a| format!("the bundle contains {a:?}")),
        );
        problems.extend(
            case.present
                .iter()
                .filter(|p| !text.contains(p.as_str()))
                .map(|p| format!("the bundle lacks {p:?}")),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn bundles_behave_like_the_unbundled_program() {
    run_corpus(&[]);
}

/// The same cases minified: compressing and mangling must not change what the program does.
#[test]
fn minified_bundles_behave_like_the_unbundled_program() {
    run_corpus(&["--minify"]);
}

/// Real packages (fixtures/bundle/packages, pinned in its lockfile), each entry bundled by us
/// and by esbuild for Node, plain and minified: both bundles must print what Node prints
/// running the entry itself. Each entry says why it is there: a package that once broke, or
/// the libraries workers import every day (Hono, zod, drizzle, jose, openai and others).
#[test]
fn real_packages_bundled_print_what_they_print_unbundled() {
    let dir = repo().join("fixtures/bundle/packages");
    npm_ci(&repo().join("tests/oracle"));
    npm_ci(&dir);
    let out = tempfile::tempdir().unwrap();
    let mut failures = vec![];
    for entry in [
        "luxon_dates.mjs",
        "typescript_transpile.cjs",
        "api_stack.mjs",
        "everyday_libraries.mjs",
    ] {
        let format = if entry.ends_with(".cjs") {
            "cjs"
        } else {
            "esm"
        };
        let want = node(&dir, &dir.join(entry), &[]);
        assert!(!want.contains("exit "), "{entry} fails in Node:\n{want}");
        for minify in [false, true] {
            let name = format!("{entry}{}.{format}.js", if minify { ".min" } else { "" });
            let flags: &[&str] = if minify { &["--minify"] } else { &[] };
            let theirs = out.path().join(format!("esbuild.{name}"));
            let esbuild = Command::new(repo().join("tests/oracle/node_modules/.bin/esbuild"))
                .args([entry, "--bundle", "--platform=node", "--log-level=error"])
                .arg(format!("--format={format}"))
                .arg(format!("--outfile={}", theirs.display()))
                .args(flags)
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(esbuild.status.success(), "esbuild {name}");
            let ours = out.path().join(format!("ours.{name}"));
            let bundled = bin()
                .args([
                    "bundle",
                    entry,
                    "--platform=node",
                    "--format",
                    format,
                    "--outfile",
                ])
                .arg(&ours)
                .args(flags)
                .current_dir(&dir)
                .output()
                .unwrap();
            if !bundled.status.success() {
                failures.push(format!(
                    "{name}: bundling failed:\n{}",
                    String::from_utf8_lossy(&bundled.stderr)
                ));
                continue;
            }
            // package.json says `"type": "module"`: the CommonJS bundles run as `.cjs`.
            let run = |bundle: &Path| {
                let script = bundle.with_extension(if format == "cjs" { "cjs" } else { "mjs" });
                std::fs::rename(bundle, &script).unwrap();
                node(out.path(), &script, &[])
            };
            let (esbuilds, got) = (run(&theirs), run(&ours));
            assert_eq!(esbuilds, want, "esbuild's {name} (the second reference)");
            if want != got {
                failures.push(format!(
                    "{name}:\n--- node, unbundled\n{want}\n--- ours\n{got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn run_corpus(extra: &[&str]) {
    npm_ci(&repo().join("tests/oracle"));
    let scratch = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let all = cases(scratch.path());
    assert!(all.len() >= 8, "the corpus is missing");
    // Two workers: the cases are independent and mostly wait on Node.
    let results: Vec<(String, Result<(), String>)> = std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = all.chunks(all.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(|| {
                    chunk
                        .iter()
                        .map(|c| (c.name.clone(), check(c, out.path(), extra)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut failures = vec![];
    for (name, result) in &results {
        let gap = KNOWN_GAPS.iter().any(|(n, _)| n == name);
        match (result, gap) {
            (Ok(()), true) => {
                failures.push(format!("{name} now passes: remove it from KNOWN_GAPS"))
            }
            (Err(e), false) => failures.push(format!("{name}:\n{e}")),
            _ => {}
        }
    }
    eprintln!("{} cases, {} known gaps", results.len(), KNOWN_GAPS.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n\n{}",
        failures.len(),
        results.len(),
        failures.join("\n\n")
    );
}

#[test]
fn bundling_is_deterministic_across_runs_and_thread_counts() {
    let dir = repo().join("fixtures/bundle/cases/cjs_interop");
    let out = tempfile::tempdir().unwrap();
    for flags in [&[][..], &["--minify"][..]] {
        let mut texts = vec![];
        for threads in ["1", "2", "2", "3"] {
            let f = out.path().join(format!("b{}.mjs", texts.len()));
            let r = bin()
                .args(["bundle", "main.mjs", "--outfile"])
                .arg(&f)
                .args(flags)
                .env("RAYON_NUM_THREADS", threads)
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(r.status.success());
            texts.push(std::fs::read(&f).unwrap());
        }
        assert!(texts.windows(2).all(|w| w[0] == w[1]), "{flags:?}");
    }
}

#[test]
fn an_unresolved_import_names_the_importer_and_the_specifier() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.mjs"), "import { x } from \"./missing.mjs\";\nimport \"./lib.mjs\";\nimport \"./other.mjs\";\nconsole.log(x);\n").unwrap();
    std::fs::write(dir.path().join("lib.mjs"), "let a;\nconst = 1;\n").unwrap();
    std::fs::write(
        dir.path().join("other.mjs"),
        "import \"no-such-package\";\n",
    )
    .unwrap();
    let out = bundle_at(dir.path(), &["bundle", "main.mjs", "--outfile", "out.mjs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("main.mjs:1:") && err.contains("./missing.mjs"),
        "{err}"
    );
    // Every error of the build, as esbuild lists them: the next module's too.
    assert!(
        err.contains("lib.mjs:2:7: syntax error")
            && err.contains("\"no-such-package\"")
            && err.contains("3 errors"),
        "{err}"
    );
    assert!(!dir.path().join("out.mjs").exists());
}

/// Only the `try` block of the function the load is in guards it (esbuild's rule): in a
/// `catch` handler, or in a function merely defined inside a `try`, it is still an error.
#[test]
fn an_unresolved_require_outside_its_own_try_block_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.cjs"),
        "try { require(\"guarded-one\"); } catch {}\n\
         try { throw 1; } catch { require(\"in-the-catch\"); }\n\
         try { module.exports = () => require(\"called-later\"); } catch {}\n",
    )
    .unwrap();
    let out = bundle_at(dir.path(), &["bundle", "main.cjs", "--outfile", "out.js"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("main.cjs:2:") && err.contains("\"in-the-catch\""),
        "{err}"
    );
    assert!(
        err.contains("main.cjs:3:") && err.contains("\"called-later\""),
        "{err}"
    );
    assert!(
        !err.contains("resolve \"guarded-one\"") && err.contains("2 errors"),
        "{err}"
    );
}

#[test]
fn importing_a_name_the_module_does_not_export_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.mjs"),
        "import { nope } from \"./lib.mjs\";\nconsole.log(nope);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("lib.mjs"), "export const yes = 1;\n").unwrap();
    let out = bundle_at(dir.path(), &["bundle", "main.mjs", "--outfile", "out.mjs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no matching export"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `edgespark bundle ARGS` run in `dir`, without colours.
fn bundle_at(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// As esbuild: a JSON module exports its object's keys and nothing else by name, and a name
/// that only an `export *` cycle could provide is not exported.
#[test]
fn json_keys_and_star_cycles_do_not_export_missing_names() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "data.json", "{\"present\": 1}");
    write(
        dir.path(),
        "a.mjs",
        "export * from \"./b.mjs\";\nexport const a = 1;\n",
    );
    write(dir.path(), "b.mjs", "export * from \"./a.mjs\";\n");
    for (main, missing) in [
        (
            "import { absent } from \"./data.json\";\nconsole.log(absent);\n",
            "absent",
        ),
        (
            "import { nope } from \"./a.mjs\";\nconsole.log(nope);\n",
            "nope",
        ),
    ] {
        write(dir.path(), "main.mjs", main);
        let out = bundle_at(dir.path(), &["bundle", "main.mjs", "--outfile", "out.mjs"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("no matching export") && stderr.contains(missing),
            "{stderr}"
        );
    }
    // The keys it has, and the default, are exported.
    write(
        dir.path(),
        "main.mjs",
        "import data, { present } from \"./data.json\";\nconsole.log(present, data.present);\n",
    );
    let out = bundle_at(dir.path(), &["bundle", "main.mjs", "--outfile", "out.mjs"]);
    assert_success(&out);
}

/// An ES module is strict code: `with` and a parameter list binding a name twice are errors at
/// their place, in esbuild's words; a script may have both.
#[test]
fn what_a_module_may_not_contain_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    for (file, text, message, at) in [
        (
            "with.mjs",
            "const o = { a: 1 };\nwith (o) { console.log(a); }\n",
            "With statements cannot be used in an ECMAScript module",
            "with.mjs:2:1",
        ),
        (
            "params.js",
            "export function f(a, b, a) { return b; }\n",
            "\"a\" cannot be bound multiple times in the same parameter list",
            "params.js:1:25",
        ),
    ] {
        write(dir.path(), file, text);
        let out = bundle_at(dir.path(), &["bundle", file, "--outfile", "out.js"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(message) && stderr.contains(at), "{stderr}");
    }
    write(
        dir.path(),
        "script.js",
        "function f(a, a) { return a; }\nwith ({ x: 1 }) { console.log(x, f(1, 2)); }\n",
    );
    let out = bundle_at(dir.path(), &["bundle", "script.js", "--outfile", "out.js"]);
    assert_success(&out);
}

#[test]
fn a_syntax_error_is_reported_with_its_location_and_a_code_frame() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.ts"),
        "import { a } from \"./lib\";\nconsole.log(a);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lib.ts"),
        "export const a = 1;\nexport const b = (;\n",
    )
    .unwrap();
    let out = bundle_at(dir.path(), &["bundle", "main.ts", "--outfile", "out.mjs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lib.ts:2:") && err.contains("export const b = (;"),
        "{err}"
    );
}

/// The source map takes every marker string in the bundle back to where it is written (checked
/// with Node's own source-map decoder), plain and minified; Node's --enable-source-maps then
/// reports a throw at its TypeScript line.
#[test]
fn source_maps_lead_back_to_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/bundle/sourcemap"), dir.path());
    let check = repo().join("tests/oracle/sourcemap_check.mjs");
    for (flags, at_least) in [(&[][..], 8), (&["--minify"][..], 6)] {
        let r = bin()
            .args([
                "bundle",
                "main.ts",
                "--outfile",
                "out/b.mjs",
                "--sourcemap",
                "--platform",
                "node",
            ])
            .args(flags)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_success(&r);
        let code = std::fs::read_to_string(dir.path().join("out/b.mjs")).unwrap();
        assert!(
            code.ends_with("//# sourceMappingURL=b.mjs.map\n"),
            "{flags:?}"
        );
        let report = node(
            dir.path(),
            &check,
            &[Path::new("out/b.mjs"), Path::new("out/b.mjs.map")],
        );
        let checked: usize = report
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("checked "))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            checked >= at_least && report.lines().count() == 1,
            "{flags:?}: {report}"
        );
    }
    let r = bin()
        .args([
            "bundle",
            "main.ts",
            "--outfile",
            "out/inline.mjs",
            "--sourcemap=inline",
            "--platform",
            "node",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(r.status.success() && !dir.path().join("out/inline.mjs.map").exists());
    let thrown = Command::new("node")
        .args(["--enable-source-maps", "out/inline.mjs", "--throw"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&thrown.stderr);
    assert!(
        stderr.contains("lazy.ts:7:9") && stderr.contains("main.ts:15:8"),
        "{stderr}"
    );
}

#[test]
fn several_entries_share_modules_and_each_output_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.mjs"),
        "import { greet, count } from \"./shared.mjs\";\nconsole.log(greet(\"a\"), count());\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.mjs"), "import { greet, count } from \"./shared.mjs\";\ncount();\nconsole.log(greet(\"b\"), count());\n").unwrap();
    std::fs::write(dir.path().join("shared.mjs"), "let n = 0;\nexport const greet = (who) => `hello ${who}`;\nexport function count() { return ++n; }\n").unwrap();
    for extra in [&[][..], &["--minify"][..]] {
        let out = bin()
            .args(["bundle", "a.mjs", "b.mjs", "--outdir", "out"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_success(&out);
        for (entry, expected) in [("a.js", "hello a 1"), ("b.js", "hello b 2")] {
            let run = std::process::Command::new("node")
                .arg(dir.path().join("out").join(entry))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&run.stdout).trim(),
                expected,
                "{entry} {extra:?}"
            );
        }
    }
}

#[test]
fn assigning_to_an_import_or_a_constant_is_an_error_as_in_esbuild() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.js", "export let x = 1;\n");
    for (main, said, at) in [
        (
            "import { x } from \"./a.js\";\nexport function f() { x = 2; }\n",
            "Cannot assign to import \"x\"",
            "main.js:2:23",
        ),
        (
            "const k = 1;\nexport function g() { [k] = [3]; }\n",
            "Cannot assign to \"k\" because it is a constant",
            "main.js:2:23",
        ),
        (
            "import * as ns from \"./a.js\";\nfor (ns of []) {}\n",
            "Cannot assign to import \"ns\"",
            "main.js:2:6",
        ),
    ] {
        write(dir.path(), "main.js", main);
        let out = bundle_at(dir.path(), &["bundle", "main.js", "--outfile", "out.js"]);
        assert_eq!(out.status.code(), Some(1), "{main}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said) && err.contains(at), "{main}\n{err}");
        assert!(!dir.path().join("out.js").exists());
    }
    // A binding that shadows them may be assigned.
    write(
        dir.path(),
        "main.js",
        "import { x } from \"./a.js\";\nconst k = 1;\nexport function f(k) { k = 2; let x = 0; x++; return [k, x]; }\n",
    );
    let out = bundle_at(dir.path(), &["bundle", "main.js", "--outfile", "out.js"]);
    assert_success(&out);
}

#[test]
fn an_entry_point_that_is_not_a_file_resolves_like_an_import() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "node_modules/greeter/package.json",
        "{\"name\": \"greeter\", \"exports\": {\".\": \"./main.js\", \"./extra\": \"./extra.js\"}}\n",
    );
    write(
        dir.path(),
        "node_modules/greeter/main.js",
        "console.log(\"main of greeter\");\n",
    );
    write(
        dir.path(),
        "node_modules/greeter/extra.js",
        "console.log(\"extra of greeter\");\n",
    );
    write(dir.path(), "src/index.js", "console.log(\"src index\");\n");
    for (entry, said) in [
        ("greeter", "main of greeter"),
        ("greeter/extra", "extra of greeter"),
        ("./src", "src index"),
    ] {
        let out = bundle_at(dir.path(), &["bundle", entry, "--outfile", "out.js"]);
        assert!(
            out.status.success(),
            "{entry}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            node(dir.path(), &dir.path().join("out.js"), &[]),
            format!("{said}\n")
        );
    }
    let out = bundle_at(
        dir.path(),
        &["bundle", "missing-package", "--outfile", "out.js"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("could not resolve the entry point missing-package")
    );
}

#[test]
fn top_level_await_in_cjs_output_is_an_error_at_the_await() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.mjs",
        "import \"./dep.mjs\";\nconsole.log(1);\n",
    );
    write(
        dir.path(),
        "dep.mjs",
        "// waits\nconst x = await Promise.resolve(1);\nexport { x };\n",
    );
    for format in ["cjs", "iife"] {
        let out = bin()
            .args([
                "bundle",
                "main.mjs",
                "--outfile",
                "out.js",
                "--format",
                format,
            ])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("dep.mjs:2:11: Top-level await is not supported with the")
                && err.contains(&format!("\"{format}\" output format")),
            "{err}"
        );
    }
}

/// As esbuild: a direct `eval` is a warning at its place, with a code frame, and the bundle is
/// still written (the eval'd module's declarations kept: the corpus case
/// eval_direct_keeps_the_declarations_of_its_module runs it).
#[test]
fn a_direct_eval_is_warned_of_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.mjs",
        "import { f } from \"./dep.mjs\";\nconsole.log(f(), (0, eval)(\"1\"));\n",
    );
    write(
        dir.path(),
        "dep.mjs",
        "const x = 1;\nexport function f() { return eval(\"x\"); }\n",
    );
    let out = bundle_at(dir.path(), &["bundle", "main.mjs", "--outfile", "out.mjs"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dep.mjs:2:30: Using direct eval with a bundler is not recommended")
            && err.contains("return eval(\"x\")"),
        "{err}"
    );
    // An indirect eval runs in the global scope: nothing to warn of.
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    assert!(dir.path().join("out.mjs").exists());
}

/// A watch process, stopped when dropped (also when a test fails before it stops it).
struct Watch(std::process::Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bundle main.ts --outfile out/b.js --watch` in `dir` with these files (name, text) written
/// first, its stderr piped.
fn watching(dir: &Path, files: &[(&str, &str)]) -> Watch {
    for (name, text) in files {
        write(dir, name, text);
    }
    std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
        .args(["bundle", "main.ts", "--outfile", "out/b.js", "--watch"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(Watch)
        .unwrap()
}

/// Wait until the bundle at `out` satisfies `ok` (`what` names the build waited for).
fn until_bundle(out: &Path, what: &str, ok: &dyn Fn(&str) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        if ok(&text) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: {text}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `bundle --watch` builds, then builds again when a file it read changes: after a syntax error
/// it reports the error and keeps watching, and a file the app starts importing is read.
#[test]
fn watch_rebuilds_on_change_and_survives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = watching(
        dir.path(),
        &[
            ("lib.ts", "export const v: number = 1;\n"),
            (
                "main.ts",
                "import { v } from \"./lib\";\nconsole.log(\"v\", v);\n",
            ),
        ],
    );
    // Read on a thread of its own: a full pipe would stop the watch.
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || std::io::read_to_string(stderr));
    let out = dir.path().join("out/b.js");
    until_bundle(&out, "the first build", &|t| t.contains("= 1"));
    // Watching starts once the first build is written.
    std::thread::sleep(std::time::Duration::from_millis(300));
    write(dir.path(), "lib.ts", "export const v: number = ;\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    write(
        dir.path(),
        "lib.ts",
        "import { w } from \"./more\";\nexport const v: number = 2;\nconsole.log(w);\n",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    write(dir.path(), "more.ts", "export const w = \"new file\";\n");
    until_bundle(&out, "the build after the new file", &|t| {
        t.contains("= 2") && t.contains("new file")
    });
    drop(child);
    assert!(node(dir.path(), &out, &[]).contains("v 2"));
}

/// A watch whose first build fails on a syntax error in an imported file watches that file:
/// the fix, written in place, is built.
#[test]
fn watch_sees_the_fix_to_a_file_that_failed_the_first_build() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = watching(
        dir.path(),
        &[
            ("lib.ts", "export const v: number = ;\n"),
            (
                "main.ts",
                "import { v } from \"./lib\";\nconsole.log(\"v\", v);\n",
            ),
        ],
    );
    // The first build's error is reported before the fix is written.
    let mut stderr = std::io::BufReader::new(child.0.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("Expression expected") {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(n > 0, "it stopped: {said}");
        said.push_str(&line);
    }
    std::thread::spawn(move || std::io::read_to_string(stderr));
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(dir.path().join("lib.ts"), "export const v: number = 3;\n").unwrap();
    let out = dir.path().join("out/b.js");
    until_bundle(&out, "the build after the fix", &|t| t.contains("= 3"));
    drop(child);
    assert!(node(dir.path(), &out, &[]).contains("v 3"));
}

/// A watch rebuilds when a file the resolver read changes in place: tsconfig.json's `paths`
/// pointed elsewhere.
#[test]
fn watch_rebuilds_when_the_tsconfig_changes() {
    let dir = tempfile::tempdir().unwrap();
    let tsconfig = |to: &str| {
        format!("{{\"compilerOptions\":{{\"baseUrl\":\".\",\"paths\":{{\"@x\":[\"./{to}\"]}}}}}}\n")
    };
    let mut child = watching(
        dir.path(),
        &[
            ("a.ts", "export const v = \"from a\";\n"),
            ("b.ts", "export const v = \"from b\";\n"),
            ("main.ts", "import { v } from \"@x\";\nconsole.log(v);\n"),
            ("tsconfig.json", &tsconfig("a.ts")),
        ],
    );
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || std::io::read_to_string(stderr));
    let out = dir.path().join("out/b.js");
    until_bundle(&out, "the first build", &|t| t.contains("from a"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Written in place (no new file appears): only watching the tsconfig itself sees it.
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig("b.ts")).unwrap();
    until_bundle(&out, "the build after the tsconfig changed", &|t| {
        t.contains("from b")
    });
    drop(child);
}

/// A watch keeps its resolutions while only sources change, and resolves afresh when a
/// package.json changes in place: its "imports" map pointed elsewhere.
#[test]
fn watch_resolves_afresh_when_a_package_json_changes() {
    let dir = tempfile::tempdir().unwrap();
    let package = |to: &str| format!("{{\"type\":\"module\",\"imports\":{{\"#x\":\"./{to}\"}}}}\n");
    let mut child = watching(
        dir.path(),
        &[
            ("a.ts", "export const v = \"from a\";\n"),
            ("b.ts", "export const v = \"from b\";\n"),
            ("main.ts", "import { v } from \"#x\";\nconsole.log(v, 1);\n"),
            ("package.json", &package("a.ts")),
        ],
    );
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || std::io::read_to_string(stderr));
    let out = dir.path().join("out/b.js");
    until_bundle(&out, "the first build", &|t| t.contains("from a"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // A source changed: the build after it keeps what the imports meant.
    write(
        dir.path(),
        "main.ts",
        "import { v } from \"#x\";\nconsole.log(v, 2);\n",
    );
    until_bundle(&out, "the build after main.ts changed", &|t| {
        t.contains("from a") && t.contains("v, 2")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(dir.path().join("package.json"), package("b.ts")).unwrap();
    until_bundle(&out, "the build after package.json changed", &|t| {
        t.contains("from b")
    });
    drop(child);
}

/// `--outfile /dev/stdout` into a pipe writes the bundle there, as esbuild does (the link names
/// a pipe, not a path: nothing to resolve, nothing to rename over).
#[test]
fn outfile_dev_stdout_writes_into_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.ts",
        "const n: number = 40;\nconsole.log(n + 2);\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
        .args(["bundle", "main.ts", "--outfile", "/dev/stdout"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let code = String::from_utf8(out.stdout).unwrap();
    assert!(code.contains("console.log(n + 2)"), "{code}");
}

/// A source map file cannot go beside `/dev/stdout` (it would be written as `/dev/stdout.map`):
/// such a build is refused and writes nothing, while `--sourcemap=inline` goes into the pipe.
#[test]
fn source_map_file_beside_dev_stdout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.ts", "console.log(1 + 1);\n");
    let run = |map: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
            .args(["bundle", "main.ts", "--outfile", "/dev/stdout", map])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    for map in ["--sourcemap", "--sourcemap=external", "--sourcemap=both"] {
        let out = run(map);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{map}: {err}");
        assert!(err.contains("/dev/stdout is not a file"), "{map}: {err}");
        assert!(out.stdout.is_empty(), "{map}: nothing is written");
    }
    let out = run("--sourcemap=inline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap();
    assert!(
        code.contains("sourceMappingURL=data:application/json;base64,"),
        "{code}"
    );
}
